//! The fake's memory and rules, free of HTTP: apps and their tokens,
//! followers and their 48-hour windows, temporary media, and what each
//! follower received.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use serde_json::{json, Value};

use crate::client::{AppSecret, MediaType, UserInfo, MEDIA_LIFETIME};
use crate::clock::UnixMillis;
use crate::message::{AppId, MediaId, OpenId};

/// How long a token lives.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(7200);
/// How long a replaced token keeps working.
pub const TOKEN_OVERLAP: Duration = Duration::from_secs(300);
/// How long a follower's message keeps the reply window open.
pub const WINDOW: Duration = Duration::from_secs(48 * 3600);
/// Customer-service messages allowed per window.
pub const WINDOW_MESSAGES: u32 = 5;
/// The text length the fake enforces (PROTOCOL.md §5.3: keep ≤ 2048 bytes).
pub const MAX_TEXT_BYTES: usize = 2048;

/// A refusal: the errcode and errmsg WeChat would answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// `errcode`.
    pub code: i64,
    /// `errmsg`, without the `rid`.
    pub message: &'static str,
}

const fn refuse(code: i64, message: &'static str) -> Refusal {
    Refusal { code, message }
}

/// The errmsg WeChat uses for `code`, for injected faults.
pub fn errmsg_for(code: i64) -> &'static str {
    match code {
        -1 => "system error",
        40001 => "invalid credential, access_token is invalid or not latest",
        40014 => "invalid access_token",
        42001 => "access_token expired",
        45009 => "reach max api daily quota limit",
        45011 => "api minute-quota reach limit",
        45015 => "response out of time limit or subscription is canceled",
        45047 => "out of response count limit",
        95018 => "send msg session status invalid",
        _ => "injected fault",
    }
}

/// One message a fake follower received through the customer-service API.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedMessage {
    /// The account that sent it.
    pub appid: AppId,
    /// The follower.
    pub openid: OpenId,
    /// When the fake accepted it.
    pub at: UnixMillis,
    /// `msgtype`.
    pub msgtype: String,
    /// The whole request body as sent.
    pub body: Value,
}

impl ReceivedMessage {
    /// `text.content`, for text messages.
    pub fn text(&self) -> Option<&str> {
        self.body.pointer("/text/content").and_then(Value::as_str)
    }
}

/// A stored temporary media file.
#[derive(Debug, Clone)]
pub struct StoredMedia {
    pub appid: AppId,
    pub media_type: MediaType,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub created_at: UnixMillis,
}

struct TokenRecord {
    appid: AppId,
    expires_at: UnixMillis,
    /// Set once a newer token was issued: the end of the overlap.
    replaced_until: Option<UnixMillis>,
}

struct App {
    secret: AppSecret,
    tokens_issued: usize,
    current_token: Option<String>,
}

#[derive(Default)]
struct Follower {
    subscribed: bool,
    subscribed_at: Option<UnixMillis>,
    last_message_at: Option<UnixMillis>,
    sent_in_window: u32,
}

/// Everything the fake remembers.
#[derive(Default)]
pub struct State {
    apps: HashMap<AppId, App>,
    tokens: HashMap<String, TokenRecord>,
    followers: HashMap<(AppId, OpenId), Follower>,
    media: HashMap<MediaId, StoredMedia>,
    received: Vec<ReceivedMessage>,
    next_id: u64,
    /// WeCom Customer Service.
    pub kf: super::kf::KfWorld,
}

impl State {
    pub fn register_app(&mut self, appid: &AppId, secret: &AppSecret) {
        self.apps.insert(
            appid.clone(),
            App {
                secret: secret.clone(),
                tokens_issued: 0,
                current_token: None,
            },
        );
    }

    fn unique(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        let salt: u64 = rand::thread_rng().gen();
        format!("{prefix}{}_{salt:016x}", self.next_id)
    }

    /// `cgi-bin/token`: a new token (the old one keeps working five minutes).
    pub fn issue_token(
        &mut self,
        grant_type: Option<&str>,
        appid: &str,
        secret: &str,
        now: UnixMillis,
    ) -> Result<(String, u64), Refusal> {
        if grant_type != Some("client_credential") {
            return Err(refuse(40002, "invalid grant_type"));
        }
        let appid = AppId::new(appid);
        let app = self
            .apps
            .get(&appid)
            .ok_or(refuse(40013, "invalid appid"))?;
        if app.secret.expose() != secret {
            return Err(refuse(40125, "invalid appsecret"));
        }
        Ok(self.mint_token(appid, now))
    }

    /// `cgi-bin/gettoken` (WeCom): a new token for a corpid and its app's
    /// secret. Tokens of a corp authenticate as its corpid.
    pub fn issue_corp_token(
        &mut self,
        corpid: &str,
        secret: &str,
        now: UnixMillis,
    ) -> Result<(String, u64), Refusal> {
        let appid = AppId::new(corpid);
        let app = self
            .apps
            .get(&appid)
            .ok_or(refuse(40013, "invalid corpid"))?;
        if app.secret.expose() != secret {
            return Err(refuse(40001, "invalid credential"));
        }
        Ok(self.mint_token(appid, now))
    }

    fn mint_token(&mut self, appid: AppId, now: UnixMillis) -> (String, u64) {
        let token = self.unique("FAKE_TOKEN_");
        if let Some(old) = self.apps.get(&appid).and_then(|a| a.current_token.clone()) {
            if let Some(record) = self.tokens.get_mut(&old) {
                record.replaced_until = Some(now.plus(TOKEN_OVERLAP));
            }
        }
        self.tokens.insert(
            token.clone(),
            TokenRecord {
                appid: appid.clone(),
                expires_at: now.plus(TOKEN_LIFETIME),
                replaced_until: None,
            },
        );
        if let Some(app) = self.apps.get_mut(&appid) {
            app.tokens_issued += 1;
            app.current_token = Some(token.clone());
        }
        (token, TOKEN_LIFETIME.as_secs())
    }

    /// The account an `access_token` belongs to, if it is still accepted.
    pub fn authenticate(&self, token: Option<&str>, now: UnixMillis) -> Result<AppId, Refusal> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(refuse(41001, "access_token missing"))?;
        let record = self.tokens.get(token).ok_or(refuse(
            40001,
            "invalid credential, access_token is invalid or not latest",
        ))?;
        if now >= record.expires_at {
            return Err(refuse(42001, "access_token expired"));
        }
        if record.replaced_until.is_some_and(|until| now >= until) {
            return Err(refuse(
                40001,
                "invalid credential, access_token is invalid or not latest",
            ));
        }
        Ok(record.appid.clone())
    }

    pub fn tokens_issued(&self, appid: &AppId) -> usize {
        self.apps.get(appid).map_or(0, |app| app.tokens_issued)
    }

    pub fn current_token(&self, appid: &AppId) -> Option<String> {
        self.apps
            .get(appid)
            .and_then(|app| app.current_token.clone())
    }

    pub fn record_follow(&mut self, appid: &AppId, openid: &OpenId, at: UnixMillis) {
        let follower = self
            .followers
            .entry((appid.clone(), openid.clone()))
            .or_default();
        follower.subscribed = true;
        follower.subscribed_at.get_or_insert(at);
    }

    /// A follower wrote: opens a fresh window with a fresh allowance.
    pub fn record_follower_message(&mut self, appid: &AppId, openid: &OpenId, at: UnixMillis) {
        self.record_follow(appid, openid, at);
        let follower = self
            .followers
            .entry((appid.clone(), openid.clone()))
            .or_default();
        if follower.last_message_at.is_none_or(|last| at >= last) {
            follower.last_message_at = Some(at);
            follower.sent_in_window = 0;
        }
    }

    pub fn record_unsubscribe(&mut self, appid: &AppId, openid: &OpenId) {
        let follower = self
            .followers
            .entry((appid.clone(), openid.clone()))
            .or_default();
        follower.subscribed = false;
    }

    pub fn received(&self, openid: &OpenId) -> Vec<ReceivedMessage> {
        self.received
            .iter()
            .filter(|m| &m.openid == openid)
            .cloned()
            .collect()
    }

    /// Checks that `openid` follows `appid` and may be messaged now.
    fn open_window(&self, appid: &AppId, openid: &OpenId, now: UnixMillis) -> Result<(), Refusal> {
        let follower = self
            .followers
            .get(&(appid.clone(), openid.clone()))
            .ok_or(refuse(40003, "invalid openid"))?;
        if !follower.subscribed {
            return Err(refuse(43004, "require subscribe"));
        }
        match follower.last_message_at {
            Some(last) if now < last.plus(WINDOW) => Ok(()),
            _ => Err(refuse(
                45015,
                "response out of time limit or subscription is canceled",
            )),
        }
    }

    /// `message/custom/send`.
    pub fn custom_send(
        &mut self,
        appid: &AppId,
        body: Value,
        now: UnixMillis,
    ) -> Result<(), Refusal> {
        let openid = body
            .get("touser")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(OpenId::new)
            .ok_or(refuse(40003, "invalid openid"))?;
        let msgtype = body
            .get("msgtype")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.open_window(appid, &openid, now)?;
        let payload = body.get(&msgtype).ok_or(refuse(44004, "empty content"))?;
        self.check_content(appid, &msgtype, payload, now)?;
        let follower = self
            .followers
            .get_mut(&(appid.clone(), openid.clone()))
            .ok_or(refuse(40003, "invalid openid"))?;
        if follower.sent_in_window >= WINDOW_MESSAGES {
            return Err(refuse(45047, "out of response count limit"));
        }
        follower.sent_in_window += 1;
        self.received.push(ReceivedMessage {
            appid: appid.clone(),
            openid,
            at: now,
            msgtype,
            body,
        });
        Ok(())
    }

    fn check_content(
        &self,
        appid: &AppId,
        msgtype: &str,
        payload: &Value,
        now: UnixMillis,
    ) -> Result<(), Refusal> {
        let field = |name: &str| {
            payload
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        match msgtype {
            "text" => match field("content").len() {
                0 => Err(refuse(44004, "empty content")),
                n if n > MAX_TEXT_BYTES => Err(refuse(45002, "content size out of limit")),
                _ => Ok(()),
            },
            "image" => self.check_media(appid, field("media_id"), MediaType::Image, now),
            "voice" => self.check_media(appid, field("media_id"), MediaType::Voice, now),
            "video" => {
                self.check_media(appid, field("media_id"), MediaType::Video, now)?;
                match payload.get("thumb_media_id").and_then(Value::as_str) {
                    Some(thumb) => self.check_media(appid, thumb, MediaType::Thumb, now),
                    None => Ok(()),
                }
            }
            "music" | "miniprogrampage" => {
                self.check_media(appid, field("thumb_media_id"), MediaType::Thumb, now)
            }
            "news" => match payload
                .get("articles")
                .and_then(Value::as_array)
                .map(Vec::len)
            {
                None | Some(0) => Err(refuse(44004, "empty content")),
                Some(1) => Ok(()),
                Some(_) => Err(refuse(45008, "article size out of limit")),
            },
            "mpnews" | "wxcard" | "msgmenu" if payload.is_object() => Ok(()),
            _ => Err(refuse(40008, "invalid message type")),
        }
    }

    fn check_media(
        &self,
        appid: &AppId,
        media_id: &str,
        expected: MediaType,
        now: UnixMillis,
    ) -> Result<(), Refusal> {
        if media_id.is_empty() {
            return Err(refuse(41006, "media_id missing"));
        }
        let media = self.media(appid, &MediaId::new(media_id), now)?;
        // A thumb may also be given as an image.
        let fits = media.media_type == expected
            || (expected == MediaType::Thumb && media.media_type == MediaType::Image);
        if fits {
            Ok(())
        } else {
            Err(refuse(40007, "invalid media_id"))
        }
    }

    /// `message/custom/typing`.
    pub fn typing(&self, appid: &AppId, body: &Value, now: UnixMillis) -> Result<(), Refusal> {
        let openid = body
            .get("touser")
            .and_then(Value::as_str)
            .map(OpenId::new)
            .ok_or(refuse(40003, "invalid openid"))?;
        match body.get("command").and_then(Value::as_str) {
            Some("Typing" | "CancelTyping") => self.open_window(appid, &openid, now),
            _ => Err(refuse(47001, "data format error")),
        }
    }

    /// Stores media, ours or (through the simulator) a follower's, after the
    /// checks `media/upload` makes.
    pub fn store_media(
        &mut self,
        appid: &AppId,
        media_type: MediaType,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
        now: UnixMillis,
    ) -> Result<Value, Refusal> {
        if bytes.is_empty() {
            return Err(refuse(40006, "invalid meida size"));
        }
        if !media_type.accepts_filename(filename) {
            return Err(refuse(40005, "invalid file type"));
        }
        if bytes.len() > media_type.max_bytes() {
            return Err(match media_type {
                MediaType::Image => refuse(40009, "invalid image size"),
                MediaType::Voice => refuse(40010, "invalid voice size"),
                MediaType::Video => refuse(40011, "invalid video size"),
                MediaType::Thumb => refuse(40012, "invalid thumb size"),
                MediaType::File => refuse(40006, "invalid file size"),
            });
        }
        let media_id = MediaId::new(self.unique("FAKE_MEDIA_"));
        self.media.insert(
            media_id.clone(),
            StoredMedia {
                appid: appid.clone(),
                media_type,
                filename: filename.to_owned(),
                content_type: content_type.to_owned(),
                bytes,
                created_at: now,
            },
        );
        Ok(json!({
            "type": media_type.as_str(),
            "media_id": media_id,
            "created_at": now.as_secs(),
        }))
    }

    /// Media that `appid` may still use at `now`.
    pub fn media(
        &self,
        appid: &AppId,
        media_id: &MediaId,
        now: UnixMillis,
    ) -> Result<&StoredMedia, Refusal> {
        self.media
            .get(media_id)
            .filter(|m| &m.appid == appid && now < m.created_at.plus(MEDIA_LIFETIME))
            .ok_or(refuse(40007, "invalid media_id"))
    }

    /// Media by id alone, for the unauthenticated video link.
    pub fn media_by_link(&self, media_id: &MediaId, now: UnixMillis) -> Option<&StoredMedia> {
        self.media
            .get(media_id)
            .filter(|m| now < m.created_at.plus(MEDIA_LIFETIME))
    }

    /// `user/info`.
    pub fn user_info(&self, appid: &AppId, openid: &OpenId) -> Result<Value, Refusal> {
        let follower = self
            .followers
            .get(&(appid.clone(), openid.clone()))
            .ok_or(refuse(40003, "invalid openid"))?;
        if !follower.subscribed {
            return Ok(json!({ "subscribe": 0, "openid": openid }));
        }
        let info = UserInfo {
            subscribe: true,
            openid: openid.clone(),
            language: Some("zh_CN".into()),
            subscribe_time: follower.subscribed_at.map(UnixMillis::as_secs),
            unionid: None,
            remark: Some(String::new()),
            groupid: Some(0),
            tagid_list: Vec::new(),
            subscribe_scene: Some("ADD_SCENE_SEARCH".into()),
            qr_scene: Some(0),
            qr_scene_str: Some(String::new()),
        };
        serde_json::to_value(info).map_err(|_| refuse(-1, "system error"))
    }
}
