//! Replying in a conversation and reading its WeChat reply window. Only
//! people who may see the conversation's team may act; compliance reads only.

use super::{ApiJson, IdPath};
use crate::access::{Access, ClientIp, Read};
use crate::auth::AuthUser;
use crate::channels::clients::Clients;
use crate::channels::kf_session::{KfSession, TakeBack};
use crate::channels::voice;
use crate::error::{AppError, AppResult};
use crate::reply_window::REPLIES_PER_WINDOW;
use crate::state::AppState;
use crate::store::outbound::{queue_reply, Reply, ReplyTarget};
use crate::store::triage::{self, Actor};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared::api::{
    BulkAction, BulkFailure, BulkResult, Colleague, ConversationAction, ConversationPage,
    ConversationQuery, ConversationSummary, DeliveryState, MediaState, MessageView, NoteRequest,
    QueuedReply, ReplyRequest, ReplyWindow, TakeBackRequest, TakeBackResult, WecomSession,
    WindowRefusal,
};
use shared::media::{file_type, image_type, valid_file_name, FILE_MAX_BYTES, IMAGE_MAX_BYTES};
use shared::{ConversationId, MessageId, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(list_conversations))
        .route("/api/v1/conversations/bulk", post(bulk_action))
        .route("/api/v1/conversations/{id}", get(one_conversation))
        .route("/api/v1/conversations/{id}/actions", post(act))
        .route("/api/v1/conversations/{id}/notes", post(add_note))
        .route("/api/v1/conversations/{id}/read", post(mark_read))
        .route("/api/v1/conversations/{id}/colleagues", get(colleagues))
        .route(
            "/api/v1/conversations/{id}/messages",
            post(reply).get(list_messages),
        )
        .route(
            "/api/v1/conversations/{id}/images",
            post(reply_image).layer(DefaultBodyLimit::max(IMAGE_BODY_LIMIT)),
        )
        .route(
            "/api/v1/conversations/{id}/files",
            post(reply_file).layer(DefaultBodyLimit::max(FILE_BODY_LIMIT)),
        )
        .route("/api/v1/conversations/{id}/window", get(window))
        .route(
            "/api/v1/conversations/{id}/wecom/take-back",
            post(take_back_wecom_session),
        )
        .route("/api/v1/messages/{id}", get(message_status))
        .route("/api/v1/messages/{id}/media", get(message_media))
}

/// Loads a conversation the user may see; others get a 404, not a hint that it exists.
async fn visible_target(
    state: &AppState,
    user: &AuthUser,
    id: ConversationId,
) -> AppResult<ReplyTarget> {
    let target = state
        .store
        .reply_target(id)
        .await?
        .ok_or(AppError::NotFound("That conversation"))?;
    if user.scope().allows(target.team()) {
        Ok(target)
    } else {
        Err(AppError::NotFound("That conversation"))
    }
}

/// Who changes things: everyone but compliance, who only reads.
fn actor(user: &AuthUser) -> AppResult<Actor<'_>> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])?;
    Ok(Actor {
        id: user.id,
        name: &user.name,
        scope: user.scope(),
    })
}

async fn list_conversations(
    State(state): State<AppState>,
    user: AuthUser,
    query: Result<Query<ConversationQuery>, QueryRejection>,
) -> AppResult<Json<ConversationPage>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(
        state
            .store
            .list_conversations(&user.viewer(), &query)
            .await?,
    ))
}

async fn one_conversation(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    IdPath(id): IdPath<ConversationId>,
) -> AppResult<Json<ConversationSummary>> {
    let summary = state
        .store
        .conversation_summary(&user.viewer(), id)
        .await?
        .ok_or(AppError::NotFound("That conversation"))?;
    state
        .access
        .record(Access::new(Read::Conversation, &user, &from).conversation(id));
    Ok(Json(summary))
}

/// Answers with the changed conversation, or 204 when the change (a
/// transfer) took it out of the user's sight.
async fn act(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
    ApiJson(action): ApiJson<ConversationAction>,
) -> AppResult<Response> {
    let actor = actor(&user)?;
    triage::apply(&state.store, state.clock.now(), &actor, id, &action).await?;
    Ok(
        match state.store.conversation_summary(&user.viewer(), id).await? {
            Some(summary) => Json(summary).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

const MAX_BULK: usize = 500;

/// A reply this soon after another agent's asks for confirmation first.
const RECENT_REPLY_MS: i64 = 30_000;

async fn bulk_action(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(bulk): ApiJson<BulkAction>,
) -> AppResult<Json<BulkResult>> {
    let actor = actor(&user)?;
    if bulk.ids.is_empty() || bulk.ids.len() > MAX_BULK {
        return Err(AppError::validation(
            "ids",
            format!("Select between 1 and {MAX_BULK} conversations."),
        ));
    }
    let mut result = BulkResult {
        done: Vec::new(),
        failed: Vec::new(),
    };
    for raw in bulk.ids {
        let outcome = match raw.parse::<ConversationId>() {
            Ok(id) => triage::apply(&state.store, state.clock.now(), &actor, id, &bulk.action)
                .await
                .map(|_| id),
            Err(_) => Err(AppError::NotFound("That conversation")),
        };
        match outcome {
            Ok(id) => result.done.push(id),
            Err(AppError::Internal(err)) => return Err(AppError::Internal(err)),
            Err(AppError::Unavailable) => return Err(AppError::Unavailable),
            Err(err) => result.failed.push(BulkFailure {
                id: raw,
                error: err.to_string(),
            }),
        }
    }
    Ok(Json(result))
}

async fn add_note(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
    ApiJson(note): ApiJson<NoteRequest>,
) -> AppResult<(StatusCode, Json<MessageView>)> {
    let actor = actor(&user)?;
    let message = triage::add_note(
        &state.store,
        state.clock.now(),
        &actor,
        id,
        &note.text,
        &note.mentions,
    )
    .await?;
    let view = state
        .store
        .conversation_messages(id, None, 20)
        .await?
        .into_iter()
        .find(|m| m.id == message)
        .ok_or(AppError::NotFound("That note"))?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
) -> AppResult<StatusCode> {
    visible_target(&state, &user, id).await?;
    state
        .store
        .mark_read(state.clock.now(), user.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn colleagues(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
) -> AppResult<Json<Vec<Colleague>>> {
    let target = visible_target(&state, &user, id).await?;
    Ok(Json(state.store.colleagues(target.team()).await?))
}

#[derive(Deserialize)]
struct MessagesQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list_messages(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    IdPath(id): IdPath<ConversationId>,
    query: Result<Query<MessagesQuery>, QueryRejection>,
) -> AppResult<Json<Vec<MessageView>>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let target = visible_target(&state, &user, id).await?;
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let page = state
        .store
        .conversation_messages(id, query.before, limit)
        .await?;
    state.access.record(
        Access::new(Read::Timeline, &user, &from)
            .conversation(id)
            .contact(target.contact_id)
            .detail(serde_json::json!({ "before": query.before, "messages": page.len() })),
    );
    Ok(Json(page))
}

async fn reply(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
    ApiJson(input): ApiJson<ReplyRequest>,
) -> AppResult<(StatusCode, Json<QueuedReply>)> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])?;
    visible_target(&state, &user, id).await?;
    let text = input.text.trim();
    if text.is_empty() {
        return Err(AppError::validation("text", "Write a reply first."));
    }
    if text.len() > 2048 {
        return Err(AppError::validation(
            "text",
            "WeChat accepts at most 2,048 bytes in one message; split the reply.",
        ));
    }
    let now = may_reply_now(&state, &user, id, input.confirm_recent).await?;
    let message = queue_reply(&state.store, now, user.id, id, Reply::Text(text)).await?;
    Ok(queued(message))
}

fn queued(message: MessageId) -> (StatusCode, Json<QueuedReply>) {
    (
        StatusCode::ACCEPTED,
        Json(QueuedReply {
            message,
            status: DeliveryState::Queued,
        }),
    )
}

/// Refuses a reply while a colleague holds the conversation's reply lock,
/// or (unless confirmed) moments after a colleague replied. Returns now.
async fn may_reply_now(
    state: &AppState,
    user: &AuthUser,
    id: ConversationId,
    confirm_recent: bool,
) -> AppResult<i64> {
    let now = state.clock.now();
    if let Some((holder, name)) = state.presence.holder(id, now) {
        if holder != user.id {
            return Err(AppError::ReplyLocked(format!(
                "{name} is replying to this client. Take over to reply instead."
            )));
        }
    }
    if !confirm_recent {
        let since = now - RECENT_REPLY_MS;
        if let Some((name, _)) = state
            .store
            .recent_reply_by_other(id, user.id, since)
            .await?
        {
            return Err(AppError::RecentReply(format!(
                "{name} replied to this client moments ago. Send yours as well?"
            )));
        }
    }
    Ok(now)
}

/// Bodies up to this size are read so that a too-large image gets a
/// sentence rather than a bare 413.
const IMAGE_BODY_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct ImageQuery {
    #[serde(default)]
    confirm_recent: bool,
}

/// Sends an image (the request body: JPG, PNG or GIF up to 2 MB) as a
/// reply. It is kept in the media store and goes out like a text reply.
async fn reply_image(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
    query: Result<Query<ImageQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<(StatusCode, Json<QueuedReply>)> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])?;
    visible_target(&state, &user, id).await?;
    let Query(query) =
        query.map_err(|_| AppError::validation("confirm_recent", "Use true or false."))?;
    let bytes = upload_body(
        body,
        "image",
        IMAGE_MAX_BYTES,
        "WeChat takes images up to 2 MB; make this one smaller and send it again.",
        "Choose an image to send.",
    )?;
    let content_type = image_type(&bytes).ok_or_else(|| {
        AppError::validation(
            "image",
            "WeChat takes JPG, PNG or GIF images; this file is none of them.",
        )
    })?;
    let now = may_reply_now(&state, &user, id, query.confirm_recent).await?;
    let sha256 = state.media.put(&bytes).await.map_err(AppError::internal)?;
    let reply = Reply::Image {
        sha256: &sha256,
        content_type,
        size: bytes.len() as i64,
    };
    let message = queue_reply(&state.store, now, user.id, id, reply).await?;
    Ok(queued(message))
}

/// An upload's bytes, refused with a sentence naming `field` when the body
/// is empty or over `max` bytes (or too large to read at all).
fn upload_body(
    body: Result<Bytes, BytesRejection>,
    field: &'static str,
    max: usize,
    too_large: &'static str,
    empty: &'static str,
) -> AppResult<Bytes> {
    let bytes = body.map_err(|_| AppError::validation(field, too_large))?;
    if bytes.is_empty() {
        return Err(AppError::validation(field, empty));
    }
    if bytes.len() > max {
        return Err(AppError::validation(field, too_large));
    }
    Ok(bytes)
}

/// Bodies up to this size are read so that a too-large file gets a
/// sentence rather than a bare 413.
const FILE_BODY_LIMIT: usize = FILE_MAX_BYTES + 4 * 1024 * 1024;

#[derive(Deserialize)]
struct FileQuery {
    /// The name the client sees the file under.
    #[serde(default)]
    name: String,
    #[serde(default)]
    confirm_recent: bool,
}

/// Sends a file (the request body, up to 20 MB, named by `?name=`) as a
/// reply. Only WeCom Customer Service sends files; an Official Account's
/// customer-service messages cannot carry one.
async fn reply_file(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
    query: Result<Query<FileQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<(StatusCode, Json<QueuedReply>)> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])?;
    let target = visible_target(&state, &user, id).await?;
    let Query(query) =
        query.map_err(|_| AppError::validation("confirm_recent", "Use true or false."))?;
    if !target.sends_files() {
        return Err(AppError::conflict_because(
            "files_not_supported",
            "An Official Account cannot send files to a client; send a link or an image instead.",
        ));
    }
    let name = query.name.trim();
    if !valid_file_name(name) {
        return Err(AppError::validation(
            "name",
            "Name the file (up to 128 characters, without / or \\).",
        ));
    }
    let bytes = upload_body(
        body,
        "file",
        FILE_MAX_BYTES,
        "WeCom takes files up to 20 MB; send a smaller one.",
        "This file is empty; choose another.",
    )?;
    let now = may_reply_now(&state, &user, id, query.confirm_recent).await?;
    let sha256 = state.media.put(&bytes).await.map_err(AppError::internal)?;
    let reply = Reply::File {
        sha256: &sha256,
        content_type: file_type(&bytes),
        size: bytes.len() as i64,
        name,
    };
    let message = queue_reply(&state.store, now, user.id, id, reply).await?;
    Ok(queued(message))
}

async fn window(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
) -> AppResult<Json<ReplyWindow>> {
    let target = visible_target(&state, &user, id).await?;
    let window = target.window();
    let now = state.clock.now();
    let closes_at = window.closes_at(now);
    let refused = window.refusal(now);
    Ok(Json(ReplyWindow {
        open: closes_at.is_some(),
        closes_at,
        replies_left: window.replies_left(now),
        replies_per_window: REPLIES_PER_WINDOW,
        refusal: refused.as_ref().map(WindowRefusal::sentence),
        refused,
        sends_files: target.sends_files(),
    }))
}

/// Takes a WeCom Customer Service session back for the inbox where WeCom
/// allows it. A colleague's session in the WeCom client can only be ended:
/// without `end_session` that is a 409 (`wecom_end_to_take_back`) naming
/// them, with it the session ends and the client's next message comes here.
async fn take_back_wecom_session(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ConversationId>,
    ApiJson(request): ApiJson<TakeBackRequest>,
) -> AppResult<Json<TakeBackResult>> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])?;
    visible_target(&state, &user, id).await?;
    let session = KfSession {
        store: state.store.clone(),
        clients: Clients::new(
            state.store.clone(),
            state.secrets.clone(),
            state.clock.clone(),
        ),
        clock: state.clock.clone(),
    };
    match session.take_back(&user, id, request.end_session).await? {
        TakeBack::Inbox => Ok(Json(TakeBackResult {
            session: WecomSession::Inbox,
        })),
        TakeBack::Ended => Ok(Json(TakeBackResult {
            session: WecomSession::Ended,
        })),
        TakeBack::MustEnd { servicer } => Err(AppError::conflict_because(
            "wecom_end_to_take_back",
            format!(
                "{} this session in the WeCom client, and WeCom lets the inbox take it back only by ending it. Send end_session: true to end it; the client's next message then comes to the inbox.",
                servicer.map_or_else(|| "A colleague holds".to_owned(), |s| format!("{s} holds"))
            ),
        )),
    }
}

#[derive(Serialize)]
struct MessageStatus {
    status: String,
    error: Option<String>,
}

async fn message_status(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<MessageId>,
) -> AppResult<Json<MessageStatus>> {
    let conversation = state
        .store
        .message_conversation(id)
        .await?
        .ok_or(AppError::NotFound("That message"))?;
    visible_target(&state, &user, conversation).await?;
    let (status, error) = state
        .store
        .message_status(id)
        .await?
        .ok_or(AppError::NotFound("That message"))?;
    Ok(Json(MessageStatus { status, error }))
}

#[derive(Deserialize)]
struct MediaQuery {
    /// `wav`: an AMR voice note decoded for browsers, which cannot play AMR.
    #[serde(rename = "as")]
    format: Option<String>,
}

/// The kept copy of a message's image, voice or video, for people who may
/// see its conversation (others get the same 404 as for a missing message);
/// with `?as=wav`, a voice note in a format browsers play.
async fn message_media(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    IdPath(id): IdPath<MessageId>,
    query: Result<Query<MediaQuery>, QueryRejection>,
) -> AppResult<Response> {
    let Query(query) = query.map_err(|_| AppError::validation("as", "Use as=wav or nothing."))?;
    let as_wav = match query.format.as_deref() {
        None => false,
        Some("wav") => true,
        Some(_) => return Err(AppError::validation("as", "Use as=wav or nothing.")),
    };
    let row = state
        .store
        .media_row(id)
        .await?
        .ok_or(AppError::NotFound("That message"))?;
    if !user.scope().allows(row.team()) {
        return Err(AppError::NotFound("That message"));
    }
    let (Some(MediaState::Stored), Some(sha256)) = (row.state(), row.media_sha256.as_deref())
    else {
        return Err(match row.state() {
            Some(MediaState::Pending) => AppError::Conflict(
                "This file is still being fetched from WeChat. Try again in a moment.".into(),
            ),
            Some(_) => AppError::Conflict("Harbour could not keep a copy of this file.".into()),
            None => AppError::NotFound("That message's file"),
        });
    };
    let mut bytes = state.media.read(sha256).await.map_err(AppError::internal)?;
    state.access.record(
        Access::new(Read::Media, &user, &from)
            .conversation(row.conversation_id)
            .message(id),
    );
    let mut etag = format!("\"{sha256}\"");
    // Only types that cannot run script are shown inline; anything else
    // (kept from before sniffing, or unknown) is a download.
    let mut content_type = row
        .media_type
        .filter(|t| shared::media::is_inline(t) && HeaderValue::from_str(t).is_ok())
        .unwrap_or_else(|| shared::media::DOWNLOAD_TYPE.into());
    let disposition = if shared::media::is_inline(&content_type) {
        "inline".to_owned()
    } else {
        format!("attachment; filename=\"harbour-{id}.bin\"")
    };
    if as_wav && voice::is_amr(&bytes) {
        bytes = voice::amr_to_wav(bytes).await.map_err(|reason| {
            AppError::Conflict(format!(
                "Harbour cannot play this recording: {reason}. Download it instead."
            ))
        })?;
        content_type = "audio/wav".into();
        etag = format!("\"{sha256}.wav\"");
    }
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // A client's file: never kept by the browser or a proxy.
            (header::CACHE_CONTROL, "no-store".into()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::ETAG, etag),
        ],
        bytes,
    )
        .into_response())
}
