//! An example intranet portal for the demo (and the browser tests): a page
//! on a second origin that frames Harbour, signs the person in front of it
//! in with a short ES256 token handed over by `postMessage`, and shows what
//! Harbour tells it (ready, unread count, current view, session ended).
//! A real portal signs for whoever signed in to the portal; this one signs
//! for one configured person.

use anyhow::anyhow;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;
use sha2::Digest;
use std::sync::Arc;

/// How long the example portal's tokens live (seconds); Harbour takes up to 300.
const TOKEN_LIFETIME_SECS: i64 = 120;

/// A portal's signing key (ES256, generated) and the JWKS Harbour checks it with.
pub struct PortalSigner {
    pub issuer: String,
    pub audience: String,
    key_id: String,
    key: EncodingKey,
    jwks: String,
}

/// Who the example portal signs in.
#[derive(Clone, Debug)]
pub struct PortalPerson {
    pub subject: String,
    pub email: String,
    pub name: String,
}

impl PortalSigner {
    /// A fresh P-256 key pair.
    pub fn generate(issuer: &str, audience: &str) -> anyhow::Result<PortalSigner> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow!("cannot generate the portal's key"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|e| anyhow!("cannot read the portal's key: {e}"))?;
        // An uncompressed point: 0x04, then x and y of 32 bytes each.
        let point = pair.public_key().as_ref();
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let key_id = hex::encode(&sha2::Sha256::digest(point)[..8]);
        let jwks = json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": key_id,
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        }]})
        .to_string();
        Ok(PortalSigner {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            key_id,
            key: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwks,
        })
    }

    /// The public key as a JWKS document (what `HARBOUR_PORTAL_JWKS` holds).
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// A single-use token for `person`, issued at `now_ms`.
    pub fn sign(&self, person: &PortalPerson, now_ms: i64) -> anyhow::Result<String> {
        let iat = now_ms / 1000;
        let claims = json!({
            "iss": self.issuer, "aud": self.audience, "sub": person.subject,
            "email": person.email, "name": person.name,
            "iat": iat, "exp": iat + TOKEN_LIFETIME_SECS,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| anyhow!("cannot sign: {e}"))
    }
}

struct Portal {
    harbour_origin: String,
    signer: Arc<PortalSigner>,
    person: PortalPerson,
    clock: crate::clock::Clock,
}

/// The portal's page (framing Harbour at `harbour_origin`) and its token endpoint.
pub fn router(
    harbour_origin: &str,
    signer: Arc<PortalSigner>,
    person: PortalPerson,
    clock: crate::clock::Clock,
) -> Router {
    let portal = Arc::new(Portal {
        harbour_origin: harbour_origin.trim_end_matches('/').to_owned(),
        signer,
        person,
        clock,
    });
    Router::new()
        .route("/", get(page))
        .route("/token", post(token))
        .with_state(portal)
}

async fn page(State(portal): State<Arc<Portal>>) -> impl IntoResponse {
    let origin = serde_json::to_string(&portal.harbour_origin).unwrap_or_default();
    let html = PAGE
        .replace("__HARBOUR_ORIGIN_JSON__", &origin)
        .replace("__HARBOUR_ORIGIN__", &portal.harbour_origin)
        .replace("__PERSON__", &html_text(&portal.person.name));
    ([(header::CACHE_CONTROL, "no-store")], Html(html))
}

async fn token(State(portal): State<Arc<Portal>>) -> impl IntoResponse {
    match portal.signer.sign(&portal.person, portal.clock.now()) {
        Ok(token) => Json(json!({ "token": token })).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "the example portal cannot sign");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn html_text(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const PAGE: &str = include_str!("demo_portal.html");
