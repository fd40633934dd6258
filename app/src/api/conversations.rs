//! Calls on conversations: queue pages, one conversation, actions (claim,
//! assign, resolve …) one at a time or in bulk, notes, read marks,
//! colleagues, timeline pages, the reply window, replies (text, image or
//! file) and taking a WeCom session back.

use gloo_net::http::Method;
use shared::api::{
    BulkAction, BulkResult, Colleague, ConversationAction, ConversationPage, ConversationSummary,
    MessageView, NoteRequest, QueuedReply, ReplyRequest, ReplyWindow, TakeBackRequest,
    TakeBackResult,
};
use shared::{ConversationId, UserId};

use super::client::{decode, get_json, send_authed, send_bytes, send_json, ApiError, TokenSource};
use crate::queues::ListQuery;

/// How many timeline entries one page holds.
pub const MESSAGE_PAGE: usize = 50;

/// One page of a queue, after `after` (the previous page's `next`).
pub async fn page(
    auth: impl TokenSource,
    query: ListQuery,
    limit: usize,
    after: Option<String>,
) -> Result<ConversationPage, ApiError> {
    get_json(auth, &query.path(limit, after.as_deref())).await
}

/// The open and pending conversations `user` holds, longest wait first
/// (the floor's view of an agent's queue).
pub async fn held_by(auth: impl TokenSource, user: UserId) -> Result<ConversationPage, ApiError> {
    get_json(
        auth,
        &format!("/conversations?queue=all&assignee={user}&sort=waiting&limit=100"),
    )
    .await
}

/// One conversation; `Ok(None)` when it is gone or out of the user's sight.
pub async fn one(
    auth: impl TokenSource,
    id: ConversationId,
) -> Result<Option<ConversationSummary>, ApiError> {
    match get_json(auth, &format!("/conversations/{id}")).await {
        Ok(summary) => Ok(Some(summary)),
        Err(error) if error.status == 404 => Ok(None),
        Err(error) => Err(error),
    }
}

/// Applies an action; `Ok(None)` when it took the conversation out of the
/// user's sight (a transfer to another team answers 204).
pub async fn act(
    auth: impl TokenSource,
    id: ConversationId,
    action: ConversationAction,
) -> Result<Option<ConversationSummary>, ApiError> {
    let json = super::client::encode(&action)?;
    let path = format!("/conversations/{id}/actions");
    let response = send_authed(auth, Method::POST, &path, Some(json)).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    decode(response).await.map(Some)
}

pub async fn bulk(
    auth: impl TokenSource,
    ids: Vec<ConversationId>,
    action: ConversationAction,
) -> Result<BulkResult, ApiError> {
    // The request body names conversations as plain strings.
    let ids = ids.iter().map(ConversationId::to_string).collect();
    send_json(
        auth,
        Method::POST,
        "/conversations/bulk",
        &BulkAction { ids, action },
    )
    .await
}

pub async fn add_note(
    auth: impl TokenSource,
    id: ConversationId,
    text: String,
    mentions: Vec<UserId>,
) -> Result<MessageView, ApiError> {
    let path = format!("/conversations/{id}/notes");
    send_json(auth, Method::POST, &path, &NoteRequest { text, mentions }).await
}

/// Marks the conversation read for this user (clears unread and mentions).
pub async fn mark_read(auth: impl TokenSource, id: ConversationId) -> Result<(), ApiError> {
    let path = format!("/conversations/{id}/read");
    send_authed(auth, Method::POST, &path, None)
        .await
        .map(|_| ())
}

pub async fn colleagues(
    auth: impl TokenSource,
    id: ConversationId,
) -> Result<Vec<Colleague>, ApiError> {
    get_json(auth, &format!("/conversations/{id}/colleagues")).await
}

/// A page of the timeline, oldest first: the newest entries, or those
/// before `before` (a position).
pub async fn messages(
    auth: impl TokenSource,
    id: ConversationId,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<MessageView>, ApiError> {
    let mut path = format!("/conversations/{id}/messages?limit={limit}");
    if let Some(before) = before {
        path.push_str(&format!("&before={before}"));
    }
    get_json(auth, &path).await
}

pub async fn window(auth: impl TokenSource, id: ConversationId) -> Result<ReplyWindow, ApiError> {
    get_json(auth, &format!("/conversations/{id}/window")).await
}

/// Queues a text reply. `confirm_recent` sends it even though a colleague
/// replied moments ago (the server asks first with `recent_reply`).
pub async fn reply(
    auth: impl TokenSource,
    id: ConversationId,
    text: String,
    confirm_recent: bool,
) -> Result<QueuedReply, ApiError> {
    let path = format!("/conversations/{id}/messages");
    send_json(
        auth,
        Method::POST,
        &path,
        &ReplyRequest {
            text,
            confirm_recent,
        },
    )
    .await
}

/// Queues an image reply: `bytes` sent as they are, as `content_type`
/// (`image/jpeg`, `image/png` or `image/gif`). `confirm_recent` as for [`reply`].
pub async fn send_image(
    auth: impl TokenSource,
    id: ConversationId,
    content_type: &str,
    bytes: &[u8],
    confirm_recent: bool,
) -> Result<QueuedReply, ApiError> {
    let path = format!("/conversations/{id}/images?confirm_recent={confirm_recent}");
    send_bytes(auth, Method::POST, &path, content_type, bytes).await
}

/// Queues a file reply (WeCom Customer Service only): `bytes` sent as they
/// are, under `name`. `confirm_recent` as for [`reply`].
pub async fn send_file(
    auth: impl TokenSource,
    id: ConversationId,
    name: &str,
    bytes: &[u8],
    confirm_recent: bool,
) -> Result<QueuedReply, ApiError> {
    let name = String::from(js_sys::encode_uri_component(name));
    let path = format!("/conversations/{id}/files?name={name}&confirm_recent={confirm_recent}");
    send_bytes(auth, Method::POST, &path, "application/octet-stream", bytes).await
}

/// Takes a WeCom session back for the inbox; `end_session` ends one a
/// colleague has in the WeCom client (the only way WeCom allows).
pub async fn take_back(
    auth: impl TokenSource,
    id: ConversationId,
    end_session: bool,
) -> Result<TakeBackResult, ApiError> {
    send_json(
        auth,
        Method::POST,
        &format!("/conversations/{id}/wecom/take-back"),
        &TakeBackRequest { end_session },
    )
    .await
}
