//! Harbour inside the firm's intranet portal (an iframe). The portal signs
//! the person in: Harbour asks it for a short-lived token by `postMessage`
//! and trades that for a session held in memory, so nothing depends on a
//! cookie the browser may refuse in a frame. Messages go to, and are taken
//! from, the origins allowed to frame Harbour only, and only the window
//! framing Harbour. The protocol is documented in `docs/portal.md`.
//!
//! Harbour → portal: `harbour.ready`, `harbour.token_request`,
//! `harbour.signed_in`, `harbour.unread`, `harbour.view`,
//! `harbour.not_found`, `harbour.session_ended`.
//! Portal → Harbour: `harbour.token`, `harbour.open_conversation`,
//! `harbour.open_contact`.

use std::cell::RefCell;

use futures::channel::oneshot;
use futures::future::{select, Either};
use shared::{ErrorBody, ErrorCode};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};

/// How long the portal has to answer a token request.
const TOKEN_WAIT_MS: u32 = 10_000;

/// What the portal asked Harbour to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Conversation(String),
    Contact(String),
    ContactByExternalId { system: String, id: String },
}

type Opener = Box<dyn Fn(Command)>;

struct Link {
    /// Origins allowed to frame Harbour, as configured (`https://*.corp.hk` too).
    allowed: Vec<String>,
    /// The concrete origins messages are posted to.
    targets: Vec<String>,
    waiting: Vec<oneshot::Sender<String>>,
    opener: Option<Opener>,
    _listener: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

thread_local! {
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
}

/// Whether another page frames Harbour.
pub fn framed() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.top() {
        Ok(Some(top)) => !js_sys::Object::is(&top, &window),
        Ok(None) => false,
        // A top window Harbour may not even look at is someone else's.
        Err(_) => true,
    }
}

/// Whether Harbour talks to a portal (it is framed by one it trusts).
pub fn active() -> bool {
    LINK.with(|link| link.borrow().is_some())
}

/// Whether `origin` is one of `allowed`: equal, or matching a wildcard
/// host such as `https://*.corp.hk:8443`.
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    allowed.iter().any(|pattern| {
        if pattern == origin {
            return true;
        }
        let Some((scheme, rest)) = pattern.split_once("://*.") else {
            return false;
        };
        let Some(host) = origin
            .strip_prefix(scheme)
            .and_then(|o| o.strip_prefix("://"))
        else {
            return false;
        };
        let (rest_host, rest_port) = split_port(rest);
        let (host, port) = split_port(host);
        port == rest_port
            && host.len() > rest_host.len() + 1
            && host.ends_with(&format!(".{rest_host}"))
    })
}

fn split_port(host: &str) -> (&str, Option<&str>) {
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => (name, Some(port)),
        _ => (host, None),
    }
}

/// Where messages go: the exact allowed origins, and the framing page's
/// own origin when only a wildcard allows it.
fn targets(allowed: &[String]) -> Vec<String> {
    let mut targets: Vec<String> = allowed
        .iter()
        .filter(|o| !o.contains('*'))
        .cloned()
        .collect();
    let referrer = web_sys::window()
        .and_then(|w| w.document())
        .map(|d| d.referrer())
        .and_then(|r| web_sys::Url::new(&r).ok())
        .map(|u| u.origin());
    if let Some(origin) = referrer {
        if origin_allowed(allowed, &origin) && !targets.contains(&origin) {
            targets.push(origin);
        }
    }
    targets
}

/// Connects to the portal when a trusted one frames Harbour: listens to its
/// messages and says Harbour is ready. Returns whether one is there.
pub async fn connect() -> bool {
    if active() {
        return true;
    }
    if !framed() {
        return false;
    }
    let Ok(settings) = api::auth::portal_settings().await else {
        return false;
    };
    if !settings.enabled || settings.origins.is_empty() {
        return false;
    }
    let Some(window) = web_sys::window() else {
        return false;
    };
    let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_message);
    if window
        .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
        .is_err()
    {
        return false;
    }
    let targets = targets(&settings.origins);
    LINK.with(|link| {
        *link.borrow_mut() = Some(Link {
            allowed: settings.origins,
            targets,
            waiting: Vec::new(),
            opener: None,
            _listener: listener,
        });
    });
    tell("harbour.ready", &[("version", JsValue::from(1))]);
    true
}

fn on_message(event: web_sys::MessageEvent) {
    let trusted = LINK.with(|link| {
        link.borrow()
            .as_ref()
            .is_some_and(|link| origin_allowed(&link.allowed, &event.origin()))
    });
    let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
    let from_parent = match (event.source(), parent) {
        (Some(source), Some(parent)) => js_sys::Object::is(&source, &parent),
        _ => false,
    };
    if !trusted || !from_parent {
        return;
    }
    let data = event.data();
    let text = |value: &JsValue, key: &str| {
        js_sys::Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match text(&data, "type").as_deref() {
        Some("harbour.token") => {
            if let Some(token) = text(&data, "token") {
                let waiting = LINK.with(|link| {
                    link.borrow_mut()
                        .as_mut()
                        .map(|link| std::mem::take(&mut link.waiting))
                        .unwrap_or_default()
                });
                for waiter in waiting {
                    let _ = waiter.send(token.clone());
                }
            }
        }
        Some("harbour.open_conversation") => {
            if let Some(id) = text(&data, "id") {
                open(Command::Conversation(id));
            }
        }
        Some("harbour.open_contact") => {
            let external = js_sys::Reflect::get(&data, &JsValue::from_str("external_id"))
                .ok()
                .filter(JsValue::is_object);
            if let Some(external) = external {
                if let (Some(system), Some(id)) = (text(&external, "system"), text(&external, "id"))
                {
                    open(Command::ContactByExternalId { system, id });
                }
            } else if let Some(id) = text(&data, "id") {
                open(Command::Contact(id));
            }
        }
        _ => {}
    }
}

fn open(command: Command) {
    LINK.with(|link| {
        if let Some(opener) = link.borrow().as_ref().and_then(|l| l.opener.as_ref()) {
            opener(command);
        }
    });
}

/// Who acts on the portal's open commands (the router, once it runs).
pub fn on_open(opener: impl Fn(Command) + 'static) {
    LINK.with(|link| {
        if let Some(link) = link.borrow_mut().as_mut() {
            link.opener = Some(Box::new(opener));
        }
    });
}

/// Posts `{type: kind, ...fields}` to the portal.
pub fn tell(kind: &str, fields: &[(&str, JsValue)]) {
    let targets = LINK.with(|link| {
        link.borrow()
            .as_ref()
            .map(|l| l.targets.clone())
            .unwrap_or_default()
    });
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"type".into(), &kind.into());
    for (key, value) in fields {
        let _ = js_sys::Reflect::set(&message, &(*key).into(), value);
    }
    for target in targets {
        // Delivered only if the framing page has this origin.
        let _ = parent.post_message(&message, &target);
    }
}

/// A fresh session from the portal: asks it for a token and trades it;
/// `current` (the session's access token) renews that sign-in.
pub async fn sign_in(current: Option<&str>) -> Result<shared::api::Session, ApiError> {
    let (sender, answer) = oneshot::channel();
    LINK.with(|link| {
        if let Some(link) = link.borrow_mut().as_mut() {
            link.waiting.push(sender);
        }
    });
    tell("harbour.token_request", &[]);
    let timeout = gloo_timers::future::TimeoutFuture::new(TOKEN_WAIT_MS);
    let token = match select(answer, timeout).await {
        Either::Left((Ok(token), _)) => token,
        _ => return Err(no_answer()),
    };
    api::auth::portal_sign_in(token, current).await
}

/// The portal did not hand over a token in time: like a network failure,
/// tried again later rather than ending a session the server still holds.
fn no_answer() -> ApiError {
    let mut body = ErrorBody::new(
        ErrorCode::Unauthenticated,
        "The portal did not sign you in. Reload the portal page.",
    );
    body.reason = Some("portal_no_answer".into());
    ApiError {
        status: 0,
        body,
        origin: api::client::Origin::Server,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly_or_by_a_wildcard_host() {
        let allowed = vec![
            "https://portal.example.com".to_owned(),
            "https://*.corp.hk:8443".to_owned(),
        ];
        for ok in [
            "https://portal.example.com",
            "https://intranet.corp.hk:8443",
            "https://a.b.corp.hk:8443",
        ] {
            assert!(origin_allowed(&allowed, ok), "{ok}");
        }
        for refused in [
            "http://portal.example.com",
            "https://portal.example.com.evil.io",
            "https://evil.io",
            "https://corp.hk:8443",
            "https://intranet.corp.hk",
            "https://intranet.corp.hk:9443",
            "https://evilcorp.hk:8443",
            "null",
        ] {
            assert!(!origin_allowed(&allowed, refused), "{refused}");
        }
    }
}
