//! The frame around every signed-in page: navigation, top bar, connection
//! bar and the page itself. Sends signed-out visitors to /login and keeps
//! the live connection running while someone is signed in.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::components::connection_bar::ConnectionBar;
use crate::components::search_dialog::SearchDialog;
use crate::components::shortcut_help::ShortcutHelp;
use crate::components::side_nav::SideNav;
use crate::components::skeleton_rows::SkeletonRows;
use crate::components::top_bar::TopBar;
use crate::i18n::{t_string, use_i18n};
use crate::pages::change_password::ChangePasswordPage;
use crate::state::auth::{AuthState, AuthStatus};
use crate::state::live::LiveState;

#[component]
pub fn AppShell() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let navigate = use_navigate();

    Effect::new(move |_| {
        if auth.status() == AuthStatus::SignedOut {
            navigate(
                "/login",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    Effect::new(move |_| {
        // An account that must choose its password sees nothing live yet.
        if auth.status() == AuthStatus::SignedIn && !auth.must_change_password() {
            live.ensure_started(auth);
        } else {
            live.stop();
        }
    });
    // An open socket is told about each new token so it is not dropped
    // when the old one expires.
    Effect::new(move |previous: Option<Option<String>>| {
        let token = auth.access_token();
        if let (Some(Some(before)), Some(now)) = (&previous, &token) {
            if before != now {
                live.reauth(now.clone());
            }
        }
        token
    });
    on_cleanup(move || live.stop());
    crate::components::portal_bridge::bridge_portal(auth);

    let signed_in = move || auth.status() == AuthStatus::SignedIn;
    let must_change = move || signed_in() && auth.must_change_password();
    view! {
        <Show when=must_change fallback=move || view! { <SignedInFrame signed_in=signed_in /> }>
            <main id="main">
                <ChangePasswordPage />
            </main>
        </Show>
    }
}

/// The navigation, bars and page of a signed-in user (or a skeleton while
/// the session is restored).
#[component]
fn SignedInFrame(signed_in: impl Fn() -> bool + Send + Sync + Copy + 'static) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="app-frame">
            <ConnectionBar />
            <div class="app-layout">
                <SideNav />
                <div class="app-column">
                    <TopBar />
                    <main id="main" class="app-main">
                        <Show
                            when=signed_in
                            fallback=move || {
                                view! {
                                    <div class="page">
                                        <SkeletonRows
                                            rows=6
                                            label=move || t_string!(i18n, top_bar.restoring)
                                        />
                                    </div>
                                }
                            }
                        >
                            <Outlet />
                            <SearchDialog />
                            <ShortcutHelp />
                        </Show>
                    </main>
                </div>
            </div>
        </div>
    }
}
