//! The WeCom session around a conversation: the account's welcome when a
//! customer opens the chat (`wecom.kf.event_message`, with the code the
//! `enter_session` event carried, within its 20 s; the account's text, or
//! else its team's), and ending the session
//! when the conversation is resolved (`wecom.kf.end`: state 4, then the
//! account's closing message with the code that returns). Each message is
//! sent once (codes are single use) and kept in the conversation.

use crate::auth::AuthUser;
use crate::channels::clients::Clients;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::jobs::Retry;
use crate::store::jobs::{named, Job};
use crate::store::kf::AutoMessage;
use crate::store::outbound::KfHold;
use crate::store::Store;
use crate::triage;
use shared::{ChannelId, ConversationId};
use wechat::kf::{KfEventSend, KfOutbound, SessionState, StateChange};
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
        let text = self
            .store
            .kf_account_text(target.channel, target.open_kfid.as_str(), purpose)
            .await
            .map_err(failed)?;
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
        let asked_at = self.clock.now();
        let state = match client
            .service_state(&target.open_kfid, &target.customer)
            .await
        {
            Ok(state) => state.service_state,
            Err(err) => return refused(&err, "service_state/get"),
        };
        if !state.may_become(SessionState::Ended) {
            if state == SessionState::Ended {
                self.ended(&target, asked_at).await;
            }
            return Ok(());
        }
        let code = match client
            .end_session(&target.open_kfid, &target.customer)
            .await
        {
            Ok(code) => code,
            Err(err) => return refused(&err, "service_state/trans"),
        };
        // Noted, but never at the cost of the closing message's 20 s.
        self.ended(&target, asked_at).await;
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

    /// The session ended (WeCom was asked at `asked_at`): until the client
    /// writes again the inbox cannot send. A failure to note it is logged;
    /// the composer then learns it from WeCom's 95018 on the next reply.
    async fn ended(&self, target: &Target, asked_at: i64) {
        if let Err(err) = self
            .store
            .record_kf_session(
                asked_at,
                target.channel,
                target.customer.as_str(),
                KfHold::Ended,
            )
            .await
        {
            tracing::warn!(error = %err, "could not note that a WeCom session ended");
        }
    }

    /// An agent takes a conversation's WeCom session back for the inbox,
    /// where WeCom's state machine allows: a new session (state 0) moves to
    /// the API (1); one the API has needs nothing. A servicer's (3) or the
    /// queue's (2) can only be ended (4), and is, when `end` says so; the
    /// client's next message then comes to the inbox. Each change is an
    /// activity entry.
    pub async fn take_back(
        &self,
        actor: &AuthUser,
        conversation: ConversationId,
        end: bool,
    ) -> AppResult<TakeBack> {
        let target = self.target_of(conversation).await?;
        let client = self
            .clients
            .kf_for_request(target.channel)
            .await?
            .ok_or_else(not_wecom)?;
        let asked_at = self.clock.now();
        let state = client
            .service_state(&target.open_kfid, &target.customer)
            .await
            .map_err(|err| wecom_refused(&err, "did not say who has the session"))?;
        let holder = state
            .servicer_userid
            .filter(|s| !s.is_empty() && state.service_state == SessionState::Servicer);
        let now = self.clock.now();
        let (hold, change) = match state.service_state {
            SessionState::New => {
                client
                    .change_state(&StateChange {
                        open_kfid: target.open_kfid.clone(),
                        external_userid: target.customer.clone(),
                        service_state: SessionState::Api,
                        servicer_userid: None,
                    })
                    .await
                    .map_err(|err| wecom_refused(&err, "did not hand the session over"))?;
                (KfHold::Inbox, Some(triage::wecom_taken_back(&actor.name)))
            }
            SessionState::Api => (KfHold::Inbox, None),
            SessionState::Ended => (KfHold::Ended, None),
            // §6.6: a queued session may only go to a servicer.
            SessionState::Queued => {
                return Err(AppError::conflict_because(
                    "wecom_queued",
                    "This session waits in WeCom's queue, which only hands it to a servicer; the inbox cannot take it back.",
                ))
            }
            SessionState::Servicer if !end => {
                if let Some(servicer) = &holder {
                    self.store
                        .record_kf_session(
                            now,
                            target.channel,
                            target.customer.as_str(),
                            KfHold::Servicer(servicer),
                        )
                        .await?;
                }
                return Ok(TakeBack::MustEnd { servicer: holder });
            }
            SessionState::Servicer => {
                // The closing code is not used: the conversation goes on.
                client
                    .end_session(&target.open_kfid, &target.customer)
                    .await
                    .map_err(|err| wecom_refused(&err, "did not end the session"))?;
                (
                    KfHold::Ended,
                    Some(triage::wecom_session_ended(&actor.name, holder.as_deref())),
                )
            }
        };
        crate::store::triage::log_kf_session(
            &self.store,
            now,
            actor.id,
            conversation,
            (target.channel, target.customer.as_str(), hold, asked_at),
            change,
        )
        .await?;
        Ok(match hold {
            KfHold::Ended => TakeBack::Ended,
            _ => TakeBack::Inbox,
        })
    }

    /// The account and client of a WeCom conversation.
    async fn target_of(&self, conversation: ConversationId) -> AppResult<Target> {
        let (channel, customer) = self
            .store
            .conversation_client(conversation)
            .await?
            .ok_or(AppError::NotFound("That conversation"))?;
        let open_kfid = self
            .store
            .kf_account_of(conversation)
            .await?
            .ok_or_else(not_wecom)?;
        Ok(Target {
            channel,
            open_kfid: OpenKfId::new(open_kfid),
            customer: ExternalUserId::new(customer),
        })
    }
}

/// What taking a session back did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TakeBack {
    /// The inbox has the session and may send.
    Inbox,
    /// The session ended; the client's next message comes to the inbox.
    Ended,
    /// A servicer (or WeCom's queue) has it: WeCom allows only ending it.
    MustEnd { servicer: Option<String> },
}

fn not_wecom() -> AppError {
    AppError::conflict_because(
        "not_wecom",
        "Only a WeCom Customer Service conversation has a WeCom session to take back.",
    )
}

fn wecom_refused(err: &ApiError, what: &str) -> AppError {
    if err.is_ambiguous() {
        return AppError::Unavailable;
    }
    AppError::conflict_because("wechat_refused", format!("WeCom {what} ({}).", err.code()))
}
