//! Sign-in, token refresh (rotating, with reuse detection), sign-out, `me`
//! and choosing one's own password.

use super::ApiJson;
use crate::accounts::normalise_email;
use crate::auth::{self, AuthUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::events::{append, NewEvent};
use crate::store::tokens::{self, NewRefreshToken};
use crate::store::Tx;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde_json::json;
use shared::api::{
    ChangePassword, LoginRequest, PortalSettings, PortalSignIn, Session, SetLanguage, User,
};
use shared::UserId;
use std::net::SocketAddr;
use uuid::Uuid;

pub const REFRESH_COOKIE: &str = "harbour_refresh";
/// How far back sign-in attempts count.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Guesses at one account from one address.
const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: i64 = 5;
/// Guesses at one account from everywhere: a slower backstop, so a
/// stranger elsewhere cannot lock a named user out with five tries.
const MAX_FAILURES_PER_ACCOUNT: i64 = 50;
/// Guesses from one address at any accounts.
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// A refresh token used this recently may be presented again without
/// counting as reuse: two tabs of one browser refresh at the same moment
/// with the same cookie, and only one of them rotated it. The late one gets
/// an access token but no new refresh token (the cookie jar they share
/// already holds the rotated one), so a copy of the token gains nothing
/// lasting from the grace.
const REFRESH_GRACE_MS: i64 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route(
            "/api/v1/auth/portal",
            get(portal_settings).post(portal_sign_in),
        )
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/language", put(set_language))
}

/// The refresh cookie, living `max_age_ms` (nothing when zero).
fn refresh_cookie(state: &AppState, token: String, max_age_ms: i64) -> Cookie<'static> {
    Cookie::build((REFRESH_COOKIE, token))
        .path("/api/v1/auth")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(max_age_ms.max(0) / 1000))
        .build()
}

fn expired_cookie(state: &AppState) -> Cookie<'static> {
    refresh_cookie(state, String::new(), 0)
}

/// Refresh and sign-out act on the cookie alone, so a request another site
/// makes the browser send must not reach them. Browsers say where a request
/// comes from in `Sec-Fetch-Site`: anything but same-origin is refused, and
/// that is the whole check (a proxy may rewrite Host). Older browsers send
/// only `Origin`, which must be `HARBOUR_PUBLIC_URL` or this Host. Clients
/// that send neither (not browsers) are let through.
fn same_origin_only(headers: &HeaderMap, state: &AppState) -> AppResult<()> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return if site == "same-origin" {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        };
    }
    if let Some(origin) = text(header::ORIGIN) {
        let host = text(header::HOST);
        let own = host
            .is_some_and(|host| origin.split_once("://").map(|(_, rest)| rest) == Some(host))
            || state.config.public_url.as_deref() == Some(origin);
        if !own {
            return Err(AppError::Forbidden);
        }
    }
    Ok(())
}

/// Refuses when attempts under any of `keys` reached its limit recently.
/// `counting_this` says whether this attempt is already recorded.
async fn check_throttle(
    state: &AppState,
    now: i64,
    keys: &[(String, i64)],
    counting_this: bool,
) -> AppResult<()> {
    for (key, limit) in keys {
        let (failures, oldest) = state
            .store
            .login_failures_since(key, now - THROTTLE_WINDOW_MS)
            .await?;
        let over = if counting_this {
            failures > *limit
        } else {
            failures >= *limit
        };
        if over {
            let retry_after_secs =
                (oldest.unwrap_or(now) + THROTTLE_WINDOW_MS - now).max(1000) / 1000;
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
    }
    Ok(())
}

/// Before a password is checked against `limits`: refuses when one is
/// reached, then counts this attempt under each (so guesses sent at once
/// cannot all be evaluated; a success takes it back) and refuses if that
/// made one too many. Each check takes ~19 MiB, so it runs under a permit:
/// a burst waits for none, it is told to retry, and its attempt is not
/// counted (a flood must not use up real users' tries).
async fn start_password_check(
    state: &AppState,
    now: i64,
    limits: &[(String, i64)],
) -> AppResult<tokio::sync::OwnedSemaphorePermit> {
    check_throttle(state, now, limits, false).await?;
    let keys: Vec<String> = limits.iter().map(|(k, _)| k.clone()).collect();
    let mut tx = state.store.begin().await?;
    tokens::record_login_failure(&mut tx, now, &keys).await?;
    state.store.commit(tx).await?;
    check_throttle(state, now, limits, true).await?;
    let Ok(permit) = state.password_checks.clone().try_acquire_owned() else {
        let mut tx = state.store.begin().await?;
        tokens::forget_login_attempt(&mut tx, now, &keys).await?;
        state.store.commit(tx).await?;
        return Err(AppError::TooManyRequests {
            retry_after_secs: 1,
        });
    };
    Ok(permit)
}

/// Stores a new refresh token of `family` (hashed), which began at
/// `started`; returns the token itself and how long it lives (ms): the
/// sliding lifetime, cut at the session's absolute end.
async fn issue_refresh_token(
    state: &AppState,
    tx: &mut Tx,
    now: i64,
    user: UserId,
    family: &str,
    started: i64,
) -> AppResult<(String, i64)> {
    let (token, token_hash) = auth::new_refresh_token();
    let id = Uuid::new_v4().to_string();
    let expires_at =
        (now + state.config.refresh_ttl_secs * 1000).min(started + state.config.session_max_ms);
    let new = NewRefreshToken {
        id: &id,
        family,
        user,
        token_hash: &token_hash,
        expires_at,
    };
    tokens::insert_refresh_token(tx, now, &new).await?;
    Ok((token, expires_at - now))
}

/// `family`: the sign-in the access token belongs to.
fn session(state: &AppState, user: User, family: &str) -> AppResult<Session> {
    let access_token = auth::issue_access_token(
        &state.keys,
        &user,
        family,
        state.clock.now(),
        state.config.access_ttl_secs,
    )?;
    Ok(Session {
        access_token,
        expires_in: state.config.access_ttl_secs,
        user,
    })
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(input): ApiJson<LoginRequest>,
) -> AppResult<impl IntoResponse> {
    let email = normalise_email(&input.email).map_err(|_| AppError::InvalidCredentials)?;
    let address = crate::client_address::throttle_key(
        state.config.trusted_proxies.client(peer.ip(), &headers),
    );
    let pair_key = format!("account_address:{email}|{address}");
    let account_key = format!("account:{email}");
    let address_key = format!("address:{address}");
    let limits = [
        (pair_key.clone(), MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS),
        (account_key.clone(), MAX_FAILURES_PER_ACCOUNT),
        (address_key.clone(), MAX_FAILURES_PER_ADDRESS),
    ];
    let now = state.clock.now();
    let permit = start_password_check(&state, now, &limits).await?;

    let credentials = state.store.credentials(&email).await?;
    let password = input.password.clone();
    // Argon2 is deliberately slow; keep it off the async threads.
    let (credentials, matches) = tokio::task::spawn_blocking(move || {
        let hash = credentials
            .as_ref()
            .map(|c| c.password_hash.as_str())
            .unwrap_or_else(|| auth::decoy_hash());
        let matches = auth::verify_password(&password, hash) && credentials.is_some();
        drop(permit);
        (credentials, matches)
    })
    .await
    .map_err(AppError::internal)?;

    let Some(credentials) = credentials.filter(|_| matches) else {
        let mut tx = state.store.begin().await?;
        let payload = json!({ "email": email, "address": address.to_string() });
        append(
            &mut tx,
            now,
            &[NewEvent::new("auth.login_failed", None, payload)],
        )
        .await?;
        state.store.commit(tx).await?;
        return Err(AppError::InvalidCredentials);
    };
    let user = credentials.user;
    if !user.active {
        return Err(AppError::AccountDisabled);
    }

    let mut tx = state.store.begin().await?;
    // This attempt was not a guess: take it back from every count, and the
    // account's earlier failures from this address with it.
    tokens::clear_login_failures(&mut tx, &pair_key).await?;
    tokens::forget_login_attempt(&mut tx, now, &[account_key, address_key]).await?;
    let family = Uuid::new_v4().to_string();
    let (token, lives_ms) =
        issue_refresh_token(&state, &mut tx, now, user.id, &family, now).await?;
    let payload = json!({ "user": user.id, "address": address.to_string() });
    append(
        &mut tx,
        now,
        &[NewEvent::new("auth.login", Some(user.id), payload)],
    )
    .await?;
    state.store.commit(tx).await?;

    let body = session(&state, user, &family)?;
    Ok((jar.add(refresh_cookie(&state, token, lives_ms)), Json(body)))
}

async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> AppResult<impl IntoResponse> {
    same_origin_only(&headers, &state)?;
    let presented = jar
        .get(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty());
    let Some(presented) = presented else {
        return Err(AppError::Unauthenticated);
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let Some(row) =
        tokens::find_refresh_token(&mut tx, &auth::hash_refresh_token(&presented)).await?
    else {
        return Err(AppError::Unauthenticated);
    };
    let user_id: UserId = row.user_id.parse().map_err(|_| AppError::Unauthenticated)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(AppError::Unauthenticated);
    }
    let started = tokens::family_started(&mut tx, &row.family)
        .await?
        .unwrap_or(now);
    if now >= started + state.config.session_max_ms {
        // However active, a sign-in ends: sign in again.
        return Err(AppError::Unauthenticated);
    }
    let first_use = row.used_at.is_none() && tokens::mark_used(&mut tx, now, &row.id).await?;
    let just_rotated = row
        .used_at
        .is_none_or(|used| (0..=REFRESH_GRACE_MS).contains(&(now - used)));
    if !first_use && !just_rotated {
        // An old token came back: someone may have stolen it. End the whole family.
        tokens::revoke_family(&mut tx, now, &row.family).await?;
        let payload = json!({ "user": user_id, "family": row.family });
        append(
            &mut tx,
            now,
            &[NewEvent::new("auth.refresh_reused", Some(user_id), payload)],
        )
        .await?;
        state.store.commit(tx).await?;
        return Err(AppError::Unauthenticated);
    }
    let rotated = if first_use {
        Some(issue_refresh_token(&state, &mut tx, now, user_id, &row.family, started).await?)
    } else {
        None
    };
    state.store.commit(tx).await?;

    let user = auth::active_user(&state, user_id).await?;
    let body = session(&state, user, &row.family)?;
    let jar = match rotated {
        Some((token, lives_ms)) => jar.add(refresh_cookie(&state, token, lives_ms)),
        None => jar,
    };
    Ok((jar, Json(body)))
}

/// The user and sign-in the request's bearer token names, whatever its age.
fn bearer_session(state: &AppState, headers: &HeaderMap) -> Option<(UserId, String)> {
    auth::bearer_in(headers).and_then(|token| auth::token_session(&state.keys, token))
}

/// Ends the sign-in the refresh cookie belongs to and the one the bearer
/// token names (a portal sign-in has no cookie; inside a portal on the same
/// site the cookie may be an older sign-in's).
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> AppResult<impl IntoResponse> {
    same_origin_only(&headers, &state)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let presented = jar
        .get(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty());
    let mut ending: Vec<(Option<UserId>, String)> = Vec::new();
    if let Some(presented) = presented {
        if let Some(row) =
            tokens::find_refresh_token(&mut tx, &auth::hash_refresh_token(&presented)).await?
        {
            ending.push((row.user_id.parse::<UserId>().ok(), row.family));
        }
    }
    if let Some((user, family)) = bearer_session(&state, &headers) {
        if ending.iter().all(|(_, f)| *f != family) {
            ending.push((Some(user), family));
        }
    }
    for (user, family) in ending {
        tokens::revoke_family(&mut tx, now, &family).await?;
        append(
            &mut tx,
            now,
            &[NewEvent::new(
                "auth.logout",
                user,
                json!({ "user": user, "family": family }),
            )],
        )
        .await?;
    }
    state.store.commit(tx).await?;
    Ok((jar.add(expired_cookie(&state)), StatusCode::NO_CONTENT))
}

/// Whether portal sign-in is on and which origins may frame Harbour: the
/// app in an iframe talks to those only.
async fn portal_settings(State(state): State<AppState>) -> Json<PortalSettings> {
    Json(PortalSettings {
        enabled: state.config.portal.is_some(),
        origins: state.config.frame_origins(),
    })
}

/// Trades a portal token for a session held in memory (no cookie: inside
/// the portal's iframe the browser may refuse it). Sent again with the
/// session's access token, a fresh portal token renews that sign-in.
async fn portal_sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PortalSignIn>,
) -> AppResult<Json<Session>> {
    let portal = state
        .config
        .portal
        .as_ref()
        .ok_or(AppError::NotFound("Portal sign-in"))?;
    let now = state.clock.now();
    let identity = portal.verify(&input.token, now)?;
    let address = crate::client_address::throttle_key(
        state.config.trusted_proxies.client(peer.ip(), &headers),
    );
    let (user_id, created) =
        crate::accounts::portal_user(&state.store, now, portal, &identity).await?;
    let user = auth::active_user(&state, user_id).await?;

    let mut tx = state.store.begin().await?;
    // The same person's live portal sign-in carries on; anything else starts one.
    let current = bearer_session(&state, &headers).filter(|(owner, _)| *owner == user_id);
    let mut renewed = None;
    if let Some((_, family)) = current {
        if let Some((owner, started)) = tokens::live_family(&mut tx, &family).await? {
            if owner == user_id.to_string() && now < started + state.config.session_max_ms {
                renewed = Some(family);
            }
        }
    }
    let family = match renewed.clone() {
        Some(family) => family,
        None => {
            // The sign-in's row holds a refresh token nobody is given: it
            // marks the sign-in live until signing out, a password reset or
            // deactivation.
            let family = Uuid::new_v4().to_string();
            issue_refresh_token(&state, &mut tx, now, user_id, &family, now).await?;
            family
        }
    };
    let payload = json!({
        "user": user_id, "issuer": portal.issuer, "subject": identity.subject,
        "jti": identity.token_id, "family": family, "renewed": renewed.is_some(),
        "created": created, "address": address.to_string(),
    });
    append(
        &mut tx,
        now,
        &[NewEvent::new("auth.portal_login", Some(user_id), payload)],
    )
    .await?;
    state.store.commit(tx).await?;
    Ok(Json(session(&state, user, &family)?))
}

async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<User>> {
    let user = state
        .store
        .user(user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Json(user))
}

/// The signed-in user picks the app's language; every tab of theirs follows
/// (the `user.language_changed` event reaches their sockets).
async fn set_language(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<SetLanguage>,
) -> AppResult<Json<User>> {
    let now = state.clock.now();
    let updated =
        crate::accounts::set_own_language(&state.store, now, user.id, input.language).await?;
    Ok(Json(updated))
}

/// Wrong current passwords a signed-in user may give in the throttle window.
const MAX_PASSWORD_CHANGE_FAILURES: i64 = 5;

/// The signed-in user chooses a new password, giving the current one. The
/// user's other sign-ins end; this one carries on.
async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<ChangePassword>,
) -> AppResult<Json<User>> {
    let now = state.clock.now();
    let key = format!("password_change:{}", user.id);
    let limits = [(key.clone(), MAX_PASSWORD_CHANGE_FAILURES)];
    if input.new_password == input.current_password {
        return Err(AppError::validation(
            "new_password",
            "Choose a password different from the current one.",
        ));
    }
    crate::accounts::validate_password(&input.new_password).map_err(|_| {
        AppError::validation(
            "new_password",
            format!(
                "Choose a password of at least {} characters.",
                shared::api::MIN_PASSWORD_LEN
            ),
        )
    })?;
    let permit = start_password_check(&state, now, &limits).await?;
    let hash = state
        .store
        .password_hash(user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let current = input.current_password.clone();
    let matches = tokio::task::spawn_blocking(move || {
        let matches = auth::verify_password(&current, &hash);
        drop(permit);
        matches
    })
    .await
    .map_err(AppError::internal)?;
    if !matches {
        return Err(AppError::validation(
            "current_password",
            "That is not your current password.",
        ));
    }
    let mut tx = state.store.begin().await?;
    tokens::forget_login_attempt(&mut tx, now, std::slice::from_ref(&key)).await?;
    state.store.commit(tx).await?;
    let changed = crate::accounts::change_own_password(
        &state.store,
        now,
        user.id,
        user.session.as_deref(),
        &input.new_password,
    )
    .await?;
    Ok(Json(changed))
}
