//! Security headers on every response (the app, the API, media, errors):
//! a Content-Security-Policy without inline script (Trunk's one inline
//! loader is allowed by its hash, read from the built `index.html`),
//! `frame-ancestors` from `HARBOUR_FRAME_ANCESTORS` with the matching
//! `X-Frame-Options` where it can say the same, `nosniff`, a referrer and a
//! permissions policy, HSTS when the public URL is https, and `no-store` on
//! every API answer (they carry clients' personal data or credentials).

use crate::config::Config;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// The headers, worked out once at start-up.
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    /// The policy up to `connect-src`, which names the request's own host.
    policy_head: String,
    /// The rest of the policy, after `connect-src`.
    policy_tail: String,
    frame_options: Option<HeaderValue>,
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    pub fn new(config: &Config) -> SecurityHeaders {
        let hashes: String = inline_script_hashes(&config.dist_dir.join("index.html"))
            .iter()
            .map(|hash| format!(" '{hash}'"))
            .collect();
        let policy_head = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
             style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; \
             font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             connect-src 'self'"
        );
        let policy_tail = format!(
            "; frame-ancestors {}; report-uri /api/v1/csp-reports",
            config.frame_ancestors
        );
        let frame_options = match config.frame_ancestors.as_str() {
            "'none'" => Some(HeaderValue::from_static("DENY")),
            "'self'" => Some(HeaderValue::from_static("SAMEORIGIN")),
            // A list of origins cannot be said in X-Frame-Options; browsers
            // that know frame-ancestors ignore X-Frame-Options anyway.
            _ => None,
        };
        let hsts = config
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
            .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
        SecurityHeaders {
            policy_head,
            policy_tail,
            frame_options,
            hsts,
        }
    }

    /// The policy for a request to `host`: the socket lives at the same
    /// origin, named with ws/wss for engines whose `'self'` misses them.
    pub fn policy(&self, host: Option<&str>) -> String {
        // Only a plain host may be repeated in the policy.
        match host.filter(|h| crate::config::is_host_and_port(h)) {
            Some(host) => format!(
                "{} ws://{host} wss://{host}{}",
                self.policy_head, self.policy_tail
            ),
            None => format!("{}{}", self.policy_head, self.policy_tail),
        }
    }

    fn apply(&self, host: Option<&str>, is_api: bool, headers: &mut HeaderMap) {
        if let Ok(policy) = HeaderValue::from_str(&self.policy(host)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        if let Some(value) = &self.frame_options {
            headers.insert(header::X_FRAME_OPTIONS, value.clone());
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(
            PERMISSIONS_POLICY,
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()",
            ),
        );
        if let Some(value) = &self.hsts {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, value.clone());
        }
        if is_api {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// `sha256-…` of each inline `<script>` in the built page (Trunk's loader).
fn inline_script_hashes(index: &Path) -> Vec<String> {
    let Ok(html) = std::fs::read_to_string(index) else {
        return Vec::new();
    };
    let mut hashes = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let tag = &rest[..open_end];
        let body_start = open_end + 1;
        let Some(close) = rest[body_start..].find("</script>") else {
            break;
        };
        let body = &rest[body_start..body_start + close];
        if !tag.contains("src=") && !body.is_empty() {
            let digest = Sha256::digest(body.as_bytes());
            hashes.push(format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &rest[body_start + close..];
    }
    hashes
}

/// Adds the headers to every response, whatever produced it.
pub async fn add_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    headers.apply(host.as_deref(), is_api, response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_inline_loader_is_allowed_by_its_hash_and_nothing_else() {
        let dir = tempfile::tempdir().expect("dir");
        let index = dir.path().join("index.html");
        std::fs::write(
            &index,
            "<html><head><script type=\"module\">import init from '/a.js';</script>\
             <script src=\"/b.js\"></script></head></html>",
        )
        .expect("write");
        let hashes = inline_script_hashes(&index);
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"import init from '/a.js';"));
        assert_eq!(hashes, [format!("sha256-{expected}")]);
        assert!(inline_script_hashes(&dir.path().join("missing.html")).is_empty());
    }

    #[test]
    fn the_policy_names_the_hosts_socket_only_for_a_plain_host() {
        let dir = tempfile::tempdir().expect("dir");
        let mut config = Config::for_tests("sqlite::memory:", dir.path());
        config.frame_ancestors = "https://portal.example.com".into();
        let headers = SecurityHeaders::new(&config);
        let policy = headers.policy(Some("harbour.example.com:8443"));
        assert!(policy.contains(
            "connect-src 'self' ws://harbour.example.com:8443 wss://harbour.example.com:8443;"
        ));
        assert!(policy.contains("; frame-ancestors https://portal.example.com;"));
        assert!(policy.ends_with("report-uri /api/v1/csp-reports"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(!headers
            .policy(Some("evil.com; script-src *"))
            .contains("evil"));
        assert_eq!(headers.frame_options, None);
        assert_eq!(headers.hsts, None);
    }
}
