//! `/wechat/oa/{channel_id}`: WeChat's URL verification (GET) and message
//! pushes (POST). A push is verified, decrypted, parsed and committed before
//! `success` is answered; nothing calls WeChat inline, so the answer comes
//! well within WeChat's 5 seconds. Refusals are 4xx with nothing stored.
//!
//! A signature proves only who built the URL (plain mode signs token,
//! timestamp and nonce, not the body), so a push must also be signed within
//! the last few minutes and a plain push's URL must not have come before
//! with another body (`channels::callback_guard`); an encrypted push's
//! `msg_signature` covers its body already. An address that keeps sending bad
//! signatures is refused unheard for the rest of the minute.

use crate::channels::callback_guard;
use crate::channels::official_account;
use crate::error::AppError;
use crate::ingest::Stored;
use crate::state::AppState;
use crate::store::callback_urls::CallbackUrl;
use crate::store::inbox::Inbound;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use shared::ChannelId;
use std::net::SocketAddr;
use wechat::callback::{CallbackError, Mode};
use wechat::message::{Event, MessageBody, MessageKind};
use wechat::query::Query;

/// How long a push may wait for its commit before WeChat is told to retry.
const STORE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(4);

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/wechat/oa/{channel_id}",
        get(verify_url).post(receive_push),
    )
}

pub(super) fn refuse(status: StatusCode, code: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        code.to_owned(),
    )
        .into_response()
}

pub(super) fn plain(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Who is calling, as the bad-signature limit counts them.
fn caller(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> String {
    crate::client_address::throttle_key(state.config.trusted_proxies.client(peer.ip(), headers))
}

/// Why a callback is refused before its channel is loaded.
pub(super) enum Unadmitted {
    UnknownChannel,
    TooManyBadSignatures,
}

impl IntoResponse for Unadmitted {
    fn into_response(self) -> Response {
        match self {
            Unadmitted::UnknownChannel => refuse(StatusCode::NOT_FOUND, "unknown_channel"),
            Unadmitted::TooManyBadSignatures => {
                let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, "too_many_bad_signatures");
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
                response
            }
        }
    }
}

/// The channel a callback's path names and who is calling, unless the path
/// names no channel or the caller used up its bad signatures for that
/// channel this minute.
pub(super) fn admit(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    channel_id: &str,
) -> Result<(ChannelId, String), Unadmitted> {
    let channel_id = channel_id
        .parse::<ChannelId>()
        .map_err(|_| Unadmitted::UnknownChannel)?;
    let caller = caller(state, peer, headers);
    if state
        .bad_signatures
        .blocked(&caller, channel_id, state.clock.now())
    {
        return Err(Unadmitted::TooManyBadSignatures);
    }
    Ok((channel_id, caller))
}

async fn verify_url(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(channel_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (channel_id, caller) = match admit(&state, peer, &headers, &channel_id) {
        Ok(admitted) => admitted,
        Err(refused) => return refused.into_response(),
    };
    let account = match state
        .accounts
        .load(&state.store, &state.secrets, channel_id)
        .await
    {
        Ok(Some(account)) => account,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "unknown_channel"),
        Err(err) => return err.into_response(),
    };
    let Ok(query) = Query::parse(raw.as_deref().unwrap_or_default()) else {
        return refuse(StatusCode::BAD_REQUEST, "bad_query");
    };
    match wechat::signature::verify_url(&account.secrets.token, &query) {
        Ok(echostr) => plain(echostr),
        Err(err) => {
            state
                .bad_signatures
                .record(&caller, channel_id, state.clock.now());
            tracing::warn!(channel = %channel_id, reason = err.code(), "refused a URL verification");
            refuse(StatusCode::FORBIDDEN, err.code())
        }
    }
}

async fn receive_push(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(channel_id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let (channel_id, caller) = match admit(&state, peer, &headers, &channel_id) {
        Ok(admitted) => admitted,
        Err(refused) => return refused.into_response(),
    };
    let account = match state
        .accounts
        .load(&state.store, &state.secrets, channel_id)
        .await
    {
        Ok(Some(account)) if account.channel.active => account,
        Ok(_) => return refuse(StatusCode::NOT_FOUND, "unknown_channel"),
        Err(err) => return err.into_response(),
    };
    let config = match account.callback_config() {
        Ok(config) => config,
        Err(err) => return err.into_response(),
    };
    let now = state.clock.now();
    let max_age = state.config.callback_max_age_s;
    let parsed = Query::parse(raw.as_deref().unwrap_or_default())
        .map_err(|e| e.code())
        .and_then(
            |query| match wechat::callback::receive(&config, &query, &body) {
                Ok(message) => {
                    // Encrypted pushes carry `msg_signature` over their body:
                    // only a plain one needs its URL bound to it.
                    let bound = (config.mode() == Mode::Plain).then_some(&body[..]);
                    callback_guard::signed_url(channel_id, &query, bound, now, max_age)
                        .map(|url| (message, url))
                        .map_err(|refusal| refusal.code())
                }
                Err(err @ CallbackError::Signature(_)) => {
                    state.bad_signatures.record(&caller, channel_id, now);
                    Err(err.code())
                }
                Err(err) => Err(err.code()),
            },
        );
    let (message, url) = match parsed {
        Ok(parsed) => parsed,
        Err(code) => return refused_push(channel_id, code),
    };
    match store(&state, &account, &message, url).await {
        Ok(Stored::New(_) | Stored::Retry) => plain("success".into()),
        Ok(Stored::Replayed) => refused_push(channel_id, "replayed_callback"),
        // 5xx so WeChat retries: nothing is acknowledged that is not committed.
        Err(err) => err.into_response(),
    }
}

fn refused_push(channel_id: ChannelId, code: &str) -> Response {
    // One line, no secrets, no body: just which channel and why.
    tracing::warn!(channel = %channel_id, reason = code, "refused a WeChat push");
    refuse(StatusCode::BAD_REQUEST, code)
}

async fn store(
    state: &AppState,
    account: &official_account::OfficialAccount,
    message: &wechat::message::InboundMessage,
    url: Option<CallbackUrl>,
) -> Result<Stored, AppError> {
    let fields = serde_json::to_value(message.fields()).map_err(AppError::internal)?;
    let dedupe_key = message.dedupe_key();
    let (kind, body, opens_window, subscribed) = describe(message);
    let open_id = message
        .fields()
        .text("FromUserName")
        .unwrap_or_default()
        .to_owned();
    if open_id.is_empty() {
        return Err(AppError::BadRequest("The push names no sender.".into()));
    }
    // Normalising for search is CPU work: done here, in parallel, rather
    // than in the single writer.
    let search_terms = match &body {
        Some(text) if kind != "event" => crate::search::index_terms(text),
        _ => Vec::new(),
    };
    let push = Inbound {
        channel_id: account.channel.id,
        team: account.team(),
        open_id,
        dedupe_key: dedupe_key.as_str().to_owned(),
        kind,
        body,
        fields,
        opens_window,
        subscribed,
        media_id: media_id(message),
        search_terms,
    };
    // Committed (or found already stored) before this returns. A database
    // that cannot commit in time gets a 503 inside WeChat's 5 s, so WeChat
    // retries; should the push commit later, the retry finds it stored.
    match tokio::time::timeout(STORE_DEADLINE, state.inbox.store(push, url)).await {
        Ok(stored) => stored,
        Err(_) => {
            tracing::error!(channel = %account.channel.id, "a WeChat push could not be committed in time");
            Err(AppError::Unavailable)
        }
    }
}

/// The MediaId of an image, voice or video message.
fn media_id(message: &wechat::message::InboundMessage) -> Option<String> {
    match message.kind() {
        MessageKind::Message {
            body:
                MessageBody::Image { media_id, .. }
                | MessageBody::Voice { media_id, .. }
                | MessageBody::Video { media_id, .. }
                | MessageBody::ShortVideo { media_id, .. },
            ..
        } => Some(media_id.as_str().to_owned()),
        _ => None,
    }
}

/// (kind, readable text, opens the reply window, subscription change)
fn describe(
    message: &wechat::message::InboundMessage,
) -> (String, Option<String>, bool, Option<bool>) {
    match message.kind() {
        MessageKind::Message { body, .. } => {
            let (kind, text) = match body {
                MessageBody::Text { content } => ("text", Some(content.clone())),
                MessageBody::Image { .. } => ("image", None),
                MessageBody::Voice { recognition, .. } => ("voice", recognition.clone()),
                MessageBody::Video { .. } => ("video", None),
                MessageBody::ShortVideo { .. } => ("shortvideo", None),
                MessageBody::Location { label, .. } => ("location", Some(label.clone())),
                MessageBody::Link { title, url, .. } => ("link", Some(format!("{title} {url}"))),
            };
            (kind.to_owned(), text, true, None)
        }
        MessageKind::Event { event, .. } => {
            let subscribed = match event {
                Event::Subscribe { .. } => Some(true),
                Event::Unsubscribe => Some(false),
                _ => None,
            };
            let name = message.fields().text("Event").unwrap_or("event").to_owned();
            ("event".to_owned(), Some(name), false, subscribed)
        }
        MessageKind::Unknown => {
            let kind = message
                .fields()
                .text("MsgType")
                .unwrap_or("unknown")
                .to_owned();
            (kind, None, false, None)
        }
    }
}
