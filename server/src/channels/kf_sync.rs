//! The `wecom.kf.sync` job: pulls one Customer Service account's messages
//! with `kf/sync_msg` (PROTOCOL.md §6.3) after a callback said "pull".
//!
//! One node at a time pulls an account (the lease in `kf_accounts`); each
//! page's entries and the next cursor are committed in one transaction
//! fenced by that lease, so the cursor is never ahead of what is stored and
//! a crash replays at most the page in flight, which dedupe by `msgid`
//! absorbs. Callbacks that arrive during a pull make it run one more pass.
//!
//! Every entry goes down the same store path as an Official Account push
//! (dedupe, contact, conversation, event): customer messages open the reply
//! window; system events and messages a servicer typed in the WeCom client
//! are kept in the record as events.

use crate::channels::clients::Clients;
use crate::clock::Clock;
use crate::store::events::append;
use crate::store::inbox::{store_inbound_batch, Inbound, Written};
use crate::store::jobs::Job;
use crate::store::jobs::{enqueue, NewJob};
use crate::store::kf::{account_text, advance_cursor, AutoMessage, SyncStart, EVENT_MESSAGE_JOB};
use crate::store::Store;
use shared::{ChannelId, MessageId, TeamId};
use std::time::Duration;
use wechat::kf::{
    send_failure_reason, KfBody, KfClient, KfEvent, KfMessage, Origin, SyncMsgRequest,
};
use wechat::message::OpenKfId;
use wechat::{Action, ApiError};

/// How long a pull holds the account before another node may take over;
/// renewed with every page. Longer than one page can take (a token fetch
/// and a `sync_msg`, each cut off at [`KF_CALL_TIMEOUT`]), so two nodes do
/// not pull at once; short enough that a node that died mid-pull holds the
/// account up only briefly. A pull that outlives it anyway is safe: its
/// page is fenced off and it stops.
const LEASE: Duration = Duration::from_secs(45);
/// How long one call to WeCom may take (the client's timeout).
pub const KF_CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// A callback Token is good for 10 minutes; use it for a little less.
const TOKEN_LIFETIME_MS: i64 = 9 * 60 * 1000;
/// Passes one job makes before it yields (callbacks keep coming on a busy
/// account; the next job goes on).
const MAX_PASSES: usize = 20;
/// How long WeCom accepts a welcome code.
const WELCOME_CODE_MS: i64 = 20_000;
/// Pages one pass reads before it yields.
const MAX_PAGES: usize = 500;

#[derive(Clone)]
pub struct KfSyncer {
    pub store: Store,
    pub clients: Clients,
    pub clock: Clock,
}

/// The dedupe key of a sync entry.
pub fn dedupe_key(msgid: &str) -> String {
    format!("kf:{msgid}")
}

/// How an entry is stored: (kind, readable text, opens the reply window).
pub fn describe(entry: &KfMessage) -> (String, Option<String>, bool) {
    let customer = entry.origin == Origin::Customer;
    match (&entry.body, entry.origin) {
        (KfBody::Event(event), _) => ("event".into(), Some(event.event_type().to_owned()), false),
        // Typed by a servicer in the WeCom client: the team's words (the
        // timeline shows who, from `servicer_userid`), not the customer's.
        (body, Origin::Servicer) => (
            "servicer_message".into(),
            match body {
                KfBody::Text { content, .. } => Some(content.clone()),
                _ => None,
            },
            false,
        ),
        (KfBody::Text { content, .. }, _) => ("text".into(), Some(content.clone()), customer),
        (KfBody::Media { kind, .. }, _) => (kind.as_str().into(), None, customer),
        (KfBody::Location { name, address, .. }, _) => (
            "location".into(),
            Some(format!("{name} {address}").trim().to_owned()),
            customer,
        ),
        (KfBody::Link { title, url, .. }, _) => {
            ("link".into(), Some(format!("{title} {url}")), customer)
        }
        (KfBody::BusinessCard { .. }, _) => ("business_card".into(), None, customer),
        (KfBody::MiniProgram { title, .. }, _) => {
            ("miniprogram".into(), Some(title.clone()), customer)
        }
        (KfBody::MsgMenu { head_content, .. }, _) => {
            ("msgmenu".into(), Some(head_content.clone()), customer)
        }
        (KfBody::Other { msgtype }, _) => (msgtype.clone(), None, customer),
    }
}

/// The entry as a push to store; `None` for an entry that names no
/// customer (a servicer's status change: nothing of a client's).
pub fn inbound(channel: ChannelId, team: Option<TeamId>, entry: &KfMessage) -> Option<Inbound> {
    let customer = entry.external_userid.as_ref()?;
    let (kind, body, opens_window) = describe(entry);
    let media_id = match &entry.body {
        KfBody::Media { media_id, .. } if entry.origin == Origin::Customer => {
            Some(media_id.as_str().to_owned())
        }
        _ => None,
    };
    let search_terms = match &body {
        Some(text) if kind != "event" => crate::search::index_terms(text),
        _ => Vec::new(),
    };
    Some(Inbound {
        channel_id: channel,
        team,
        open_id: customer.as_str().to_owned(),
        dedupe_key: dedupe_key(entry.msgid.as_str()),
        kind,
        body,
        fields: entry.raw.clone(),
        opens_window,
        subscribed: None,
        media_id,
        search_terms,
    })
}

impl KfSyncer {
    /// `Err` asks the job queue to try again later.
    pub async fn run(&self, job: Job) -> Result<(), crate::jobs::Retry> {
        let channel: ChannelId = job.names("channel")?;
        let payload = job.payload_json()?;
        let open_kfid = payload["open_kfid"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or("the job names no open_kfid")?
            .to_owned();
        let client = match self.clients.kf(channel).await {
            Ok(Some(client)) => client,
            Ok(None) => return Ok(()),
            // Disconnected since: nothing to pull for.
            Err(reason) if reason.contains("no longer exists") => return Ok(()),
            Err(reason) => return Err(reason.into()),
        };
        let lease = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        let Some(mut start) = self
            .store
            .take_sync_lease(channel, &open_kfid, &lease, now, now + lease_ms())
            .await
            .map_err(|e| e.to_string())?
        else {
            // Another node is pulling. It runs one more pass for this
            // callback; this job waits in case that node died mid-pull.
            return Err(crate::jobs::Retry::after(
                "another node is pulling this account",
                LEASE,
            ));
        };
        let outcome = self
            .passes(&client, channel, &open_kfid, &lease, &mut start)
            .await;
        if outcome.is_err() {
            let _ = self
                .store
                .drop_sync_lease(channel, &open_kfid, &lease)
                .await;
        }
        outcome
    }

    async fn passes(
        &self,
        client: &KfClient,
        channel: ChannelId,
        open_kfid: &str,
        lease: &str,
        start: &mut SyncStart,
    ) -> Result<(), crate::jobs::Retry> {
        for _ in 0..MAX_PASSES {
            if !self.pass(client, channel, open_kfid, lease, start).await? {
                // The lease went to another node, whose pull goes on.
                return Ok(());
            }
            let now = self.clock.now();
            let released = self
                .store
                .finish_sync(channel, open_kfid, lease, start.sync_wanted, now)
                .await
                .map_err(|e| e.to_string())?;
            if released {
                return Ok(());
            }
            // Callbacks came during the pass: take their count and go again.
            // A lease lost meanwhile is another node's pull, which covers them.
            match self
                .store
                .take_sync_lease(channel, open_kfid, lease, now, now + lease_ms())
                .await
                .map_err(|e| e.to_string())?
            {
                Some(again) => *start = again,
                None => return Ok(()),
            }
        }
        Err(crate::jobs::Retry::after(
            "the account keeps receiving; the pull goes on in a moment",
            Duration::from_millis(100),
        ))
    }

    /// Pages from the stored cursor until `has_more` is 0; `false` when the
    /// lease was lost on the way (another node pulls now).
    async fn pass(
        &self,
        client: &KfClient,
        channel: ChannelId,
        open_kfid: &str,
        lease: &str,
        start: &SyncStart,
    ) -> Result<bool, crate::jobs::Retry> {
        let mut cursor = start.sync_cursor.clone();
        let mut token = start.sync_token.clone().filter(|_| {
            start
                .sync_token_at
                .is_some_and(|at| self.clock.now() - at < TOKEN_LIFETIME_MS)
        });
        let team = start.team();
        for _ in 0..MAX_PAGES {
            let request =
                SyncMsgRequest::new(OpenKfId::new(open_kfid), cursor.clone(), token.clone());
            let asked = std::time::Instant::now();
            let page = match client.sync_msg(&request).await {
                Ok(page) => page,
                // A Token WeCom no longer takes: ask without it.
                Err(ApiError::Other { code: 95007, .. }) if token.is_some() => {
                    if let Some(refused) = token.take() {
                        let _ = self
                            .store
                            .forget_sync_token(channel, open_kfid, &refused)
                            .await;
                    }
                    continue;
                }
                Err(err) => return Err(retry_for(&err)),
            };
            let entries: Vec<(&KfMessage, Inbound)> = page
                .msg_list
                .iter()
                .filter_map(|entry| Some((entry, inbound(channel, team, entry)?)))
                .collect();
            // The rest name no client: kept as events of the estate.
            let unnamed: Vec<&KfMessage> = page
                .msg_list
                .iter()
                .filter(|entry| entry.external_userid.is_none())
                .collect();
            let fetched = asked.elapsed();
            if !self
                .commit_page(
                    channel,
                    open_kfid,
                    lease,
                    &entries,
                    &unnamed,
                    &page.next_cursor,
                )
                .await?
            {
                return Ok(false);
            }
            // Where a pull's time goes: WeCom's page, or storing it.
            tracing::debug!(
                entries = page.msg_list.len(),
                fetch_ms = fetched.as_millis() as u64,
                store_ms = (asked.elapsed() - fetched).as_millis() as u64,
                "stored a WeCom page"
            );
            cursor = page.next_cursor;
            if !page.has_more {
                return Ok(true);
            }
        }
        // A long backlog: the next job run goes on from the stored cursor.
        Err(crate::jobs::Retry::after(
            "more pages wait; the pull goes on in a moment",
            Duration::from_millis(100),
        ))
    }

    /// Stores a page, applies what its new events say (a send that failed,
    /// a message recalled), and moves the cursor, in one transaction, then
    /// renews the lease; `false` when the lease was lost (nothing of the
    /// page is committed then, or the next page is not asked for).
    async fn commit_page(
        &self,
        channel: ChannelId,
        open_kfid: &str,
        lease: &str,
        entries: &[(&KfMessage, Inbound)],
        unnamed: &[&KfMessage],
        next_cursor: &str,
    ) -> Result<bool, crate::jobs::Retry> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await.map_err(fail)?;
        let refs: Vec<&Inbound> = entries.iter().map(|(_, push)| push).collect();
        let written = if refs.is_empty() {
            Vec::new()
        } else {
            store_inbound_batch(&mut tx, now, &refs)
                .await
                .map_err(fail)?
                .ok_or("a copy of an entry was stored meanwhile")?
        };
        let mut events = Vec::new();
        for (i, ((entry, _), written)) in entries.iter().zip(written).enumerate() {
            if let Written::New(_, event) = written {
                events.push(event);
                // A client who wrote after their session ended in this same
                // page has a new session (state 0) already.
                let wrote_after = entries[i + 1..].iter().any(|(later, _)| {
                    later.origin == Origin::Customer
                        && later.event().is_none()
                        && later.external_userid == entry.external_userid
                });
                apply(&mut tx, now, channel, entry, wrote_after)
                    .await
                    .map_err(fail)?;
            }
        }
        for entry in unnamed {
            let first = crate::store::kf::record_entry(&mut tx, channel, entry.msgid.as_str())
                .await
                .map_err(fail)?;
            if first {
                let payload = serde_json::json!({
                    "channel": channel,
                    "open_kfid": open_kfid,
                    "msgid": entry.msgid,
                    "entry": entry.raw,
                });
                events.push(crate::store::events::NewEvent::new(
                    "wecom.entry",
                    None,
                    payload,
                ));
            }
        }
        if !advance_cursor(&mut tx, channel, open_kfid, lease, next_cursor)
            .await
            .map_err(fail)?
        {
            // Rolled back: the node that holds the lease stores this page.
            return Ok(false);
        }
        let appending = std::time::Instant::now();
        append(&mut tx, now, &events).await.map_err(fail)?;
        let appended = appending.elapsed();
        self.store.commit(tx).await.map_err(fail)?;
        tracing::debug!(
            events = events.len(),
            append_us = appended.as_micros() as u64,
            commit_us = (appending.elapsed() - appended).as_micros() as u64,
            "committed a WeCom page"
        );
        // Only a lease still ours is renewed for the next page.
        self.store
            .renew_sync_lease(channel, open_kfid, lease, now + lease_ms())
            .await
            .map_err(fail)
    }
}

/// What a newly stored event changes beyond itself: our message that WeCom
/// did not deliver is failed with the reason; a recalled message is marked.
async fn apply(
    tx: &mut crate::store::Tx,
    now: i64,
    channel: ChannelId,
    entry: &KfMessage,
    client_wrote_after: bool,
) -> crate::error::AppResult<()> {
    match entry.event() {
        Some(KfEvent::MsgSendFail {
            fail_msgid,
            fail_type,
        }) => {
            // Our sends carry the message id as msgid; others (a welcome
            // sent on an event code) are not messages of ours.
            if let Ok(id) = fail_msgid.as_str().parse::<MessageId>() {
                let sentence = format!(
                    "WeCom did not deliver this message: {}",
                    send_failure_reason(*fail_type)
                );
                crate::store::outbound::mark_undelivered(tx, now, id, &sentence).await?;
            }
        }
        // The customer opened the chat and WeCom offers one welcome: sent
        // by a job at once, if the account has a welcome message.
        Some(KfEvent::EnterSession {
            welcome_code: Some(code),
            ..
        }) => {
            let (Some(open_kfid), Some(customer)) = (&entry.open_kfid, &entry.external_userid)
            else {
                return Ok(());
            };
            let welcome =
                account_text(tx, channel, open_kfid.as_str(), AutoMessage::Welcome).await?;
            if welcome.is_some() {
                let payload = serde_json::json!({
                    "channel": channel,
                    "open_kfid": open_kfid,
                    "customer": customer,
                    "code": code,
                    "purpose": AutoMessage::Welcome.as_str(),
                    "deadline": now + WELCOME_CODE_MS,
                });
                let job = NewJob {
                    max_attempts: 3,
                    ..NewJob::now(EVENT_MESSAGE_JOB, payload, now)
                };
                enqueue(tx, now, &job).await?;
            }
        }
        // Who holds the session in the WeCom client: taken (1), moved (2)
        // or re-joined (4) by a servicer; ended (3) by anyone.
        Some(KfEvent::SessionStatusChange {
            change_type,
            new_servicer_userid,
            ..
        }) => {
            if let Some(customer) = &entry.external_userid {
                use crate::store::outbound::KfHold;
                let hold = match (change_type, new_servicer_userid.as_deref()) {
                    (3, _) if client_wrote_after => KfHold::Inbox,
                    (3, _) => KfHold::Ended,
                    (_, Some(servicer)) if !servicer.is_empty() => KfHold::Servicer(servicer),
                    _ => KfHold::Inbox,
                };
                crate::store::outbound::set_kf_session(tx, now, channel, customer.as_str(), hold)
                    .await?;
            }
        }
        Some(
            KfEvent::UserRecallMsg { recall_msgid }
            | KfEvent::ServicerRecallMsg { recall_msgid, .. },
        ) => {
            let key = dedupe_key(recall_msgid.as_str());
            crate::store::outbound::mark_recalled(tx, now, channel, &key).await?;
        }
        _ => {}
    }
    Ok(())
}

/// A failed store call as a reason to try the job again.
fn fail(err: impl std::fmt::Display) -> crate::jobs::Retry {
    crate::jobs::Retry::from(err.to_string())
}

fn lease_ms() -> i64 {
    LEASE.as_millis() as i64
}

/// What to do after a failed `sync_msg`.
fn retry_for(err: &ApiError) -> crate::jobs::Retry {
    let reason = format!("kf/sync_msg failed ({})", err.code());
    match err.action() {
        Action::Retry(backoff) => crate::jobs::Retry::after(reason, backoff.first_delay),
        _ => reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: serde_json::Value) -> KfMessage {
        KfMessage::from_value(value).expect("an entry")
    }

    #[test]
    fn a_customer_message_opens_the_window_and_a_servicers_does_not() {
        let customer = entry(
            json!({"msgid": "m1", "open_kfid": "wk", "external_userid": "wm",
            "origin": 3, "msgtype": "text", "text": {"content": "你好"}}),
        );
        let push = inbound(ChannelId(uuid::Uuid::nil()), None, &customer).expect("stored");
        assert_eq!((push.kind.as_str(), push.opens_window), ("text", true));
        assert_eq!(push.dedupe_key, "kf:m1");
        assert_eq!(push.open_id, "wm");

        let servicer = entry(
            json!({"msgid": "m2", "open_kfid": "wk", "external_userid": "wm",
            "origin": 5, "servicer_userid": "zhangsan", "msgtype": "text", "text": {"content": "我來"}}),
        );
        let push = inbound(ChannelId(uuid::Uuid::nil()), None, &servicer).expect("stored");
        assert_eq!(
            (push.kind.as_str(), push.opens_window),
            ("servicer_message", false)
        );
        assert_eq!(push.fields["servicer_userid"], "zhangsan");
    }

    #[test]
    fn media_is_fetched_and_unknown_types_are_kept() {
        let image = entry(json!({"msgid": "m3", "external_userid": "wm", "origin": 3,
            "msgtype": "image", "image": {"media_id": "MEDIA"}}));
        let push = inbound(ChannelId(uuid::Uuid::nil()), None, &image).expect("stored");
        assert_eq!(push.media_id.as_deref(), Some("MEDIA"));

        let channels = entry(json!({"msgid": "m4", "external_userid": "wm", "origin": 3,
            "msgtype": "channels", "channels": {"nickname": "x"}}));
        let push = inbound(ChannelId(uuid::Uuid::nil()), None, &channels).expect("kept");
        assert_eq!(push.kind, "channels");
        assert_eq!(push.fields["channels"]["nickname"], "x");
    }

    #[test]
    fn a_servicer_status_change_names_no_client() {
        let status = entry(json!({"msgid": "e1", "origin": 4, "msgtype": "event",
            "event": {"event_type": "servicer_status_change", "servicer_userid": "z", "status": 2,
                      "open_kfid": "wk"}}));
        assert!(inbound(ChannelId(uuid::Uuid::nil()), None, &status).is_none());
    }
}
