//! Replying in a conversation and reading its WeChat reply window. Only
//! people who may see the conversation's team may act; compliance reads only.

use super::ApiJson;
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::conversations::Scope;
use crate::store::outbound::{queue_text_reply, ReplyTarget, REPLIES_PER_WINDOW};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use shared::api::{ConversationSummary, MessageView, QueuedReply, ReplyRequest, ReplyWindow};
use shared::Role;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(list_conversations))
        .route(
            "/api/v1/conversations/{id}/messages",
            post(reply).get(list_messages),
        )
        .route("/api/v1/conversations/{id}/window", get(window))
        .route("/api/v1/messages/{id}", get(message_status))
        .route("/api/v1/messages/{id}/media", get(message_media))
}

/// Loads a conversation the user may see; others get a 404, not a hint that it exists.
async fn visible_target(state: &AppState, user: &AuthUser, id: &str) -> AppResult<ReplyTarget> {
    let target = state
        .store
        .reply_target(id)
        .await?
        .ok_or(AppError::NotFound("That conversation"))?;
    let visible =
        user.role.sees_all_teams() || target.team().is_some_and(|t| user.teams.contains(&t));
    if visible {
        Ok(target)
    } else {
        Err(AppError::NotFound("That conversation"))
    }
}

fn scope(user: &AuthUser) -> Scope<'_> {
    if user.role.sees_all_teams() {
        Scope::All
    } else {
        Scope::Teams(&user.teams)
    }
}

async fn list_conversations(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<ConversationSummary>>> {
    Ok(Json(
        state.store.list_conversations(&scope(&user), 500).await?,
    ))
}

async fn list_messages(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<MessageView>>> {
    visible_target(&state, &user, &id).await?;
    Ok(Json(state.store.conversation_messages(&id, 200).await?))
}

async fn reply(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReplyRequest>,
) -> AppResult<(StatusCode, Json<QueuedReply>)> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])?;
    visible_target(&state, &user, &id).await?;
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
    let message = queue_text_reply(&state.store, state.clock.now(), user.id, &id, text).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedReply {
            message,
            status: "queued".into(),
        }),
    ))
}

async fn window(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<ReplyWindow>> {
    let target = visible_target(&state, &user, &id).await?;
    let now = state.clock.now();
    Ok(Json(ReplyWindow {
        open: target.window_closes_at(now).is_some(),
        closes_at: target.window_closes_at(now),
        replies_left: target.replies_left(now),
        replies_per_window: REPLIES_PER_WINDOW,
        refusal: target.refusal(now),
    }))
}

#[derive(Serialize)]
struct MessageStatus {
    status: String,
    error: Option<String>,
}

async fn message_status(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<MessageStatus>> {
    let conversation = state
        .store
        .message_conversation(&id)
        .await?
        .ok_or(AppError::NotFound("That message"))?;
    visible_target(&state, &user, &conversation).await?;
    let (status, error) = state
        .store
        .message_status(&id)
        .await?
        .ok_or(AppError::NotFound("That message"))?;
    Ok(Json(MessageStatus { status, error }))
}

/// The kept copy of a message's image, voice or video, for people who may
/// see its conversation (others get the same 404 as for a missing message).
async fn message_media(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let row = state
        .store
        .media_row(&id)
        .await?
        .ok_or(AppError::NotFound("That message"))?;
    let visible = user.role.sees_all_teams() || row.team().is_some_and(|t| user.teams.contains(&t));
    if !visible {
        return Err(AppError::NotFound("That message"));
    }
    let (Some("stored"), Some(sha256)) = (row.media_state.as_deref(), row.media_sha256.as_deref())
    else {
        return Err(match row.media_state.as_deref() {
            Some("pending") => AppError::Conflict(
                "This file is still being fetched from WeChat. Try again in a moment.".into(),
            ),
            Some(_) => AppError::Conflict("Harbour could not keep a copy of this file.".into()),
            None => AppError::NotFound("That message's file"),
        });
    };
    let bytes = state.media.read(sha256).await.map_err(AppError::internal)?;
    let content_type = row
        .media_type
        .filter(|t| HeaderValue::from_str(t).is_ok())
        .unwrap_or_else(|| "application/octet-stream".into());
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                "private, max-age=86400, immutable".into(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CONTENT_DISPOSITION, "inline".into()),
            (header::ETAG, format!("\"{sha256}\"")),
        ],
        bytes,
    )
        .into_response())
}
