//! The WeCom session around a conversation: the account's welcome when a
//! customer opens the chat (`wecom.kf.event_message`, with the code the
//! `enter_session` event carried, within its 20 s), and ending the session
//! when the conversation is resolved (`wecom.kf.end`: state 4, then the
//! account's closing message with the code that returns). Each message is
//! sent once (codes are single use) and kept in the conversation.

use crate::channels::clients::Clients;
use crate::clock::Clock;
use crate::jobs::Retry;
use crate::store::jobs::{named, Job};
use crate::store::kf::{account_text, AutoMessage};
use crate::store::Store;
use shared::{ChannelId, ConversationId};
use wechat::kf::{KfEventSend, KfOutbound, SessionState};
use wechat::message::{ExternalUserId, KfMsgId, OpenKfId};
use wechat::{Action, ApiError, KfClient};

#[derive(Clone)]
pub struct KfSession {
    pub store: Store,
    pub clients: Clients,
    pub clock: Clock,
}

/// What a job is about.
struct Target {
    channel: ChannelId,
    open_kfid: OpenKfId,
    customer: ExternalUserId,
}

fn failed(err: impl std::fmt::Display) -> Retry {
    Retry::from(err.to_string())
}

/// A refused call: retried when WeCom may take it later, else given up (the
/// code is spent or the session moved on).
fn refused(err: &ApiError, call: &str) -> Result<(), Retry> {
    match err.action() {
        Action::Retry(backoff) => Err(Retry::after(
            format!("WeCom did not take {call} yet ({})", err.code()),
            backoff.first_delay,
        )),
        _ if err.is_ambiguous() => Err(format!("WeCom did not answer {call}").into()),
        _ => {
            tracing::warn!(call, code = err.code(), "WeCom refused; not retried");
            Ok(())
        }
    }
}

impl KfSession {
    async fn client(&self, channel: ChannelId) -> Result<Option<KfClient>, Retry> {
        match self.clients.kf(channel).await {
            Ok(client) => Ok(client),
            Err(reason) if reason.contains("no longer exists") => Ok(None),
            Err(reason) => Err(reason.into()),
        }
    }

    /// `wecom.kf.event_message`: sends a welcome (or closing) message with
    /// its one-off code, unless the code's time is up.
    pub async fn send_event_message(&self, job: Job) -> Result<(), Retry> {
        let payload = job.payload_json()?;
        let target = Target {
            channel: named(&payload, "channel")?,
            open_kfid: OpenKfId::new(payload["open_kfid"].as_str().unwrap_or_default()),
            customer: ExternalUserId::new(payload["customer"].as_str().unwrap_or_default()),
        };
        let code = payload["code"].as_str().unwrap_or_default().to_owned();
        let purpose = payload["purpose"]
            .as_str()
            .and_then(AutoMessage::parse)
            .ok_or("the job names no purpose")?;
        let deadline = payload["deadline"].as_i64().unwrap_or(i64::MAX);
        if self.clock.now() > deadline {
            tracing::warn!(
                purpose = purpose.as_str(),
                "a WeCom message code expired before it could be used"
            );
            return Ok(());
        }
        let Some(client) = self.client(target.channel).await? else {
            return Ok(());
        };
        // The same job sends under the same msgid, however often it runs.
        let msgid = KfMsgId::new(job.id.0.simple().to_string());
        self.send_with_code(&client, &target, code, purpose, msgid)
            .await
    }

    async fn send_with_code(
        &self,
        client: &KfClient,
        target: &Target,
        code: String,
        purpose: AutoMessage,
        msgid: KfMsgId,
    ) -> Result<(), Retry> {
        let mut tx = self.store.begin().await.map_err(failed)?;
        let text = account_text(&mut tx, target.channel, target.open_kfid.as_str(), purpose)
            .await
            .map_err(failed)?;
        tx.commit_quietly().await.map_err(failed)?;
        let Some(text) = text else {
            return Ok(());
        };
        let send = KfEventSend {
            code,
            msgid: Some(msgid.clone()),
            message: KfOutbound::text(text.clone()),
        };
        match client.send_msg_on_event(&send).await {
            Ok(_) => {
                crate::store::outbound::record_automated(
                    &self.store,
                    self.clock.now(),
                    target.channel,
                    target.customer.as_str(),
                    purpose.as_str(),
                    &text,
                    &format!("auto:{msgid}"),
                )
                .await
                .map_err(failed)?;
                Ok(())
            }
            Err(err) => refused(&err, "send_msg_on_event"),
        }
    }

    /// `wecom.kf.end`: a resolved conversation ends its WeCom session where
    /// the state machine allows, then sends the closing message.
    pub async fn end(&self, job: Job) -> Result<(), Retry> {
        let conversation: ConversationId = job.names("conversation")?;
        let Some((channel, open_id)) = self
            .store
            .conversation_client(conversation)
            .await
            .map_err(failed)?
        else {
            return Ok(());
        };
        let Some(open_kfid) = self
            .store
            .kf_account_of(conversation)
            .await
            .map_err(failed)?
        else {
            return Ok(());
        };
        let Some(client) = self.client(channel).await? else {
            return Ok(());
        };
        let target = Target {
            channel,
            open_kfid: OpenKfId::new(open_kfid),
            customer: ExternalUserId::new(open_id),
        };
        let state = match client
            .service_state(&target.open_kfid, &target.customer)
            .await
        {
            Ok(state) => state.service_state,
            Err(err) => return refused(&err, "service_state/get"),
        };
        if !state.may_become(SessionState::Ended) {
            return Ok(());
        }
        let code = match client
            .end_session(&target.open_kfid, &target.customer)
            .await
        {
            Ok(code) => code,
            Err(err) => return refused(&err, "service_state/trans"),
        };
        let Some(code) = code else {
            return Ok(());
        };
        let msgid = KfMsgId::new(job.id.0.simple().to_string());
        // The session has ended: a failed closing message is not retried
        // (the code is spent), so its outcome is final either way.
        match self
            .send_with_code(&client, &target, code, AutoMessage::Closing, msgid)
            .await
        {
            Ok(()) => Ok(()),
            Err(retry) => {
                tracing::warn!(reason = %retry.reason, "the WeCom closing message was not sent");
                Ok(())
            }
        }
    }
}
