//! Calls on conversations: the list, one conversation's messages and reply
//! window, and sending a text reply.

use gloo_net::http::Method;
use shared::api::{
    ConversationPage, ConversationSummary, MessageView, QueuedReply, ReplyRequest, ReplyWindow,
};

use super::client::{get_json, send_json, ApiError};
use crate::state::auth::AuthState;

/// The id as one path segment: it may come from the address bar.
fn segment(id: &str) -> String {
    String::from(js_sys::encode_uri_component(id))
}

pub async fn list(auth: AuthState) -> Result<Vec<ConversationSummary>, ApiError> {
    let page: ConversationPage = get_json(
        auth,
        "/conversations?status=open,pending,snoozed,resolved&limit=500",
    )
    .await?;
    Ok(page.conversations)
}

pub async fn messages(auth: AuthState, id: String) -> Result<Vec<MessageView>, ApiError> {
    get_json(auth, &format!("/conversations/{}/messages", segment(&id))).await
}

pub async fn window(auth: AuthState, id: String) -> Result<ReplyWindow, ApiError> {
    get_json(auth, &format!("/conversations/{}/window", segment(&id))).await
}

pub async fn reply(auth: AuthState, id: String, text: String) -> Result<QueuedReply, ApiError> {
    let path = format!("/conversations/{}/messages", segment(&id));
    send_json(
        auth,
        Method::POST,
        &path,
        &ReplyRequest {
            text,
            confirm_recent: false,
        },
    )
    .await
}
