//! Admin calls on user accounts: list, create, update and reset a password.

use gloo_net::http::Method;
use shared::api::{CreateUser, ResetPassword, UpdateUser, User};
use shared::UserId;

use super::client::{get_json, send_json, send_no_content, ApiError, TokenSource};

pub async fn list(auth: impl TokenSource) -> Result<Vec<User>, ApiError> {
    get_json(auth, "/users").await
}

pub async fn create(auth: impl TokenSource, user: &CreateUser) -> Result<User, ApiError> {
    send_json(auth, Method::POST, "/users", user).await
}

pub async fn update(
    auth: impl TokenSource,
    id: UserId,
    change: &UpdateUser,
) -> Result<User, ApiError> {
    send_json(auth, Method::PATCH, &format!("/users/{id}"), change).await
}

pub async fn reset_password(
    auth: impl TokenSource,
    id: UserId,
    reset: &ResetPassword,
) -> Result<(), ApiError> {
    send_no_content(auth, Method::POST, &format!("/users/{id}/password"), reset).await
}

/// The signed-in user says whether auto-assignment gives them conversations.
pub async fn set_availability(
    auth: impl TokenSource,
    request: &shared::assignment::SetAvailability,
) -> Result<User, ApiError> {
    send_json(auth, Method::PUT, "/me/availability", request).await
}
