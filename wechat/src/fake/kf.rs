//! The fake's WeCom Customer Service (PROTOCOL.md §6), free of HTTP:
//! organisations and their accounts, customers, sessions with the 0-4 state
//! machine, the per-account message log that `kf/sync_msg` pages through,
//! what each customer received, and single-use event codes.
//!
//! Rules enforced: sends only in states 0/1 (95018); sends are accepted and
//! then fail with a `msg_send_fail` event outside the 48-hour window
//! (`fail_type` 4) or past 5 messages in it (6), as WeChat reports them; a
//! repeated `msgid` is answered again without a second delivery; text empty
//! (44004) or over 2048 bytes (45002); unknown customers (40096) and
//! accounts (95000); transitions outside the table of §6.6 (95016); codes
//! single use, welcome and closing codes for 20 s, others 48 h and only
//! while the session is still in the state that produced them (95015 here:
//! PROTOCOL.md names no code for that); entries kept about 3 days; cursors
//! and `has_more` paging, with empty pages on request; `sync_msg` without a
//! callback token is limited to a few calls a minute (45009).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use serde_json::{json, Value};

use super::state::Refusal;
use crate::clock::UnixMillis;
use crate::kf::{KfCallbackConfig, SessionState, MAX_SYNC_LIMIT, MAX_TEXT_BYTES};
use crate::message::{CorpId, ExternalUserId, KfMsgId, OpenKfId};

/// How long the customer's message keeps the window open.
pub const KF_WINDOW: Duration = Duration::from_secs(48 * 3600);
/// Messages we may send per window.
pub const KF_WINDOW_MESSAGES: u32 = 5;
/// How long `sync_msg` keeps entries.
pub const KF_RETENTION: Duration = Duration::from_secs(3 * 24 * 3600);
/// How long a callback's `Token` is accepted by `sync_msg`.
pub const SYNC_TOKEN_LIFETIME: Duration = Duration::from_secs(600);
/// Welcome and closing codes.
pub const SHORT_CODE_LIFETIME: Duration = Duration::from_secs(20);
/// Queue and taken-over codes.
pub const LONG_CODE_LIFETIME: Duration = Duration::from_secs(48 * 3600);
/// `sync_msg` calls a minute an organisation may make without a token.
pub const UNTOKENED_SYNCS_PER_MINUTE: usize = 10;

/// How long WeCom waits for a callback's answer.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Retries after a callback that was not answered 200 in time.
pub const CALLBACK_RETRIES: u32 = 3;

const fn refuse(code: i64, message: &'static str) -> Refusal {
    Refusal { code, message }
}

/// A message a fake customer received.
#[derive(Debug, Clone, PartialEq)]
pub struct KfReceived {
    pub open_kfid: OpenKfId,
    pub external_userid: ExternalUserId,
    pub msgid: KfMsgId,
    pub at: UnixMillis,
    pub msgtype: String,
    /// The request body as sent.
    pub body: Value,
    /// Whether it reached the customer (false when WeChat accepted it and
    /// then reported `msg_send_fail`).
    pub delivered: bool,
    /// Sent with an event code (`send_msg_on_event`).
    pub on_event: bool,
}

impl KfReceived {
    /// `text.content`, for text messages.
    pub fn text(&self) -> Option<&str> {
        self.body.pointer("/text/content").and_then(Value::as_str)
    }
}

/// Where an organisation's callbacks go.
#[derive(Debug, Clone)]
pub struct CallbackTarget {
    pub url: String,
    pub config: KfCallbackConfig,
}

/// A callback the fake owes an organisation.
#[derive(Debug, Clone)]
pub struct PendingCallback {
    pub target: CallbackTarget,
    pub open_kfid: OpenKfId,
    pub token: String,
    pub at: UnixMillis,
}

struct Account {
    corpid: CorpId,
    name: String,
}

struct Customer {
    nickname: String,
    unionid: Option<String>,
}

struct Session {
    state: SessionState,
    servicer: Option<String>,
    last_customer_at: Option<UnixMillis>,
    sent_in_window: u32,
    /// When we last wrote (for whether `enter_session` offers a welcome).
    last_ours_at: Option<UnixMillis>,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            state: SessionState::Ended,
            servicer: None,
            last_customer_at: None,
            sent_in_window: 0,
            last_ours_at: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeKind {
    Welcome,
    Notice(SessionState),
}

struct Code {
    open_kfid: OpenKfId,
    external_userid: ExternalUserId,
    kind: CodeKind,
    expires_at: UnixMillis,
    used: bool,
}

struct Entry {
    seq: u64,
    open_kfid: OpenKfId,
    at: UnixMillis,
    body: Value,
}

/// Everything the fake remembers about WeCom Customer Service.
#[derive(Default)]
pub struct KfWorld {
    accounts: BTreeMap<OpenKfId, Account>,
    callbacks: HashMap<CorpId, CallbackTarget>,
    customers: HashMap<ExternalUserId, Customer>,
    sessions: HashMap<(OpenKfId, ExternalUserId), Session>,
    servicers: HashMap<(OpenKfId, String), bool>,
    log: Vec<Entry>,
    next_seq: u64,
    next_id: u64,
    cursor_nonce: u64,
    codes: HashMap<String, Code>,
    sync_tokens: HashMap<String, (CorpId, UnixMillis)>,
    untokened_syncs: HashMap<CorpId, Vec<UnixMillis>>,
    empty_pages: HashMap<OpenKfId, u32>,
    sent_ids: HashSet<(OpenKfId, KfMsgId)>,
    received: Vec<KfReceived>,
    pending: Vec<PendingCallback>,
}

impl KfWorld {
    fn unique(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        let salt: u32 = rand::random();
        format!("{prefix}{}{salt:08x}", self.next_id)
    }

    pub fn set_callback(&mut self, corpid: &CorpId, target: CallbackTarget) {
        self.callbacks.insert(corpid.clone(), target);
    }

    pub fn add_account(&mut self, corpid: &CorpId, name: &str) -> OpenKfId {
        let open_kfid = OpenKfId::new(self.unique("wkFAKE"));
        self.add_account_as(corpid, open_kfid, name)
    }

    pub fn add_account_as(&mut self, corpid: &CorpId, open_kfid: OpenKfId, name: &str) -> OpenKfId {
        self.accounts.insert(
            open_kfid.clone(),
            Account {
                corpid: corpid.clone(),
                name: name.to_owned(),
            },
        );
        open_kfid
    }

    pub fn add_customer(&mut self, nickname: &str, unionid: Option<&str>) -> ExternalUserId {
        let id = ExternalUserId::new(self.unique("wmFAKE"));
        self.customers.insert(
            id.clone(),
            Customer {
                nickname: nickname.to_owned(),
                unionid: unionid.map(str::to_owned),
            },
        );
        id
    }

    pub fn set_servicer(&mut self, open_kfid: &OpenKfId, userid: &str, receiving: bool) {
        self.servicers
            .insert((open_kfid.clone(), userid.to_owned()), receiving);
    }

    /// The organisation an account belongs to.
    pub fn corp_of(&self, open_kfid: &OpenKfId) -> Option<CorpId> {
        self.accounts.get(open_kfid).map(|a| a.corpid.clone())
    }

    pub fn take_pending(&mut self) -> Vec<PendingCallback> {
        std::mem::take(&mut self.pending)
    }

    pub fn received(&self, external_userid: &ExternalUserId) -> Vec<KfReceived> {
        self.received
            .iter()
            .filter(|r| &r.external_userid == external_userid)
            .cloned()
            .collect()
    }

    pub fn state_of(&self, open_kfid: &OpenKfId, customer: &ExternalUserId) -> SessionState {
        self.sessions
            .get(&(open_kfid.clone(), customer.clone()))
            .map_or(SessionState::Ended, |s| s.state)
    }

    /// The msgids of `open_kfid`'s entries a `sync_msg` cursor has passed
    /// (everything before it), oldest first; `None` for a cursor this fake
    /// did not issue.
    pub fn passed_by(&self, open_kfid: &OpenKfId, cursor: &str) -> Option<Vec<KfMsgId>> {
        let through = if cursor.is_empty() {
            0
        } else {
            parse_cursor(cursor)?
        };
        Some(
            self.log
                .iter()
                .filter(|e| &e.open_kfid == open_kfid && e.seq <= through)
                .filter_map(|e| e.body.get("msgid").and_then(Value::as_str))
                .map(KfMsgId::new)
                .collect(),
        )
    }

    pub fn insert_empty_pages(&mut self, open_kfid: &OpenKfId, pages: u32) {
        *self.empty_pages.entry(open_kfid.clone()).or_default() += pages;
    }

    /// The account, checked to belong to `corpid`.
    fn account(&self, corpid: &CorpId, open_kfid: &OpenKfId) -> Result<&Account, Refusal> {
        self.accounts
            .get(open_kfid)
            .filter(|a| &a.corpid == corpid)
            .ok_or(refuse(95000, "invalid open_kfid"))
    }

    fn customer(&self, id: &ExternalUserId) -> Result<&Customer, Refusal> {
        self.customers
            .get(id)
            .ok_or(refuse(40096, "invalid external userid"))
    }

    fn session(&mut self, open_kfid: &OpenKfId, customer: &ExternalUserId) -> &mut Session {
        self.sessions
            .entry((open_kfid.clone(), customer.clone()))
            .or_default()
    }

    /// Appends an entry to the log and owes the organisation a callback.
    fn append(&mut self, open_kfid: &OpenKfId, at: UnixMillis, mut body: Value) -> KfMsgId {
        let msgid = match body.get("msgid").and_then(Value::as_str) {
            Some(id) => KfMsgId::new(id),
            None => {
                let id = KfMsgId::new(self.unique("fake_msgid_"));
                body["msgid"] = json!(id);
                id
            }
        };
        body["send_time"] = json!(at.as_secs());
        self.next_seq += 1;
        self.log.push(Entry {
            seq: self.next_seq,
            open_kfid: open_kfid.clone(),
            at,
            body,
        });
        let corpid = self.accounts.get(open_kfid).map(|a| a.corpid.clone());
        if let Some(target) = corpid.and_then(|c| self.callbacks.get(&c).cloned()) {
            let token = self.unique("ENCFAKE");
            if let Some(corpid) = self.accounts.get(open_kfid).map(|a| a.corpid.clone()) {
                self.sync_tokens.insert(token.clone(), (corpid, at));
            }
            self.pending.push(PendingCallback {
                target,
                open_kfid: open_kfid.clone(),
                token,
                at,
            });
        }
        msgid
    }

    /// The customer writes (`origin` 3): the session wakes (4 → 0) and a
    /// fresh window with 5 messages opens.
    pub fn customer_says(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        msgtype: &str,
        payload: Value,
        at: UnixMillis,
    ) -> KfMsgId {
        let session = self.session(open_kfid, customer);
        if session.state == SessionState::Ended {
            session.state = SessionState::New;
            session.servicer = None;
        }
        session.last_customer_at = Some(at);
        session.sent_in_window = 0;
        self.append(
            open_kfid,
            at,
            json!({"open_kfid": open_kfid, "external_userid": customer, "origin": 3,
                   "msgtype": msgtype, msgtype: payload}),
        )
    }

    /// A servicer types in the WeCom client (`origin` 5).
    pub fn servicer_says(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        servicer: &str,
        content: &str,
        at: UnixMillis,
    ) -> KfMsgId {
        self.append(
            open_kfid,
            at,
            json!({"open_kfid": open_kfid, "external_userid": customer, "origin": 5,
                   "servicer_userid": servicer, "msgtype": "text", "text": {"content": content}}),
        )
    }

    fn event(&mut self, open_kfid: &OpenKfId, at: UnixMillis, event: Value) -> KfMsgId {
        self.append(
            open_kfid,
            at,
            json!({"origin": 4, "msgtype": "event", "event": event}),
        )
    }

    fn issue_code(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        kind: CodeKind,
        at: UnixMillis,
    ) -> String {
        let lifetime = match kind {
            CodeKind::Welcome | CodeKind::Notice(SessionState::Ended) => SHORT_CODE_LIFETIME,
            CodeKind::Notice(_) => LONG_CODE_LIFETIME,
        };
        let code = self.unique("FAKECODE_");
        self.codes.insert(
            code.clone(),
            Code {
                open_kfid: open_kfid.clone(),
                external_userid: customer.clone(),
                kind,
                expires_at: at.plus(lifetime),
                used: false,
            },
        );
        code
    }

    /// The customer opens the chat. A welcome code comes with it when we
    /// have not written in 48 hours; returns it.
    pub fn enter_session(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        scene: &str,
        at: UnixMillis,
    ) -> Option<String> {
        let recently_ours = self
            .session(open_kfid, customer)
            .last_ours_at
            .is_some_and(|t| at < t.plus(KF_WINDOW));
        let code =
            (!recently_ours).then(|| self.issue_code(open_kfid, customer, CodeKind::Welcome, at));
        let mut event = json!({"event_type": "enter_session", "open_kfid": open_kfid,
            "external_userid": customer, "scene": scene, "scene_param": ""});
        if let Some(code) = &code {
            event["welcome_code"] = json!(code);
        }
        self.event(open_kfid, at, event);
        code
    }

    /// The customer recalls one of their messages.
    pub fn recall(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        msgid: &KfMsgId,
        at: UnixMillis,
    ) {
        self.event(
            open_kfid,
            at,
            json!({"event_type": "user_recall_msg", "open_kfid": open_kfid,
                   "external_userid": customer, "recall_msgid": msgid}),
        );
    }

    /// A servicer takes the session in the WeCom client (→ 3).
    pub fn servicer_takes(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        servicer: &str,
        at: UnixMillis,
    ) {
        let session = self.session(open_kfid, customer);
        let old = session.servicer.replace(servicer.to_owned());
        session.state = SessionState::Servicer;
        let code = self.issue_code(
            open_kfid,
            customer,
            CodeKind::Notice(SessionState::Servicer),
            at,
        );
        let mut event = json!({"event_type": "session_status_change", "open_kfid": open_kfid,
            "external_userid": customer, "change_type": 1, "new_servicer_userid": servicer,
            "msg_code": code});
        if let Some(old) = old {
            event["old_servicer_userid"] = json!(old);
            event["change_type"] = json!(2);
        }
        self.event(open_kfid, at, event);
    }

    /// The servicer ends the session in the WeCom client (→ 4).
    pub fn servicer_ends(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        at: UnixMillis,
    ) {
        let session = self.session(open_kfid, customer);
        let old = session.servicer.take();
        session.state = SessionState::Ended;
        self.event(
            open_kfid,
            at,
            json!({"event_type": "session_status_change", "open_kfid": open_kfid,
                   "external_userid": customer, "change_type": 3,
                   "old_servicer_userid": old.unwrap_or_default()}),
        );
    }

    /// A servicer starts (1) or stops (2) receiving: an event naming no
    /// customer.
    pub fn servicer_status(
        &mut self,
        open_kfid: &OpenKfId,
        servicer: &str,
        status: i64,
        at: UnixMillis,
    ) {
        self.set_servicer(open_kfid, servicer, status == 1);
        self.event(
            open_kfid,
            at,
            json!({"event_type": "servicer_status_change", "servicer_userid": servicer,
                   "status": status, "open_kfid": open_kfid}),
        );
    }

    /// A servicer holds the session (state 3) and WeCom has not yet told
    /// anyone (its event is still on the way).
    pub fn hold_quietly(
        &mut self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        servicer: &str,
    ) {
        let session = self.session(open_kfid, customer);
        session.state = SessionState::Servicer;
        session.servicer = Some(servicer.to_owned());
    }

    /// WeChat reports that a message we sent was not delivered.
    pub fn fail_delivery(&mut self, msgid: &KfMsgId, fail_type: i64, at: UnixMillis) -> bool {
        let Some(sent) = self
            .received
            .iter_mut()
            .find(|r| &r.msgid == msgid && r.delivered)
        else {
            return false;
        };
        sent.delivered = false;
        let (open_kfid, customer) = (sent.open_kfid.clone(), sent.external_userid.clone());
        self.event(
            &open_kfid,
            at,
            json!({"event_type": "msg_send_fail", "open_kfid": open_kfid,
                   "external_userid": customer, "fail_msgid": msgid, "fail_type": fail_type}),
        );
        true
    }

    /// Accepts a sync `token` from a callback, or counts an untokened call.
    fn admit_sync(&mut self, corpid: &CorpId, token: &str, now: UnixMillis) -> Result<(), Refusal> {
        if !token.is_empty() {
            return match self.sync_tokens.get(token) {
                Some((owner, issued))
                    if owner == corpid && now < issued.plus(SYNC_TOKEN_LIFETIME) =>
                {
                    Ok(())
                }
                _ => Err(refuse(95007, "invalid msg token")),
            };
        }
        let calls = self.untokened_syncs.entry(corpid.clone()).or_default();
        calls.retain(|t| now < t.plus(Duration::from_secs(60)));
        if calls.len() >= UNTOKENED_SYNCS_PER_MINUTE {
            return Err(refuse(45009, "api freq out of limit"));
        }
        calls.push(now);
        Ok(())
    }

    fn cursor(&mut self, seq: u64) -> String {
        self.cursor_nonce += 1;
        format!("C{seq:x}N{:x}", self.cursor_nonce)
    }

    /// `kf/sync_msg`.
    pub fn sync_msg(
        &mut self,
        corpid: &CorpId,
        body: &Value,
        now: UnixMillis,
    ) -> Result<Value, Refusal> {
        let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
        let open_kfid = Some(text("open_kfid"))
            .filter(|id| !id.is_empty())
            .map(OpenKfId::new);
        if let Some(open_kfid) = &open_kfid {
            self.account(corpid, open_kfid)?;
        }
        let limit = match body.get("limit").and_then(Value::as_u64) {
            None => MAX_SYNC_LIMIT as usize,
            Some(n @ 1..=1000) => n as usize,
            Some(_) => return Err(refuse(40058, "invalid limit")),
        };
        let cursor = text("cursor");
        if cursor.len() > 64 {
            return Err(refuse(40058, "invalid cursor"));
        }
        let after = if cursor.is_empty() {
            0
        } else {
            parse_cursor(cursor).ok_or(refuse(40058, "invalid cursor"))?
        };
        self.admit_sync(corpid, text("token"), now)?;
        if let Some(pending) = open_kfid
            .as_ref()
            .and_then(|id| self.empty_pages.get_mut(id))
        {
            if *pending > 0 {
                *pending -= 1;
                let next = self.cursor(after);
                return Ok(json!({"errcode": 0, "errmsg": "ok", "next_cursor": next,
                                 "has_more": 1, "msg_list": []}));
            }
        }
        let accounts = &self.accounts;
        let kept_from = UnixMillis(now.0.saturating_sub(KF_RETENTION.as_millis() as i64));
        let mut matching = self.log.iter().filter(|e| {
            e.seq > after
                && e.at >= kept_from
                && match &open_kfid {
                    Some(id) => &e.open_kfid == id,
                    None => accounts
                        .get(&e.open_kfid)
                        .is_some_and(|a| &a.corpid == corpid),
                }
        });
        let page: Vec<&Entry> = matching.by_ref().take(limit).collect();
        let has_more = matching.next().is_some();
        let last = page.last().map_or(after, |e| e.seq);
        let msg_list: Vec<Value> = page.iter().map(|e| e.body.clone()).collect();
        let next = self.cursor(last);
        Ok(json!({"errcode": 0, "errmsg": "ok", "next_cursor": next,
                  "has_more": i32::from(has_more), "msg_list": msg_list}))
    }

    fn check_content(msgtype: &str, payload: &Value) -> Result<(), Refusal> {
        match msgtype {
            "text" => match payload
                .get("content")
                .and_then(Value::as_str)
                .map_or(0, str::len)
            {
                0 => Err(refuse(44004, "empty content")),
                n if n > MAX_TEXT_BYTES => Err(refuse(45002, "content size out of limit")),
                _ => Ok(()),
            },
            "image" | "voice" | "video" | "file" | "link" | "miniprogram" | "msgmenu"
            | "location"
                if payload.is_object() =>
            {
                Ok(())
            }
            _ => Err(refuse(40008, "invalid message type")),
        }
    }

    fn outbound_msgid(&mut self, body: &Value) -> Result<KfMsgId, Refusal> {
        match body.get("msgid") {
            None => Ok(KfMsgId::new(self.unique("fake_out_"))),
            Some(Value::String(id)) if KfMsgId::new(id.as_str()).is_valid_outbound() => {
                Ok(KfMsgId::new(id.as_str()))
            }
            Some(_) => Err(refuse(40058, "invalid msgid")),
        }
    }

    /// `kf/send_msg`.
    pub fn send_msg(
        &mut self,
        corpid: &CorpId,
        body: Value,
        now: UnixMillis,
    ) -> Result<Value, Refusal> {
        let text = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let open_kfid = OpenKfId::new(text("open_kfid"));
        self.account(corpid, &open_kfid)?;
        let customer = ExternalUserId::new(text("touser"));
        self.customer(&customer)?;
        let msgid = self.outbound_msgid(&body)?;
        if self.sent_ids.contains(&(open_kfid.clone(), msgid.clone())) {
            // The same msgid again: WeChat already has it; nothing is sent twice.
            return Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}));
        }
        let msgtype = text("msgtype");
        Self::check_content(&msgtype, body.get(&msgtype).unwrap_or(&Value::Null))?;
        let session = self.session(&open_kfid, &customer);
        if !session.state.api_may_send() {
            return Err(refuse(95018, "send msg session status invalid"));
        }
        let fail_type = match session.last_customer_at {
            Some(last) if now < last.plus(KF_WINDOW) => {
                (session.sent_in_window >= KF_WINDOW_MESSAGES).then_some(6)
            }
            _ => Some(4),
        };
        if fail_type.is_none() {
            session.sent_in_window += 1;
            session.last_ours_at = Some(now);
            session.state = SessionState::Api;
        }
        self.sent_ids.insert((open_kfid.clone(), msgid.clone()));
        self.received.push(KfReceived {
            open_kfid: open_kfid.clone(),
            external_userid: customer.clone(),
            msgid: msgid.clone(),
            at: now,
            msgtype,
            body,
            delivered: true,
            on_event: false,
        });
        if let Some(fail_type) = fail_type {
            self.fail_delivery(&msgid, fail_type, now);
        }
        Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}))
    }

    /// `kf/send_msg_on_event`.
    pub fn send_msg_on_event(
        &mut self,
        corpid: &CorpId,
        body: Value,
        now: UnixMillis,
    ) -> Result<Value, Refusal> {
        let invalid = refuse(95015, "invalid msg code");
        let code_text = body
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let msgtype = body
            .get("msgtype")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let msgid = self.outbound_msgid(&body)?;
        let code = self.codes.get(&code_text).ok_or(invalid)?;
        let account_ok = self
            .accounts
            .get(&code.open_kfid)
            .is_some_and(|a| &a.corpid == corpid);
        if !account_ok || code.used || now >= code.expires_at {
            return Err(invalid);
        }
        let (open_kfid, customer, kind) = (
            code.open_kfid.clone(),
            code.external_userid.clone(),
            code.kind,
        );
        let allowed: &[&str] = match kind {
            CodeKind::Welcome | CodeKind::Notice(SessionState::Ended) => &["text", "msgmenu"],
            CodeKind::Notice(_) => &["text"],
        };
        if !allowed.contains(&msgtype.as_str()) {
            return Err(refuse(40008, "invalid message type"));
        }
        Self::check_content(&msgtype, body.get(&msgtype).unwrap_or(&Value::Null))?;
        if let CodeKind::Notice(state) = kind {
            if self.state_of(&open_kfid, &customer) != state {
                return Err(invalid);
            }
        }
        if let Some(code) = self.codes.get_mut(&code_text) {
            code.used = true;
        }
        self.session(&open_kfid, &customer).last_ours_at = Some(now);
        self.received.push(KfReceived {
            open_kfid,
            external_userid: customer,
            msgid: msgid.clone(),
            at: now,
            msgtype,
            body,
            delivered: true,
            on_event: true,
        });
        Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}))
    }

    fn session_key(
        &self,
        corpid: &CorpId,
        body: &Value,
    ) -> Result<(OpenKfId, ExternalUserId), Refusal> {
        let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
        let open_kfid = OpenKfId::new(text("open_kfid"));
        self.account(corpid, &open_kfid)?;
        let customer = ExternalUserId::new(text("external_userid"));
        self.customer(&customer)?;
        Ok((open_kfid, customer))
    }

    /// `kf/service_state/get`.
    pub fn service_state(&mut self, corpid: &CorpId, body: &Value) -> Result<Value, Refusal> {
        let (open_kfid, customer) = self.session_key(corpid, body)?;
        let session = self.session(&open_kfid, &customer);
        Ok(
            json!({"errcode": 0, "errmsg": "ok", "service_state": i64::from(session.state),
                  "servicer_userid": session.servicer.clone().unwrap_or_default()}),
        )
    }

    /// `kf/service_state/trans`.
    pub fn change_state(
        &mut self,
        corpid: &CorpId,
        body: &Value,
        now: UnixMillis,
    ) -> Result<Value, Refusal> {
        let (open_kfid, customer) = self.session_key(corpid, body)?;
        let to = body
            .get("service_state")
            .and_then(Value::as_i64)
            .and_then(|s| SessionState::try_from(s).ok())
            .ok_or(refuse(40058, "invalid service_state"))?;
        let servicer = body
            .get("servicer_userid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if to == SessionState::Servicer {
            let receiving = servicer
                .as_ref()
                .and_then(|s| self.servicers.get(&(open_kfid.clone(), s.clone())))
                .copied()
                .unwrap_or(false);
            if !receiving {
                return Err(refuse(95013, "servicer not receiving"));
            }
        }
        let from = self.state_of(&open_kfid, &customer);
        if !from.may_become(to) {
            return Err(refuse(95016, "invalid service state transition"));
        }
        let session = self.session(&open_kfid, &customer);
        session.state = to;
        session.servicer = if to == SessionState::Servicer {
            servicer
        } else {
            None
        };
        let code = matches!(
            to,
            SessionState::Queued | SessionState::Servicer | SessionState::Ended
        )
        .then(|| self.issue_code(&open_kfid, &customer, CodeKind::Notice(to), now));
        let mut answer = json!({"errcode": 0, "errmsg": "ok"});
        if let Some(code) = code {
            answer["msg_code"] = json!(code);
        }
        Ok(answer)
    }

    /// `kf/account/list`.
    pub fn account_list(&self, corpid: &CorpId, body: &Value) -> Result<Value, Refusal> {
        let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let limit = body
            .get("limit")
            .and_then(Value::as_u64)
            .unwrap_or(100)
            .clamp(1, 100) as usize;
        let list: Vec<Value> = self
            .accounts
            .iter()
            .filter(|(_, a)| &a.corpid == corpid)
            .skip(offset)
            .take(limit)
            .map(|(id, a)| json!({"open_kfid": id, "name": a.name, "avatar": "", "manage_privilege": true}))
            .collect();
        Ok(json!({"errcode": 0, "errmsg": "ok", "account_list": list}))
    }

    /// `kf/customer/batchget`.
    pub fn customer_batchget(&self, body: &Value) -> Result<Value, Refusal> {
        let ids: Vec<&str> = body
            .get("external_userid_list")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if ids.is_empty() || ids.len() > 100 {
            return Err(refuse(40058, "invalid external_userid_list"));
        }
        let mut found = Vec::new();
        let mut invalid = Vec::new();
        for id in ids {
            match self.customers.get(&ExternalUserId::new(id)) {
                Some(c) => {
                    let mut customer = json!({"external_userid": id, "nickname": c.nickname,
                        "avatar": "", "gender": 0});
                    if let Some(unionid) = &c.unionid {
                        customer["unionid"] = json!(unionid);
                    }
                    found.push(customer);
                }
                None => invalid.push(id),
            }
        }
        Ok(json!({"errcode": 0, "errmsg": "ok", "customer_list": found,
                  "invalid_external_userid": invalid}))
    }
}

/// The log position a cursor stands after.
fn parse_cursor(cursor: &str) -> Option<u64> {
    cursor
        .strip_prefix('C')
        .and_then(|c| c.split_once('N'))
        .and_then(|(seq, _)| u64::from_str_radix(seq, 16).ok())
}

/// The decrypted body of a `kf_msg_or_event` callback, in WeCom's order.
fn notice_xml(corpid: &str, at: UnixMillis, token: &str, open_kfid: &OpenKfId) -> String {
    use crate::xml::cdata;
    format!(
        "<xml>\n<ToUserName>{}</ToUserName>\n<CreateTime>{}</CreateTime>\n\
         <MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[kf_msg_or_event]]></Event>\n\
         <Token>{}</Token>\n<OpenKfId>{}</OpenKfId>\n</xml>",
        cdata(corpid),
        at.as_secs(),
        cdata(token),
        cdata(open_kfid.as_str()),
    )
}

/// POSTs one callback, signed and encrypted, until it is answered 200 or
/// the retries run out.
pub async fn deliver(http: reqwest::Client, callback: PendingCallback) {
    let crypto = callback.target.config.crypto();
    let xml = notice_xml(
        crypto.receive_id(),
        callback.at,
        &callback.token,
        &callback.open_kfid,
    );
    let Ok(encrypt) = crypto.encrypt(xml.as_bytes()) else {
        tracing::error!("the fake could not encrypt a WeCom callback");
        return;
    };
    let timestamp = callback.at.as_secs().to_string();
    let nonce = format!("{}", rand::random::<u32>());
    let signature = crate::signature::msg_signature(
        callback.target.config.token(),
        &timestamp,
        &nonce,
        &encrypt,
    );
    let body = format!(
        "<xml>\n<ToUserName>{}</ToUserName>\n<AgentID><![CDATA[]]></AgentID>\n<Encrypt>{}</Encrypt>\n</xml>",
        crate::xml::cdata(crypto.receive_id()),
        crate::xml::cdata(&encrypt)
    );
    let url = format!(
        "{}{}msg_signature={signature}&timestamp={timestamp}&nonce={nonce}",
        callback.target.url,
        if callback.target.url.contains('?') {
            '&'
        } else {
            '?'
        }
    );
    for attempt in 0..=CALLBACK_RETRIES {
        let sent = http
            .post(&url)
            .header("content-type", "text/xml")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => return,
            Ok(response) => {
                tracing::debug!(status = %response.status(), attempt, "a WeCom callback was refused")
            }
            Err(error) => tracing::debug!(%error, attempt, "a WeCom callback was not answered"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
