//! Replying in a conversation and reading its WeChat reply window. Only
//! people who may see the conversation's team may act; compliance reads only.

use super::ApiJson;
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::conversations::Scope;
use crate::store::outbound::{queue_text_reply, ReplyTarget, REPLIES_PER_WINDOW};
use axum::extract::{Path, State};
use axum::http::StatusCode;
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
