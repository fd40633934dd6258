//! `GET /api/v1/ws`: upgrades to a WebSocket and runs the live session.

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::ws::{run_session, Incoming, SessionBackend, SessionConfig};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures::{SinkExt, StreamExt};
use shared::api::Event;
use shared::ws::{ClientMessage, ServerMessage};
use shared::Seq;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/ws", get(upgrade))
}

/// Largest client message accepted; clients only send small control messages.
const MAX_CLIENT_MESSAGE: usize = 16 * 1024;

async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_CLIENT_MESSAGE)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .on_upgrade(move |socket| serve_socket(state, socket))
}

async fn serve_socket(state: AppState, socket: WebSocket) {
    state.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
    let (sink, stream) = socket.split();
    let sink = sink.with(|message: ServerMessage| async move {
        let text = serde_json::to_string(&message).map_err(axum::Error::new)?;
        Ok::<_, axum::Error>(Message::Text(text.into()))
    });
    let stream = stream.filter_map(|frame| async move {
        match frame {
            Ok(Message::Text(text)) => {
                Some(serde_json::from_str::<ClientMessage>(&text).map_err(|e| e.to_string()))
            }
            Ok(Message::Binary(_)) => Some(Err::<ClientMessage, String>(
                "binary frames are not accepted".into(),
            )),
            Ok(Message::Ping(_)) | Ok(Message::Pong(_)) => None,
            Ok(Message::Close(_)) | Err(_) => Some(Err("closed".into())),
        }
    });
    // A close or transport error ends the stream.
    let stream = stream
        .take_while(|m: &Incoming| futures::future::ready(!matches!(m, Err(e) if e == "closed")));
    let config = SessionConfig {
        max_replay: state.config.max_replay,
        ..SessionConfig::default()
    };
    let end = run_session(Box::pin(sink), Box::pin(stream), &state, &config).await;
    tracing::debug!(?end, "live socket closed");
    state.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
}

impl SessionBackend for AppState {
    async fn authenticate(&self, token: &str) -> Result<AuthUser, AppError> {
        let user = AuthUser::from_token(self, token).await?;
        if user.must_change_password {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(user)
    }

    async fn recheck(&self, user: &AuthUser) -> Result<AuthUser, AppError> {
        user.reload(self).await
    }

    async fn conversation_teams(
        &self,
        conversations: &[shared::ConversationId],
    ) -> anyhow::Result<std::collections::HashMap<shared::ConversationId, Option<shared::TeamId>>>
    {
        Ok(self.store.conversation_teams(conversations).await?)
    }

    async fn events_after(&self, after: Seq, limit: i64) -> anyhow::Result<Vec<Event>> {
        Ok(self.store.events_after(after, limit).await?)
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Event>> {
        self.hub.subscribe()
    }

    fn presence(&self) -> Option<&crate::presence::Presence> {
        Some(&self.presence)
    }

    fn roster(&self) -> Option<tokio::sync::broadcast::Receiver<Arc<crate::roster::RosterChange>>> {
        Some(self.roster.subscribe())
    }

    async fn connection(&self, user: shared::UserId, open: bool) {
        let now = self.clock.now();
        if open {
            self.roster.join(&self.store, user, now).await;
        } else {
            self.roster.part(&self.store, user, now).await;
        }
    }

    async fn conversation_team(
        &self,
        conversation: shared::ConversationId,
    ) -> Option<Option<shared::TeamId>> {
        self.store
            .conversation_team(conversation)
            .await
            .ok()
            .flatten()
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn clock_jumps(&self) -> Option<tokio::sync::watch::Receiver<i64>> {
        self.clock.jumps()
    }

    fn stopping(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        Some(self.shutdown.subscribe())
    }

    async fn log_take_over(
        &self,
        user: &AuthUser,
        conversation: shared::ConversationId,
        from: &shared::ws::Person,
    ) {
        let logged = crate::store::triage::log_take_over(
            &self.store,
            self.clock.now(),
            user.id,
            &user.name,
            conversation,
            &from.name,
        )
        .await;
        if let Err(err) = logged {
            tracing::error!(error = %err, "could not log a reply take-over");
        }
    }

    async fn head(&self) -> anyhow::Result<Seq> {
        Ok(self.store.head().await?)
    }
}
