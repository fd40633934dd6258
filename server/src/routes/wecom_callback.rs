//! `/wechat/kf/{channel_id}`: WeCom's URL verification (GET) and its
//! callbacks (POST) for a Customer Service estate. Both carry
//! `msg_signature` and an encrypted body. A callback only says "pull": it
//! is counted against its account and a pull job is queued, in one commit,
//! and then answered with an empty 200 (the pull runs afterwards, see
//! `channels::kf_sync`). Refusals are 4xx with nothing stored.
//!
//! A replayed callback can only cause one more pull, which stores nothing
//! twice; so no URL binding is needed beyond the signature.

use super::wechat_callback::{admit, plain, refuse};
use crate::channels::wecom_kf;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use shared::ChannelId;
use std::net::SocketAddr;
use std::sync::Arc;
use wechat::callback::CallbackError;
use wechat::kf::KfCallbackConfig;
use wechat::query::Query;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/wechat/kf/{channel_id}",
        get(verify_url).post(receive_callback),
    )
}

/// The estate's callback credentials (opened at most once a moment, like
/// an Official Account's), or the answer refusing the request.
async fn estate(
    state: &AppState,
    channel_id: ChannelId,
    active_only: bool,
) -> Result<Arc<(wecom_kf::WecomKf, KfCallbackConfig)>, Response> {
    let opened = state
        .estates
        .get_or_open(channel_id, || async {
            let Some(estate) = wecom_kf::load(&state.store, &state.secrets, channel_id).await?
            else {
                return Ok(None);
            };
            let config = estate.callback_config()?;
            Ok(Some((estate, config)))
        })
        .await;
    match opened {
        Ok(Some(opened)) if opened.0.channel.active || !active_only => Ok(opened),
        Ok(_) => Err(refuse(StatusCode::NOT_FOUND, "unknown_channel")),
        Err(err) => Err(err.into_response()),
    }
}

/// Runs `check` with the estate's credentials; if the signature fails with
/// a copy opened a moment ago, once more with the credentials read afresh
/// (an admin may have just changed the Token or key, and WeCom checks the
/// URL at once).
async fn checked<T>(
    state: &AppState,
    channel_id: ChannelId,
    active_only: bool,
    check: impl Fn(&KfCallbackConfig) -> Result<T, CallbackError>,
) -> Result<Result<T, CallbackError>, Response> {
    let opened = estate(state, channel_id, active_only).await?;
    match check(&opened.1) {
        Err(CallbackError::Signature(_)) => {
            state.estates.forget(channel_id);
            let fresh = estate(state, channel_id, active_only).await?;
            Ok(check(&fresh.1))
        }
        other => Ok(other),
    }
}

/// Records a refused signature against the caller, and says why.
fn refused(state: &AppState, caller: &str, channel_id: ChannelId, err: &CallbackError) -> Response {
    if matches!(err, CallbackError::Signature(_)) {
        state
            .bad_signatures
            .record(caller, channel_id, state.clock.now());
    }
    // One line, no secrets, no body: which channel and why.
    tracing::warn!(channel = %channel_id, reason = err.code(), "refused a WeCom callback");
    let status = match err {
        CallbackError::Signature(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    refuse(status, err.code())
}

/// Answers the decrypted `echostr` and nothing else (WeCom wants it within
/// 1 s: one read and one decryption).
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
    let Ok(query) = Query::parse(raw.as_deref().unwrap_or_default()) else {
        return refuse(StatusCode::BAD_REQUEST, "bad_query");
    };
    match checked(&state, channel_id, false, |config| {
        wechat::kf::verify_url(config, &query)
    })
    .await
    {
        Ok(Ok(echostr)) => plain(echostr),
        Ok(Err(err)) => refused(&state, &caller, channel_id, &err),
        Err(answer) => answer,
    }
}

async fn receive_callback(
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
    let Ok(query) = Query::parse(raw.as_deref().unwrap_or_default()) else {
        return refuse(StatusCode::BAD_REQUEST, "bad_query");
    };
    let callback = match checked(&state, channel_id, true, |config| {
        wechat::kf::receive(config, &query, &body)
    })
    .await
    {
        Ok(Ok(callback)) => callback,
        Ok(Err(err)) => return refused(&state, &caller, channel_id, &err),
        Err(answer) => return answer,
    };
    let Some(notice) = callback.sync_notice() else {
        // Account authorisations and the like: nothing to pull.
        tracing::info!(channel = %channel_id, event = callback.event().unwrap_or_default(), "a WeCom callback with nothing to pull");
        return plain(String::new());
    };
    match want_sync(&state, channel_id, &notice).await {
        Ok(()) => plain(String::new()),
        // 5xx so WeCom retries: nothing is acknowledged that is not committed.
        Err(err) => err.into_response(),
    }
}

async fn want_sync(
    state: &AppState,
    channel_id: ChannelId,
    notice: &wechat::kf::SyncNotice,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    crate::store::kf::want_sync(
        &mut tx,
        now,
        channel_id,
        notice.open_kfid.as_str(),
        notice.token.as_deref(),
    )
    .await?;
    tx.commit_quietly().await?;
    Ok(())
}
