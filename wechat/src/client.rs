//! The Official Account API client: access tokens (cached, refreshed early,
//! one refresh at a time, one refresh-and-retry per rejected call),
//! customer-service sends, the typing indicator, temporary media and user info.
//!
//! Every failure is a typed [`ApiError`] whose [`ApiError::action`] tells the
//! caller what to do. Secrets never reach `Debug`, logs or errors.

mod custom;
mod error;
mod media;
mod secret;
mod token;
mod user;

pub use custom::{
    CustomMessage, CustomSend, MediaRef, MenuOption, MiniProgramPage, MsgMenu, Music, NewsArticle,
    Text, TypingCommand, TypingRequest, Video,
};
pub use error::{Action, ApiError, Backoff, REPLY_LIMIT, WINDOW_CLOSED};
pub use media::{DownloadedMedia, MediaType, MediaUpload, UploadedMedia, MEDIA_LIFETIME};
pub use secret::{redact_url, scrub, AccessToken, AppSecret, CorpSecret, REDACTED};
pub use token::{CachedToken, InMemoryTokenCache, RefreshGuard, TokenCache, TokenCacheError};
pub use user::UserInfo;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::multipart::{Form, Part};
use reqwest::RequestBuilder;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::clock::{Clock, SystemClock};
use crate::message::{AppId, CorpId, MediaId, OpenId};

/// The real API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";
/// The real WeCom API host.
pub const WECOM_BASE_URL: &str = "https://qyapi.weixin.qq.com";
/// Refresh this long before the token expires (PROTOCOL.md §5.2).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read from WeChat: above any file it keeps (10 MB
/// images and videos, WeCom files of at most 20 MB), so a broken or
/// hostile server cannot fill memory.
pub const MAX_RESPONSE_BYTES: usize = 20 * 1024 * 1024;

/// The API paths this client calls (the fake serves the same ones).
pub mod paths {
    /// `GET`: appid + secret → access token.
    pub const TOKEN: &str = "/cgi-bin/token";
    /// `POST`: a customer-service message.
    pub const CUSTOM_SEND: &str = "/cgi-bin/message/custom/send";
    /// `POST`: the typing indicator.
    pub const CUSTOM_TYPING: &str = "/cgi-bin/message/custom/typing";
    /// `POST` multipart: upload temporary media.
    pub const MEDIA_UPLOAD: &str = "/cgi-bin/media/upload";
    /// `GET`: download temporary media.
    pub const MEDIA_GET: &str = "/cgi-bin/media/get";
    /// `GET`: a user's profile.
    pub const USER_INFO: &str = "/cgi-bin/user/info";
    /// `GET` (WeCom): corpid + corpsecret → access token.
    pub const GETTOKEN: &str = "/cgi-bin/gettoken";
    /// `POST` (WeCom): pull Customer Service messages after a callback.
    pub const KF_SYNC_MSG: &str = "/cgi-bin/kf/sync_msg";
    /// `POST` (WeCom): send a Customer Service message.
    pub const KF_SEND_MSG: &str = "/cgi-bin/kf/send_msg";
    /// `POST` (WeCom): send the one message an event's code allows.
    pub const KF_SEND_MSG_ON_EVENT: &str = "/cgi-bin/kf/send_msg_on_event";
    /// `POST` (WeCom): a session's state and servicer.
    pub const KF_SERVICE_STATE_GET: &str = "/cgi-bin/kf/service_state/get";
    /// `POST` (WeCom): move a session to another state.
    pub const KF_SERVICE_STATE_TRANS: &str = "/cgi-bin/kf/service_state/trans";
    /// `POST` (WeCom): the Customer Service accounts.
    pub const KF_ACCOUNT_LIST: &str = "/cgi-bin/kf/account/list";
    /// `POST` (WeCom): customers' profiles (with unionid).
    pub const KF_CUSTOMER_BATCHGET: &str = "/cgi-bin/kf/customer/batchget";
}

/// Whose token a client fetches, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Account {
    /// An Official Account: `cgi-bin/token` with appid and appsecret.
    Official,
    /// A WeCom organisation: `cgi-bin/gettoken` with corpid and corpsecret.
    Corp(CorpId),
}

/// Sets up an [`ApiClient`].
pub struct ApiClientBuilder {
    pub(crate) account: Account,
    appid: AppId,
    secret: AppSecret,
    base_url: String,
    cache: Option<Arc<dyn TokenCache>>,
    clock: Arc<dyn Clock>,
    refresh_margin: Duration,
    http: Option<reqwest::Client>,
    timeout: Duration,
}

impl ApiClientBuilder {
    /// The API host, e.g. `http://127.0.0.1:PORT` for the fake.
    /// Defaults to [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Where tokens are shared. Defaults to a fresh [`InMemoryTokenCache`].
    pub fn token_cache(mut self, cache: Arc<dyn TokenCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Where "now" comes from when judging token freshness.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How early to refresh. Defaults to five minutes.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The whole-request timeout of the built-in HTTP client (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Use this HTTP client instead of building one (its timeout applies).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client. Fails only if the TLS backend cannot start.
    pub fn build(self) -> Result<ApiClient, ApiError> {
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .build()
                .map_err(|e| ApiError::Transport {
                    path: String::new(),
                    message: error_chain(&e),
                })?,
        };
        Ok(ApiClient {
            inner: Arc::new(Inner {
                account: self.account,
                http,
                base_url: self.base_url,
                appid: self.appid,
                secret: self.secret,
                cache: self
                    .cache
                    .unwrap_or_else(|| Arc::new(InMemoryTokenCache::new())),
                clock: self.clock,
                refresh_margin: self.refresh_margin,
                refresh_lock: tokio::sync::Mutex::new(()),
            }),
        })
    }
}

/// A client for one Official Account. Cheap to clone; clones share the token
/// and its refresh lock.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    account: Account,
    http: reqwest::Client,
    base_url: String,
    appid: AppId,
    secret: AppSecret,
    cache: Arc<dyn TokenCache>,
    clock: Arc<dyn Clock>,
    refresh_margin: Duration,
    /// Held while fetching a token so concurrent callers wait for one fetch.
    refresh_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("appid", &self.inner.appid)
            .field("base_url", &self.inner.base_url)
            .field("secret", &self.inner.secret)
            .field("refresh_margin", &self.inner.refresh_margin)
            .finish_non_exhaustive()
    }
}

/// A successful HTTP answer, before it is read as JSON or a file.
pub(crate) struct Reply {
    content_type: String,
    disposition: Option<String>,
    body: Vec<u8>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct VideoUrl {
    video_url: String,
}

impl ApiClient {
    /// Starts configuring a client for one account.
    pub fn builder(appid: AppId, secret: AppSecret) -> ApiClientBuilder {
        ApiClientBuilder {
            account: Account::Official,
            appid,
            secret,
            base_url: DEFAULT_BASE_URL.to_owned(),
            cache: None,
            clock: Arc::new(SystemClock),
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            http: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Starts configuring a client for one WeCom app (`corpid` and the
    /// app's `corpsecret`). Its tokens are cached under
    /// [`ApiClient::appid`], a key made of the corpid and a fingerprint of
    /// the secret, since each app of an organisation has its own token.
    pub(crate) fn wecom_builder(corpid: CorpId, secret: CorpSecret) -> ApiClientBuilder {
        use sha1::{Digest, Sha1};
        let fingerprint = Sha1::digest(secret.expose().as_bytes());
        let fingerprint: String = fingerprint[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let key = AppId::new(format!("{corpid}#{fingerprint}"));
        let mut builder = Self::builder(key, AppSecret::new(secret.expose()));
        builder.account = Account::Corp(corpid);
        builder.base_url = WECOM_BASE_URL.to_owned();
        builder
    }

    /// The account: its appid, or for WeCom the key its token is cached
    /// under.
    pub fn appid(&self) -> &AppId {
        &self.inner.appid
    }

    /// The API host.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// A token that is fresh by the refresh margin: the cached one, or a new
    /// one fetched by exactly one of the concurrent callers.
    pub async fn access_token(&self) -> Result<AccessToken, ApiError> {
        if let Some(token) = self.fresh_cached(None).await? {
            return Ok(token);
        }
        let _refreshing = self.inner.refresh_lock.lock().await;
        // Whoever held the lock before us may have refreshed already.
        if let Some(token) = self.fresh_cached(None).await? {
            return Ok(token);
        }
        // So may another process sharing the cache.
        let _across_processes = self.inner.cache.refresh_guard(&self.inner.appid).await?;
        if let Some(token) = self.fresh_cached(None).await? {
            return Ok(token);
        }
        self.fetch_token().await
    }

    /// Sends a customer-service message. Success means accepted, not read.
    pub async fn send(&self, send: &CustomSend) -> Result<(), ApiError> {
        let http = &self.inner.http;
        self.call(paths::CUSTOM_SEND, |url| http.post(url).json(send))
            .await
            .map(drop)
    }

    /// Shows or hides "typing…" for a user.
    pub async fn typing(&self, to: &OpenId, command: TypingCommand) -> Result<(), ApiError> {
        let body = TypingRequest {
            touser: to.clone(),
            command,
        };
        let http = &self.inner.http;
        self.call(paths::CUSTOM_TYPING, |url| http.post(url).json(&body))
            .await
            .map(drop)
    }

    /// Uploads temporary media (valid three days). Size and format are left
    /// to WeChat to judge; see [`MediaType::max_bytes`] to check beforehand.
    pub async fn upload_media(&self, upload: &MediaUpload) -> Result<UploadedMedia, ApiError> {
        let http = &self.inner.http;
        let reply = self
            .call(paths::MEDIA_UPLOAD, |url| {
                let form = Form::new().part("media", media_part(upload));
                http.post(url)
                    .query(&[("type", upload.media_type.as_str())])
                    .multipart(form)
            })
            .await?;
        parse_json(paths::MEDIA_UPLOAD, &reply)
    }

    /// Downloads temporary media: the file, or for videos a link to it.
    pub async fn download_media(&self, media_id: &MediaId) -> Result<DownloadedMedia, ApiError> {
        let http = &self.inner.http;
        let reply = self
            .call(paths::MEDIA_GET, |url| {
                http.get(url).query(&[("media_id", media_id.as_str())])
            })
            .await?;
        if is_textual(&reply.content_type) {
            let video: VideoUrl = parse_json(paths::MEDIA_GET, &reply)?;
            return Ok(DownloadedMedia::VideoUrl(video.video_url));
        }
        Ok(DownloadedMedia::File {
            filename: reply
                .disposition
                .as_deref()
                .and_then(media::disposition_filename),
            content_type: reply.content_type,
            bytes: reply.body,
        })
    }

    /// A user's profile (`lang=zh_CN`).
    pub async fn user_info(&self, openid: &OpenId) -> Result<UserInfo, ApiError> {
        let http = &self.inner.http;
        let reply = self
            .call(paths::USER_INFO, |url| {
                http.get(url)
                    .query(&[("openid", openid.as_str()), ("lang", "zh_CN")])
            })
            .await?;
        parse_json(paths::USER_INFO, &reply)
    }

    /// Runs one authenticated call; on a rejected token refreshes once and
    /// retries once (PROTOCOL.md §5.2), never more.
    pub(crate) async fn call(
        &self,
        path: &'static str,
        build: impl Fn(&str) -> RequestBuilder,
    ) -> Result<Reply, ApiError> {
        let url = format!("{}{path}", self.inner.base_url);
        let token = self.access_token().await?;
        let with_token =
            |token: &AccessToken| build(&url).query(&[("access_token", token.expose())]);
        match self.execute(path, with_token(&token), Some(&token)).await {
            Err(error) if error.action() == Action::RefreshToken => {
                tracing::info!(path, errcode = ?error.errcode(), "access token rejected; refreshing once");
                let fresh = self.refresh_rejected(&token).await?;
                self.execute(path, with_token(&fresh), Some(&fresh)).await
            }
            other => other,
        }
    }

    /// A new token after WeChat rejected `rejected`, unless another caller has
    /// already replaced it.
    async fn refresh_rejected(&self, rejected: &AccessToken) -> Result<AccessToken, ApiError> {
        let _refreshing = self.inner.refresh_lock.lock().await;
        if let Some(token) = self.fresh_cached(Some(rejected)).await? {
            return Ok(token);
        }
        let _across_processes = self.inner.cache.refresh_guard(&self.inner.appid).await?;
        if let Some(token) = self.fresh_cached(Some(rejected)).await? {
            return Ok(token);
        }
        self.fetch_token().await
    }

    /// The cached token if it is fresh and is not `rejected`.
    async fn fresh_cached(
        &self,
        rejected: Option<&AccessToken>,
    ) -> Result<Option<AccessToken>, ApiError> {
        let cached = self.inner.cache.get(&self.inner.appid).await?;
        let now = self.inner.clock.now();
        Ok(cached
            .filter(|cached| cached.is_fresh(now, self.inner.refresh_margin))
            .filter(|cached| Some(&cached.token) != rejected)
            .map(|cached| cached.token))
    }

    /// Fetches and stores a new token. Callers hold the refresh lock.
    async fn fetch_token(&self) -> Result<AccessToken, ApiError> {
        let inner = &self.inner;
        let obtained_at = inner.clock.now();
        let (path, request) = match &inner.account {
            Account::Official => (
                paths::TOKEN,
                inner
                    .http
                    .get(format!("{}{}", inner.base_url, paths::TOKEN))
                    .query(&[
                        ("grant_type", "client_credential"),
                        ("appid", inner.appid.as_str()),
                        ("secret", inner.secret.expose()),
                    ]),
            ),
            Account::Corp(corpid) => (
                paths::GETTOKEN,
                inner
                    .http
                    .get(format!("{}{}", inner.base_url, paths::GETTOKEN))
                    .query(&[
                        ("corpid", corpid.as_str()),
                        ("corpsecret", inner.secret.expose()),
                    ]),
            ),
        };
        let reply = self.execute(path, request, None).await?;
        let fetched: TokenResponse = parse_json(path, &reply)?;
        let token = AccessToken::new(fetched.access_token);
        let cached = CachedToken {
            token: token.clone(),
            obtained_at,
            expires_in: Duration::from_secs(fetched.expires_in),
        };
        inner.cache.put(&inner.appid, cached).await?;
        tracing::info!(appid = %inner.appid, expires_in = fetched.expires_in, "fetched a new access token");
        Ok(token)
    }

    /// Sends one request and turns an `errcode` answer into an [`ApiError`].
    async fn execute(
        &self,
        path: &'static str,
        request: RequestBuilder,
        token: Option<&AccessToken>,
    ) -> Result<Reply, ApiError> {
        let secrets = [
            self.inner.secret.expose(),
            token.map(AccessToken::expose).unwrap_or_default(),
        ];
        let transport = |error: reqwest::Error| ApiError::Transport {
            path: path.to_owned(),
            message: scrub(&error_chain(&error.without_url()), &secrets),
        };
        let request = request.build().map_err(transport)?;
        tracing::debug!(url = %redact_url(request.url().as_str()), "calling WeChat");
        let response = self.inner.http.execute(request).await.map_err(transport)?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value: &reqwest::header::HeaderValue| value.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let disposition = header(CONTENT_DISPOSITION);
        let body = read_at_most(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(transport)?
            .ok_or_else(|| ApiError::BadResponse {
                path: path.to_owned(),
                message: format!(
                    "the answer is larger than {} MB, more than any file WeChat keeps",
                    MAX_RESPONSE_BYTES / (1024 * 1024)
                ),
            })?;
        if status.is_server_error() {
            // A gateway failure: the call may or may not have run.
            return Err(ApiError::Transport {
                path: path.to_owned(),
                message: format!("HTTP status {status}"),
            });
        }
        if !status.is_success() {
            return Err(ApiError::BadResponse {
                path: path.to_owned(),
                message: format!("HTTP status {status}"),
            });
        }
        if is_textual(&content_type) || (content_type.is_empty() && body.starts_with(b"{")) {
            if let Ok(answer) = serde_json::from_slice::<Status>(&body) {
                if answer.errcode != 0 {
                    tracing::warn!(path, errcode = answer.errcode, errmsg = %scrub(&answer.errmsg, &secrets), "WeChat returned an error");
                    let errmsg = scrub(&answer.errmsg, &secrets);
                    return Err(match self.inner.account {
                        Account::Official => ApiError::from_errcode(answer.errcode, errmsg),
                        Account::Corp(_) => ApiError::from_wecom_errcode(answer.errcode, errmsg),
                    });
                }
            }
        }
        Ok(Reply {
            content_type,
            disposition,
            body,
        })
    }
}

/// JSON and the `text/plain` WeChat sometimes labels JSON with.
fn is_textual(content_type: &str) -> bool {
    content_type.contains("json") || content_type.starts_with("text/")
}

pub(crate) fn parse_json<T: DeserializeOwned>(path: &str, reply: &Reply) -> Result<T, ApiError> {
    serde_json::from_slice(&reply.body).map_err(|error| ApiError::BadResponse {
        path: path.to_owned(),
        message: error.to_string(),
    })
}

/// The `media` part; an unparsable MIME type is left for WeChat to judge.
fn media_part(upload: &MediaUpload) -> Part {
    let part = || Part::bytes(upload.bytes.clone()).file_name(upload.filename.clone());
    part()
        .mime_str(&upload.content_type)
        .unwrap_or_else(|_| part())
}

/// An error and its sources on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The whole body of `response`, or `None` when it is longer than `limit`
/// bytes (it is not read further).
pub async fn read_at_most(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}
