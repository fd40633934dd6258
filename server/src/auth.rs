//! Passwords (argon2id), access tokens (short-lived JWT), refresh tokens
//! (random, stored hashed), the `AuthUser` extractor and role checks.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::conversations::{Scope, Viewer};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::api::User;
use shared::{Role, TeamId, UserId};

pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so a missing
/// account takes as long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-never-matches").unwrap_or_default())
}

/// Signing keys derived from the server's secret key.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    pub fn new(secret: &[u8; 32]) -> Self {
        // A separate key for JWTs, so the raw secret is used for one purpose only.
        let mut hasher = Sha256::new();
        hasher.update(b"harbour-jwt-v1");
        hasher.update(secret);
        let key = hasher.finalize();
        TokenKeys {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// The sign-in (refresh-token family) the token belongs to: signing out,
    /// a password reset or a stolen refresh token ends it, and with it
    /// every access token and live socket of that sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

pub fn issue_access_token(
    keys: &TokenKeys,
    user: &User,
    session: &str,
    now_ms: i64,
    ttl_secs: i64,
) -> AppResult<String> {
    let iat = now_ms / 1000;
    let claims = Claims {
        sub: user.id.to_string(),
        role: user.role,
        iat,
        exp: iat + ttl_secs,
        sid: Some(session.to_owned()),
    };
    jsonwebtoken::encode(&Header::default(), &claims, &keys.encoding).map_err(AppError::internal)
}

/// Checks signature and expiry against the injected clock.
pub fn decode_access_token(keys: &TokenKeys, token: &str, now_ms: i64) -> AppResult<Claims> {
    let mut validation = Validation::default();
    // Expiry is checked below against our clock, not the system's.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .map_err(|_| AppError::Unauthenticated)?;
    if data.claims.exp <= now_ms / 1000 {
        return Err(AppError::TokenExpired);
    }
    Ok(data.claims)
}

/// The user and sign-in an access token names, whatever its age: for
/// renewing or ending a sign-in that has no refresh cookie (the portal's).
/// The signature is checked; expiry is not.
pub fn token_session(keys: &TokenKeys, token: &str) -> Option<(UserId, String)> {
    let mut validation = Validation::default();
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .ok()?
        .claims;
    Some((claims.sub.parse().ok()?, claims.sid?))
}

/// A new random refresh token and the hash stored for it.
pub fn new_refresh_token() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user behind a request, loaded fresh from the database so a
/// deactivation, role change or the end of the sign-in takes effect at once.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    pub name: String,
    pub teams: Vec<TeamId>,
    /// The sign-in (refresh-token family) behind the access token.
    pub session: Option<String>,
    /// When the access token expires (Unix ms).
    pub expires_at: i64,
    /// Until they choose their own password, only [`PASSWORD_CHANGE_PATHS`] answer.
    pub must_change_password: bool,
}

/// What an account that must change its password may still reach.
pub const PASSWORD_CHANGE_PATHS: [&str; 3] =
    ["/api/v1/me", "/api/v1/me/password", "/api/v1/me/language"];

impl AuthUser {
    pub fn require(&self, allowed: &[Role]) -> AppResult<()> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn require_admin(&self) -> AppResult<()> {
        self.require(&[Role::Admin])
    }

    /// Which teams' conversations this user may see: all (admin,
    /// compliance) or their own.
    pub fn scope(&self) -> Scope<'_> {
        if self.role.sees_all_teams() {
            Scope::All
        } else {
            Scope::Teams(&self.teams)
        }
    }

    /// The user as the conversation queries take them.
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            user: self.id,
            scope: self.scope(),
        }
    }

    /// Loads the user for an access token.
    pub async fn from_token(state: &AppState, token: &str) -> AppResult<AuthUser> {
        let claims = decode_access_token(&state.keys, token, state.clock.now())?;
        let id: UserId = claims.sub.parse().map_err(|_| AppError::Unauthenticated)?;
        Self::load(state, id, claims.sid, claims.exp * 1000).await
    }

    /// The same sign-in read again: its rights now, or why it has ended.
    pub async fn reload(&self, state: &AppState) -> AppResult<AuthUser> {
        Self::load(state, self.id, self.session.clone(), self.expires_at).await
    }

    async fn load(
        state: &AppState,
        id: UserId,
        session: Option<String>,
        expires_at: i64,
    ) -> AppResult<AuthUser> {
        let user = active_user(state, id).await?;
        // Tokens from before sign-ins were named carry no session: they
        // end with their short lifetime.
        if let Some(session) = &session {
            if !state.store.session_live(session).await? {
                return Err(AppError::Unauthenticated);
            }
        }
        Ok(AuthUser {
            id: user.id,
            role: user.role,
            name: user.name,
            teams: user.teams.iter().map(|t| t.id).collect(),
            session,
            expires_at,
            must_change_password: user.must_change_password,
        })
    }
}

/// The user, as long as they exist and are active.
pub async fn active_user(state: &AppState, id: UserId) -> AppResult<User> {
    let user = state
        .store
        .user(id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !user.active {
        return Err(AppError::AccountDisabled);
    }
    Ok(user)
}

pub fn bearer_token(parts: &Parts) -> Option<&str> {
    bearer_in(&parts.headers)
}

/// The bearer token in `Authorization`, if there is one.
pub fn bearer_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or(AppError::Unauthenticated)?;
        let user = AuthUser::from_token(state, token).await?;
        if user.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&parts.uri.path()) {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn an_expired_access_token_is_refused_by_the_clock() {
        let keys = TokenKeys::new(&[7; 32]);
        let user = User {
            id: UserId(uuid::Uuid::new_v4()),
            email: "a@b.c".into(),
            name: "A".into(),
            role: Role::Agent,
            active: true,
            teams: vec![],
            created_at: 0,
            must_change_password: false,
            language: None,
            capacity: 10,
            availability: Default::default(),
            external_id: None,
        };
        let token = issue_access_token(&keys, &user, "s", 1_000_000, 60).unwrap_or_default();
        assert!(decode_access_token(&keys, &token, 1_000_000 + 59_000).is_ok());
        assert!(matches!(
            decode_access_token(&keys, &token, 1_000_000 + 61_000),
            Err(AppError::TokenExpired)
        ));
        let other = TokenKeys::new(&[8; 32]);
        assert!(matches!(
            decode_access_token(&other, &token, 1_000_000),
            Err(AppError::Unauthenticated)
        ));
    }
}
