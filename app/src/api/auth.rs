//! Sign-in, session refresh, sign-out and "who am I".

use gloo_net::http::Method;
use shared::api::{
    ChangePassword, LoginRequest, PortalSettings, PortalSignIn, Session, SetLanguage, User,
};

use super::client::{decode, encode, get_json, send_json, send_once, ApiError, TokenSource};

/// Exchanges email and password for a session; the server also sets the
/// HttpOnly refresh cookie.
pub async fn login(request: &LoginRequest) -> Result<Session, ApiError> {
    let json = encode(request)?;
    decode(send_once(Method::POST, "/auth/login", None, Some(&json)).await?).await
}

/// Buys a new access token with the refresh cookie (sent by the browser).
pub async fn refresh() -> Result<Session, ApiError> {
    decode(send_once(Method::POST, "/auth/refresh", None, None).await?).await
}

/// Ends the session on the server and clears the refresh cookie.
pub async fn logout(token: Option<&str>) -> Result<(), ApiError> {
    send_once(Method::POST, "/auth/logout", token, None)
        .await
        .map(|_| ())
}

#[allow(dead_code)] // The session already carries the user; kept for a later profile page.
pub async fn me(auth: impl TokenSource) -> Result<User, ApiError> {
    get_json(auth, "/me").await
}

/// Chooses a new password; the answer is the user, who need not change it again.
pub async fn change_password(
    auth: impl TokenSource,
    request: &ChangePassword,
) -> Result<User, ApiError> {
    send_json(auth, Method::POST, "/me/password", request).await
}

/// Picks the app's language for this user (`None`: the browser's); the
/// answer is the user with the new setting.
pub async fn set_language(auth: impl TokenSource, request: &SetLanguage) -> Result<User, ApiError> {
    send_json(auth, Method::PUT, "/me/language", request).await
}

/// Whether portal sign-in is on, and which origins may frame Harbour.
pub async fn portal_settings() -> Result<PortalSettings, ApiError> {
    decode(send_once(Method::GET, "/auth/portal", None, None).await?).await
}

/// Trades a token from the portal for a session (held in memory only).
/// With the current access token, it renews that sign-in.
pub async fn portal_sign_in(token: String, current: Option<&str>) -> Result<Session, ApiError> {
    let json = encode(&PortalSignIn { token })?;
    decode(send_once(Method::POST, "/auth/portal", current, Some(&json)).await?).await
}
