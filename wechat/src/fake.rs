//! A fake WeChat: a real HTTP server on the API paths [`ApiClient`] uses,
//! enforcing the platform's rules against an injectable clock, recording what
//! each follower received, and failing or stalling on request.
//!
//! Rules enforced: appid/secret on token fetch (40013/40125); tokens live
//! 7200 s (42001) and a replaced one works 5 more minutes; unknown tokens
//! 40001, missing 41001; the 48-hour window opened by
//! [`FakeWeChat::record_follower_message`] (45015), 5 messages per window
//! (45047), unfollowed recipients (43004), unknown openids (40003); text
//! empty (44004) or over 2048 bytes (45002), news with more than one article
//! (45008), unknown msgtype (40008); media ids unknown, of another account,
//! of the wrong type or older than 3 days (40007); uploads: bad type (40004),
//! no file (41005), empty (40006), wrong extension (40005), over the size
//! limit (40009-40012).
//!
//! WeCom Customer Service is served beside it on the same host (see
//! [`kf`] for its rules): `cgi-bin/gettoken` and the `kf/` calls, with
//! customers whose messages are announced to the organisation's callback
//! URL, signed and encrypted, as WeCom does.
//!
//! [`simulator`] plays the other side of the platform: followers whose
//! messages and events are pushed to Harbour's callback URL, signed,
//! encrypted and retried as WeChat does.
//!
//! [`ApiClient`]: crate::client::ApiClient

pub mod kf;
mod routes;
pub mod simulator;
mod state;

pub use kf::{CallbackTarget, KfReceived};

pub use state::{
    ReceivedMessage, Refusal, MAX_TEXT_BYTES, TOKEN_LIFETIME, TOKEN_OVERLAP, WINDOW,
    WINDOW_MESSAGES,
};

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::task::JoinHandle;

use serde_json::Value;

use crate::client::{AccessToken, AppSecret, CorpSecret, MediaType};
use crate::clock::{Clock, ManualClock, UnixMillis};
use crate::kf::{KfCallbackConfig, SessionState};
use crate::message::{AppId, CorpId, ExternalUserId, KfMsgId, MediaId, OpenId, OpenKfId};
use state::State;

/// What the handlers share.
struct Shared {
    base_url: String,
    clock: ManualClock,
    state: Mutex<State>,
    faults: Mutex<Faults>,
    rid: AtomicU64,
    /// Sends WeCom callbacks.
    http: reqwest::Client,
}

#[derive(Default)]
struct Faults {
    fail: HashMap<String, VecDeque<i64>>,
    delay: HashMap<String, VecDeque<Duration>>,
    calls: HashMap<String, usize>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent, so a panic elsewhere
    // must not wedge the fake.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `/cgi-bin/token` and `cgi-bin/token` name the same path.
fn normalise(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

impl Shared {
    fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Sends the WeCom callbacks the last change caused, each in its own
    /// task, retried as WeCom does (5 s to answer, 3 more tries).
    fn send_kf_callbacks(&self) {
        let pending = self.state().kf.take_pending();
        for callback in pending {
            let http = self.http.clone();
            tokio::spawn(kf::deliver(http, callback));
        }
    }

    fn next_rid(&self) -> String {
        format!("fake-{:08x}", self.rid.fetch_add(1, Ordering::Relaxed))
    }

    /// Counts a call to `path` and takes its next injected delay and failure.
    fn take_faults(&self, path: &str) -> (Option<Duration>, Option<i64>) {
        let mut faults = lock(&self.faults);
        *faults.calls.entry(path.to_owned()).or_default() += 1;
        let delay = faults.delay.get_mut(path).and_then(VecDeque::pop_front);
        let fail = faults.fail.get_mut(path).and_then(VecDeque::pop_front);
        (delay, fail)
    }
}

/// A running fake WeChat. Dropping it stops the server.
pub struct FakeWeChat {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl std::fmt::Debug for FakeWeChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWeChat")
            .field("base_url", &self.shared.base_url)
            .field("now", &self.shared.now())
            .finish_non_exhaustive()
    }
}

impl FakeWeChat {
    /// Starts on `bind` (use port 0 for a free port) with its own
    /// [`ManualClock`] standing at [`ManualClock::default`].
    pub async fn start(bind: impl ToSocketAddrs) -> io::Result<FakeWeChat> {
        Self::start_with_clock(bind, ManualClock::default()).await
    }

    /// Starts with a clock the caller keeps (e.g. shared with a client, or
    /// built with [`ManualClock::from_shared`] over an `Arc<AtomicI64>`).
    pub async fn start_with_clock(
        bind: impl ToSocketAddrs,
        clock: ManualClock,
    ) -> io::Result<FakeWeChat> {
        let listener = TcpListener::bind(bind).await?;
        let mut addr: SocketAddr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let shared = Arc::new(Shared {
            base_url: format!("http://{addr}"),
            clock,
            state: Mutex::new(State::default()),
            faults: Mutex::new(Faults::default()),
            rid: AtomicU64::new(1),
            http: reqwest::Client::builder()
                .timeout(kf::CALLBACK_TIMEOUT)
                .build()
                .map_err(io::Error::other)?,
        });
        let app = routes::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the fake WeChat stopped");
            }
        });
        Ok(FakeWeChat { shared, server })
    }

    /// `http://127.0.0.1:PORT`, to give to `ApiClient::builder(..).base_url`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The fake's clock; advance it to expire tokens, windows and media.
    pub fn clock(&self) -> &ManualClock {
        &self.shared.clock
    }

    /// Lets `appid` fetch tokens with `secret`.
    pub fn register_app(&self, appid: &AppId, secret: &AppSecret) {
        self.shared.state().register_app(appid, secret);
    }

    /// `openid` follows `appid` (a `subscribe` push). Opens no window.
    pub fn record_follow(&self, appid: &AppId, openid: &OpenId, at: UnixMillis) {
        self.shared.state().record_follow(appid, openid, at);
    }

    /// `openid` wrote to `appid` at `at`: they follow, and a 48-hour window
    /// with 5 messages opens (replacing the previous one).
    pub fn record_follower_message(&self, appid: &AppId, openid: &OpenId, at: UnixMillis) {
        self.shared
            .state()
            .record_follower_message(appid, openid, at);
    }

    /// `openid` unfollowed `appid`; sends now fail with 43004.
    pub fn record_unsubscribe(&self, appid: &AppId, openid: &OpenId) {
        self.shared.state().record_unsubscribe(appid, openid);
    }

    /// Stores media a follower sent (as the platform does for an `image` or
    /// `voice` push), subject to the upload rules; returns its media id.
    pub fn store_follower_media(
        &self,
        appid: &AppId,
        media_type: MediaType,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<MediaId, Refusal> {
        let now = self.shared.now();
        let stored = self.shared.state().store_media(
            appid,
            media_type,
            filename,
            content_type,
            bytes,
            now,
        )?;
        let id = stored
            .get("media_id")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        Ok(MediaId::new(id))
    }

    /// Where the file behind `media_id` can be fetched without a token, as
    /// the `PicUrl` of an `image` push points at the platform's CDN.
    pub fn media_url(&self, media_id: &MediaId) -> String {
        let path = routes::FOLLOWER_MEDIA.replace("{media_id}", media_id.as_str());
        format!("{}{path}", self.shared.base_url)
    }

    /// Every customer-service message `openid` received, oldest first.
    pub fn received(&self, openid: &OpenId) -> Vec<ReceivedMessage> {
        self.shared.state().received(openid)
    }

    /// How many tokens `appid` was issued.
    pub fn tokens_issued(&self, appid: &AppId) -> usize {
        self.shared.state().tokens_issued(appid)
    }

    /// The latest token issued to `appid`.
    pub fn current_token(&self, appid: &AppId) -> Option<AccessToken> {
        self.shared
            .state()
            .current_token(appid)
            .map(AccessToken::new)
    }

    /// How many requests reached `path` (injected failures included).
    pub fn calls(&self, path: &str) -> usize {
        let faults = lock(&self.shared.faults);
        faults.calls.get(&normalise(path)).copied().unwrap_or(0)
    }

    /// The next request to `path` is answered with `errcode` and has no
    /// effect. Calls queue up: two calls fail the next two requests.
    pub fn fail_next(&self, path: &str, errcode: i64) {
        let mut faults = lock(&self.shared.faults);
        faults
            .fail
            .entry(normalise(path))
            .or_default()
            .push_back(errcode);
    }

    /// The next request to `path` waits `delay` (real time) before it is
    /// handled.
    pub fn delay_next(&self, path: &str, delay: Duration) {
        let mut faults = lock(&self.shared.faults);
        faults
            .delay
            .entry(normalise(path))
            .or_default()
            .push_back(delay);
    }
}

/// WeCom Customer Service: organisations, accounts, customers and what
/// they do.
impl FakeWeChat {
    /// Lets `corpid` fetch tokens from `cgi-bin/gettoken` with `secret`.
    pub fn register_corp(&self, corpid: &CorpId, secret: &CorpSecret) {
        let appid = AppId::new(corpid.as_str());
        self.shared
            .state()
            .register_app(&appid, &AppSecret::new(secret.expose()));
    }

    /// Where `corpid`'s callbacks go, and the credentials they are signed
    /// and encrypted with.
    pub fn set_kf_callback(
        &self,
        corpid: &CorpId,
        url: impl Into<String>,
        config: KfCallbackConfig,
    ) {
        let target = CallbackTarget {
            url: url.into(),
            config,
        };
        self.shared.state().kf.set_callback(corpid, target);
    }

    /// A new Customer Service account of `corpid`, managed through the API.
    pub fn add_kf_account(&self, corpid: &CorpId, name: &str) -> OpenKfId {
        self.shared.state().kf.add_account(corpid, name)
    }

    /// An account of `corpid` with a given `open_kfid` (the demo's, stable
    /// across restarts).
    pub fn add_kf_account_as(&self, corpid: &CorpId, open_kfid: &OpenKfId, name: &str) {
        self.shared
            .state()
            .kf
            .add_account_as(corpid, open_kfid.clone(), name);
    }

    /// A WeChat user who may chat with the organisation's accounts.
    pub fn add_kf_customer(&self, nickname: &str, unionid: Option<&str>) -> ExternalUserId {
        self.shared.state().kf.add_customer(nickname, unionid)
    }

    /// A servicer of `open_kfid`, receiving or not.
    pub fn set_kf_servicer(&self, open_kfid: &OpenKfId, userid: &str, receiving: bool) {
        self.shared
            .state()
            .kf
            .set_servicer(open_kfid, userid, receiving);
    }

    fn kf_change<T>(&self, change: impl FnOnce(&mut kf::KfWorld, UnixMillis) -> T) -> T {
        let now = self.shared.now();
        let out = change(&mut self.shared.state().kf, now);
        self.shared.send_kf_callbacks();
        out
    }

    /// The customer writes `content`; returns WeChat's msgid for it.
    pub fn kf_customer_says(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        content: &str,
    ) -> KfMsgId {
        let payload = serde_json::json!({ "content": content });
        self.kf_customer_sends(open_kfid, customer, "text", payload)
    }

    /// The customer sends a message of any `msgtype` with its payload.
    pub fn kf_customer_sends(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        msgtype: &str,
        payload: Value,
    ) -> KfMsgId {
        self.kf_change(|kf, now| kf.customer_says(open_kfid, customer, msgtype, payload, now))
    }

    /// The customer sends a file (`image`, `voice`, `video` or `file`),
    /// stored as temporary media of the organisation.
    pub fn kf_customer_sends_media(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        media_type: MediaType,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<KfMsgId, Refusal> {
        let corpid = self.shared.state().kf.corp_of(open_kfid).ok_or(Refusal {
            code: 95000,
            message: "invalid open_kfid",
        })?;
        let media_id = self.store_follower_media(
            &AppId::new(corpid.as_str()),
            media_type,
            filename,
            content_type,
            bytes,
        )?;
        let payload = serde_json::json!({ "media_id": media_id });
        Ok(self.kf_customer_sends(open_kfid, customer, media_type.as_str(), payload))
    }

    /// The customer opens the chat; returns the welcome code, when WeCom
    /// offers one.
    pub fn kf_enter_session(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        scene: &str,
    ) -> Option<String> {
        self.kf_change(|kf, now| kf.enter_session(open_kfid, customer, scene, now))
    }

    /// The customer recalls their message `msgid`.
    pub fn kf_recall(&self, open_kfid: &OpenKfId, customer: &ExternalUserId, msgid: &KfMsgId) {
        self.kf_change(|kf, now| kf.recall(open_kfid, customer, msgid, now));
    }

    /// A servicer takes the session in the WeCom client (state 3).
    pub fn kf_servicer_takes(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        servicer: &str,
    ) {
        self.kf_change(|kf, now| kf.servicer_takes(open_kfid, customer, servicer, now));
    }

    /// The servicer ends the session in the WeCom client (state 4); with
    /// `then_says`, the customer writes again straight after, so both reach
    /// the inbox in the same sync page.
    pub fn kf_servicer_ends(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        then_says: Option<&str>,
    ) {
        self.kf_change(|kf, now| {
            kf.servicer_ends(open_kfid, customer, now);
            if let Some(content) = then_says {
                kf.customer_says(
                    open_kfid,
                    customer,
                    "text",
                    serde_json::json!({ "content": content }),
                    now,
                );
            }
        });
    }

    /// A servicer starts (`status` 1) or stops (2) receiving, as WeCom
    /// reports it with a `servicer_status_change` event.
    pub fn kf_servicer_status(&self, open_kfid: &OpenKfId, servicer: &str, status: i64) {
        self.kf_change(|kf, now| kf.servicer_status(open_kfid, servicer, status, now));
    }

    /// A servicer holds the session (state 3) before WeCom's event about
    /// it has arrived anywhere: the next send meets 95018.
    pub fn kf_hold_session_quietly(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        servicer: &str,
    ) {
        self.shared
            .state()
            .kf
            .hold_quietly(open_kfid, customer, servicer);
    }

    /// A servicer types `content` in the WeCom client (`origin` 5).
    pub fn kf_servicer_says(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
        servicer: &str,
        content: &str,
    ) -> KfMsgId {
        self.kf_change(|kf, now| kf.servicer_says(open_kfid, customer, servicer, content, now))
    }

    /// WeChat reports that our message `msgid` was not delivered
    /// (`msg_send_fail` with `fail_type`). False if no such message.
    pub fn kf_fail_delivery(&self, msgid: &KfMsgId, fail_type: i64) -> bool {
        self.kf_change(|kf, now| kf.fail_delivery(msgid, fail_type, now))
    }

    /// The next `pages` syncs of `open_kfid` that would return entries
    /// return an empty page with `has_more = 1` first, as WeCom sometimes
    /// does.
    pub fn kf_insert_empty_pages(&self, open_kfid: &OpenKfId, pages: u32) {
        self.shared.state().kf.insert_empty_pages(open_kfid, pages);
    }

    /// The msgids of `open_kfid`'s entries that `cursor` (a `next_cursor`
    /// this fake gave) has passed, oldest first: what a client holding that
    /// cursor must have stored. `None` for a cursor the fake did not issue.
    pub fn kf_passed_by(&self, open_kfid: &OpenKfId, cursor: &str) -> Option<Vec<KfMsgId>> {
        self.shared.state().kf.passed_by(open_kfid, cursor)
    }

    /// Every message `customer` received from the organisation, oldest
    /// first.
    pub fn kf_received(&self, customer: &ExternalUserId) -> Vec<KfReceived> {
        self.shared.state().kf.received(customer)
    }

    /// The session's state.
    pub fn kf_session_state(
        &self,
        open_kfid: &OpenKfId,
        customer: &ExternalUserId,
    ) -> SessionState {
        self.shared.state().kf.state_of(open_kfid, customer)
    }
}

impl Drop for FakeWeChat {
    fn drop(&mut self) {
        self.server.abort();
    }
}
