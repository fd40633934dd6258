//! Portal sign-in, for Harbour inside the firm's intranet portal (an
//! iframe): the portal signs a short-lived JWT about the person in front of
//! it and hands it to the app by `postMessage`; the app trades it here for
//! a session held in memory. This module checks every claim and decides,
//! without a database or a clock of its own; `routes::auth` stores.

use crate::accounts::normalise_email;
use crate::config::Secret;
use anyhow::{bail, Context};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use shared::Role;
use std::path::Path;

/// The longest a portal token may live, from issue to expiry (seconds).
pub const MAX_LIFETIME_SECS: i64 = 300;
/// How far the portal's clock may run ahead of Harbour's (seconds).
const CLOCK_SKEW_SECS: i64 = 60;
/// Longest `sub` and `jti` accepted, so a token cannot fill the database.
const MAX_ID_LEN: usize = 256;
const MAX_NAME_CHARS: usize = 100;

/// Who the portal says is signing in, every claim checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalIdentity {
    /// The portal's id for the person (`sub`): matched to a user's external id.
    pub subject: String,
    pub email: String,
    pub name: String,
    /// The token's single-use id (`jti`).
    pub token_id: String,
    /// When the token expires (Unix ms): its id is remembered until then.
    pub expires_at_ms: i64,
}

/// Why a portal token was refused. [`Refusal::reason`] is the stable key
/// the API sends (`reason` in the error body) and the app words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JWT, a signature that does not verify, or an algorithm or key
    /// Harbour was not configured with.
    Invalid,
    WrongIssuer,
    WrongAudience,
    /// A claim Harbour needs is missing or malformed.
    Incomplete,
    Expired,
    /// Issued in the future, or living longer than five minutes.
    BadLifetime,
    /// Its `jti` was used before.
    Reused,
    /// No user matches and just-in-time creation is off.
    UnknownUser,
    /// The email belongs to a user linked to another portal subject.
    SubjectMismatch,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Invalid => "portal_token_invalid",
            Refusal::WrongIssuer => "portal_wrong_issuer",
            Refusal::WrongAudience => "portal_wrong_audience",
            Refusal::Incomplete => "portal_token_incomplete",
            Refusal::Expired => "portal_token_expired",
            Refusal::BadLifetime => "portal_token_lifetime",
            Refusal::Reused => "portal_token_reused",
            Refusal::UnknownUser => "portal_unknown_user",
            Refusal::SubjectMismatch => "portal_subject_mismatch",
        }
    }

    /// The English sentence for integrators and logs.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Invalid => "The portal token is not a JWT signed with the configured key.",
            Refusal::WrongIssuer => "The portal token's issuer (iss) is not the configured portal.",
            Refusal::WrongAudience => "The portal token's audience (aud) is not this Harbour.",
            Refusal::Incomplete => {
                "The portal token must carry iss, aud, sub, email, name, iat, exp and jti."
            }
            Refusal::Expired => "The portal token has expired; ask the portal for a new one.",
            Refusal::BadLifetime => {
                "The portal token must be issued now and expire within five minutes."
            }
            Refusal::Reused => "This portal token was used already; each one signs in once.",
            Refusal::UnknownUser => "No Harbour user matches this portal user.",
            Refusal::SubjectMismatch => {
                "This email belongs to a Harbour user linked to another portal user."
            }
        }
    }
}

impl From<Refusal> for crate::error::AppError {
    fn from(refusal: Refusal) -> Self {
        crate::error::AppError::UnauthenticatedBecause {
            reason: refusal.reason(),
            message: refusal.message().to_owned(),
        }
    }
}

/// Just-in-time creation: a portal user Harbour does not know becomes a
/// user with this role, in this team (by name) when it exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JitRule {
    pub role: Role,
    pub team: Option<String>,
}

/// One key the portal may sign with.
#[derive(Clone)]
struct PortalKey {
    id: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Portal sign-in as configured: who signs, for whom, and with which keys.
#[derive(Clone)]
pub struct PortalConfig {
    pub issuer: String,
    pub audience: String,
    keys: Vec<PortalKey>,
    pub jit: Option<JitRule>,
}

impl std::fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithms: Vec<Algorithm> = self.keys.iter().map(|k| k.algorithm).collect();
        f.debug_struct("PortalConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("algorithms", &algorithms)
            .field("jit", &self.jit)
            .finish()
    }
}

/// Where the portal's verification key comes from: exactly one.
pub enum KeySource<'a> {
    /// A PEM public key (RSA for RS256, P-256 for ES256).
    PublicKeyPem(&'a [u8]),
    /// A JWKS document (RFC 7517) of RSA and P-256 keys.
    Jwks(&'a str),
    /// A shared secret for HS256, at least 32 bytes.
    SharedSecret(&'a Secret<String>),
}

/// The claims Harbour reads; everything optional so a missing one gets
/// its own refusal rather than a parse error.
#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    aud: Option<Audience>,
    sub: Option<String>,
    email: Option<String>,
    name: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

impl PortalConfig {
    pub fn new(
        issuer: &str,
        audience: &str,
        source: KeySource<'_>,
        jit: Option<JitRule>,
    ) -> anyhow::Result<PortalConfig> {
        let issuer = issuer.trim();
        let audience = audience.trim();
        if issuer.is_empty() {
            bail!("HARBOUR_PORTAL_ISSUER must name the portal (the iss its tokens carry).");
        }
        if audience.is_empty() {
            bail!("HARBOUR_PORTAL_AUDIENCE must not be empty.");
        }
        if jit.as_ref().is_some_and(|rule| rule.role == Role::Admin) {
            bail!("HARBOUR_PORTAL_JIT_ROLE cannot be admin: make admins by hand.");
        }
        let keys = match source {
            KeySource::PublicKeyPem(pem) => vec![pem_key(pem)?],
            KeySource::Jwks(json) => jwks_keys(json)?,
            KeySource::SharedSecret(secret) => {
                let bytes = secret.expose().as_bytes();
                if bytes.len() < 32 {
                    bail!("HARBOUR_PORTAL_SECRET must be at least 32 bytes; generate one, e.g. with `openssl rand -hex 32`.");
                }
                vec![PortalKey {
                    id: None,
                    algorithm: Algorithm::HS256,
                    key: DecodingKey::from_secret(bytes),
                }]
            }
        };
        Ok(PortalConfig {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys,
            jit,
        })
    }

    /// Checks the signature and every claim against `now_ms`.
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<PortalIdentity, Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Invalid)?;
        let candidates = self.keys.iter().filter(|k| {
            k.algorithm == header.alg
                && (header.kid.is_none() || k.id.is_none() || k.id == header.kid)
        });
        let mut claims = None;
        for candidate in candidates {
            let mut validation = Validation::new(candidate.algorithm);
            // Every time claim is checked below, against Harbour's clock.
            validation.validate_exp = false;
            validation.validate_nbf = false;
            validation.validate_aud = false;
            validation.required_spec_claims.clear();
            if let Ok(data) = jsonwebtoken::decode::<RawClaims>(token, &candidate.key, &validation)
            {
                claims = Some(data.claims);
                break;
            }
        }
        let claims = claims.ok_or(Refusal::Invalid)?;
        if claims.iss.as_deref() != Some(self.issuer.as_str()) {
            return Err(Refusal::WrongIssuer);
        }
        if !claims.aud.as_ref().is_some_and(|a| a.names(&self.audience)) {
            return Err(Refusal::WrongAudience);
        }
        let text = |value: Option<String>, max: usize| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty() && v.chars().count() <= max)
        };
        let (Some(subject), Some(token_id), Some(name), Some(iat), Some(exp)) = (
            text(claims.sub, MAX_ID_LEN),
            text(claims.jti, MAX_ID_LEN),
            text(claims.name, MAX_NAME_CHARS),
            claims.iat,
            claims.exp,
        ) else {
            return Err(Refusal::Incomplete);
        };
        let email = claims
            .email
            .as_deref()
            .and_then(|e| normalise_email(e).ok())
            .ok_or(Refusal::Incomplete)?;
        let now = now_ms.div_euclid(1000);
        if exp <= now {
            return Err(Refusal::Expired);
        }
        let not_before = claims.nbf.unwrap_or(iat);
        if iat > now + CLOCK_SKEW_SECS
            || not_before > now + CLOCK_SKEW_SECS
            || exp - iat > MAX_LIFETIME_SECS
            || exp - now > MAX_LIFETIME_SECS + CLOCK_SKEW_SECS
        {
            return Err(Refusal::BadLifetime);
        }
        Ok(PortalIdentity {
            subject,
            email,
            name,
            token_id,
            expires_at_ms: exp.saturating_mul(1000),
        })
    }
}

fn pem_key(pem: &[u8]) -> anyhow::Result<PortalKey> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok(PortalKey {
            id: None,
            algorithm: Algorithm::RS256,
            key,
        });
    }
    let key = DecodingKey::from_ec_pem(pem).context(
        "HARBOUR_PORTAL_PUBLIC_KEY must be a PEM public key: RSA (RS256) or P-256 (ES256)",
    )?;
    Ok(PortalKey {
        id: None,
        algorithm: Algorithm::ES256,
        key,
    })
}

fn jwks_keys(json: &str) -> anyhow::Result<Vec<PortalKey>> {
    let set: JwkSet = serde_json::from_str(json)
        .context("HARBOUR_PORTAL_JWKS must be a JWKS document ({\"keys\": [...]})")?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let algorithm = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            // Other curves and symmetric keys are not portal keys.
            _ => continue,
        };
        let key =
            DecodingKey::from_jwk(jwk).context("a key in HARBOUR_PORTAL_JWKS is malformed")?;
        keys.push(PortalKey {
            id: jwk.common.key_id.clone(),
            algorithm,
            key,
        });
    }
    if keys.is_empty() {
        bail!("HARBOUR_PORTAL_JWKS holds no RSA or P-256 key.");
    }
    Ok(keys)
}

/// Reads a key file named by a setting, saying which setting when it cannot.
pub fn read_key_file(setting: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{setting}: cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{json, Value};

    const SECRET: &str = "a portal secret of at least thirty-two bytes";
    const NOW_MS: i64 = 1_800_000_000_000;
    const NOW: i64 = NOW_MS / 1000;

    fn config() -> PortalConfig {
        let secret = Secret::new(SECRET.to_owned());
        PortalConfig::new(
            "https://portal.example.com",
            "harbour",
            KeySource::SharedSecret(&secret),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn claims() -> Value {
        json!({
            "iss": "https://portal.example.com", "aud": "harbour", "sub": "staff-1042",
            "email": "Amy.Chan@Example.com", "name": "Amy Chan 陳美儀",
            "iat": NOW, "exp": NOW + 120, "jti": "8d5e-1",
        })
    }

    fn sign(claims: &Value) -> String {
        jsonwebtoken::encode(
            &Header::default(),
            claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap_or_default()
    }

    fn with(
        change: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> Result<PortalIdentity, Refusal> {
        let mut c = claims();
        if let Some(map) = c.as_object_mut() {
            change(map);
        }
        config().verify(&sign(&c), NOW_MS)
    }

    #[test]
    fn a_good_token_names_the_person() {
        let identity = config().verify(&sign(&claims()), NOW_MS);
        assert_eq!(
            identity,
            Ok(PortalIdentity {
                subject: "staff-1042".into(),
                email: "amy.chan@example.com".into(),
                name: "Amy Chan 陳美儀".into(),
                token_id: "8d5e-1".into(),
                expires_at_ms: (NOW + 120) * 1000,
            })
        );
        // An audience list naming Harbour is as good.
        assert!(with(|c| {
            c.insert("aud".into(), json!(["crm", "harbour"]));
        })
        .is_ok());
    }

    #[test]
    fn every_claim_is_checked() {
        type Change = Box<dyn FnOnce(&mut serde_json::Map<String, Value>)>;
        let cases: Vec<(Refusal, Change)> = vec![
            (
                Refusal::WrongIssuer,
                Box::new(|c| {
                    c.insert("iss".into(), json!("https://evil.example"));
                }),
            ),
            (
                Refusal::WrongIssuer,
                Box::new(|c| {
                    c.remove("iss");
                }),
            ),
            (
                Refusal::WrongAudience,
                Box::new(|c| {
                    c.insert("aud".into(), json!("crm"));
                }),
            ),
            (
                Refusal::WrongAudience,
                Box::new(|c| {
                    c.remove("aud");
                }),
            ),
            (
                Refusal::Incomplete,
                Box::new(|c| {
                    c.remove("sub");
                }),
            ),
            (
                Refusal::Incomplete,
                Box::new(|c| {
                    c.remove("jti");
                }),
            ),
            (
                Refusal::Incomplete,
                Box::new(|c| {
                    c.insert("name".into(), json!("  "));
                }),
            ),
            (
                Refusal::Incomplete,
                Box::new(|c| {
                    c.insert("email".into(), json!("not an email"));
                }),
            ),
            (
                Refusal::Incomplete,
                Box::new(|c| {
                    c.remove("exp");
                }),
            ),
            (
                Refusal::Incomplete,
                Box::new(|c| {
                    c.remove("iat");
                }),
            ),
            (
                Refusal::Expired,
                Box::new(|c| {
                    c.insert("exp".into(), json!(NOW));
                }),
            ),
            (
                Refusal::BadLifetime,
                Box::new(|c| {
                    c.insert("exp".into(), json!(NOW + 301));
                }),
            ),
            (
                Refusal::BadLifetime,
                Box::new(|c| {
                    c.insert("iat".into(), json!(NOW + 3600));
                    c.insert("exp".into(), json!(NOW + 3660));
                }),
            ),
            (
                Refusal::BadLifetime,
                Box::new(|c| {
                    c.insert("nbf".into(), json!(NOW + 600));
                }),
            ),
        ];
        for (expected, change) in cases {
            assert_eq!(with(change), Err(expected));
        }
    }

    #[test]
    fn a_token_signed_otherwise_is_invalid() {
        let forged = jsonwebtoken::encode(
            &Header::default(),
            &claims(),
            &EncodingKey::from_secret(b"another secret of at least thirty-two bytes"),
        )
        .unwrap_or_default();
        assert_eq!(config().verify(&forged, NOW_MS), Err(Refusal::Invalid));
        // "none" and other algorithms are not accepted however the token says.
        let unsigned = format!(
            "{}.{}.",
            base64_url(br#"{"alg":"none","typ":"JWT"}"#),
            base64_url(claims().to_string().as_bytes())
        );
        assert_eq!(config().verify(&unsigned, NOW_MS), Err(Refusal::Invalid));
        assert_eq!(
            config().verify("not a token", NOW_MS),
            Err(Refusal::Invalid)
        );
    }

    fn base64_url(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let short = Secret::new("short".to_owned());
        let err = PortalConfig::new("p", "harbour", KeySource::SharedSecret(&short), None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("HARBOUR_PORTAL_SECRET"), "{err}");
        let secret = Secret::new(SECRET.to_owned());
        let admin = Some(JitRule {
            role: Role::Admin,
            team: None,
        });
        assert!(
            PortalConfig::new("p", "harbour", KeySource::SharedSecret(&secret), admin).is_err()
        );
        assert!(PortalConfig::new("p", "harbour", KeySource::Jwks("{}"), None).is_err());
        assert!(PortalConfig::new("p", "harbour", KeySource::PublicKeyPem(b"nope"), None).is_err());
    }
}
