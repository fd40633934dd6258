//! The signed-in session, held in memory only: the access token never touches
//! storage. Refreshes run one at a time, 30 s before the token expires, on
//! app start (to survive a reload) and when the server says a token expired;
//! with the refresh cookie, or inside the portal with a token it signs.

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Session, User};
use shared::Role;

use crate::api::client::TokenSource;
use crate::api::{self, ApiError};

/// Refresh this long before the access token runs out.
const REFRESH_MARGIN_SECS: i64 = 30;
/// Never schedule refreshes closer together than this.
const MIN_REFRESH_DELAY_SECS: i64 = 5;
/// After a refresh failed for a reason other than a rejected session
/// (network down, server restarting), try again this soon.
const REFRESH_RETRY_SECS: i64 = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthStatus {
    /// The app just started and is asking the server whether a session exists.
    Restoring,
    SignedIn,
    SignedOut,
}

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<Session, ApiError>>>;

#[derive(Clone, Copy)]
pub struct AuthState {
    session: RwSignal<Option<Session>>,
    restoring: RwSignal<bool>,
    refresh_timer: StoredValue<Option<Timeout>, LocalStorage>,
    in_flight: StoredValue<Option<RefreshFuture>, LocalStorage>,
}

impl AuthState {
    pub fn new() -> Self {
        AuthState {
            session: RwSignal::new(None),
            restoring: RwSignal::new(true),
            refresh_timer: StoredValue::new_local(None),
            in_flight: StoredValue::new_local(None),
        }
    }

    pub fn status(&self) -> AuthStatus {
        if self.session.with(Option::is_some) {
            AuthStatus::SignedIn
        } else if self.restoring.get() {
            AuthStatus::Restoring
        } else {
            AuthStatus::SignedOut
        }
    }

    pub fn user(&self) -> Option<User> {
        self.session
            .with(|session| session.as_ref().map(|s| s.user.clone()))
    }

    pub fn user_untracked(&self) -> Option<User> {
        self.session
            .with_untracked(|session| session.as_ref().map(|s| s.user.clone()))
    }

    pub fn is_admin(&self) -> bool {
        self.session
            .with(|session| session.as_ref().is_some_and(|s| s.user.role == Role::Admin))
    }

    /// The current access token, tracked: effects rerun when it changes.
    pub fn access_token(&self) -> Option<String> {
        self.session
            .with(|session| session.as_ref().map(|s| s.access_token.clone()))
    }

    pub fn access_token_untracked(&self) -> Option<String> {
        self.session
            .try_with_untracked(|session| session.as_ref().map(|s| s.access_token.clone()))
            .flatten()
    }

    /// Asks for a session silently: from the portal when a trusted one
    /// frames Harbour, else from the server with the refresh cookie.
    pub fn restore(self) {
        spawn_local(async move {
            crate::portal::connect().await;
            let _ = self.refresh().await;
            self.restoring.set(false);
        });
    }

    /// Stores a fresh session and schedules its refresh.
    pub fn start_session(self, session: Session) {
        self.schedule_refresh(session.expires_in - REFRESH_MARGIN_SECS);
        self.restoring.set(false);
        self.session.set(Some(session));
    }

    /// Whether the signed-in user must choose a new password first.
    pub fn must_change_password(&self) -> bool {
        self.session.with(|session| {
            session
                .as_ref()
                .is_some_and(|s| s.user.must_change_password)
        })
    }

    /// The server's newer word on the signed-in user (after a password change).
    pub fn update_user(self, user: User) {
        self.session.update(|session| {
            if let Some(session) = session.as_mut().filter(|s| s.user.id == user.id) {
                session.user = user;
            }
        });
    }

    /// Forgets the session locally (the server already considers it over).
    pub fn end_session(self) {
        self.refresh_timer.set_value(None);
        if self.session.with_untracked(Option::is_some) {
            self.session.set(None);
            crate::portal::tell("harbour.session_ended", &[]);
        }
    }

    /// Signs out on the server, then locally even if the server is unreachable.
    pub async fn sign_out(self) {
        let token = self.access_token_untracked();
        let _ = api::auth::logout(token.as_deref()).await;
        self.end_session();
    }

    /// Refreshes the session. Concurrent callers share one request, because
    /// the refresh token rotates and may be used only once.
    pub async fn refresh(self) -> Result<Session, ApiError> {
        let pending = self.in_flight.with_value(Clone::clone);
        let pending = match pending {
            Some(pending) => pending,
            None => {
                let started = self.refresh_and_store().boxed_local().shared();
                self.in_flight.set_value(Some(started.clone()));
                started
            }
        };
        pending.await
    }

    async fn refresh_and_store(self) -> Result<Session, ApiError> {
        let token_before = self.access_token_untracked();
        // Inside the portal the session lives in memory: the portal renews it.
        let result = if crate::portal::active() {
            crate::portal::sign_in(token_before.as_deref()).await
        } else {
            api::auth::refresh().await
        };
        self.in_flight.set_value(None);
        match &result {
            Ok(session) => self.start_session(session.clone()),
            // Only drop the session this refresh was for: someone may have
            // signed in on the login page while it was under way.
            Err(error) if error.ends_session() || error.status == 403 => {
                if self.access_token_untracked() == token_before {
                    self.end_session();
                }
            }
            Err(_) => {
                if token_before.is_some() {
                    self.schedule_refresh(REFRESH_RETRY_SECS);
                }
            }
        }
        result
    }

    fn schedule_refresh(self, in_secs: i64) {
        let delay_ms = in_secs.clamp(MIN_REFRESH_DELAY_SECS, i64::from(i32::MAX) / 1000) * 1000;
        let delay_ms = u32::try_from(delay_ms).unwrap_or(u32::MAX);
        let timer = Timeout::new(delay_ms, move || {
            spawn_local(async move {
                let _ = self.refresh().await;
            });
        });
        self.refresh_timer.set_value(Some(timer));
    }
}

/// Signed-in requests take their token from the session, and refresh or
/// end it through the same methods the rest of the app uses.
impl TokenSource for AuthState {
    fn current_token(&self) -> Option<String> {
        self.access_token_untracked()
    }

    async fn renew_token(self) -> Result<String, ApiError> {
        self.refresh().await.map(|session| session.access_token)
    }

    fn session_rejected(self) {
        self.end_session();
    }
}
