//! The root component: provides the app-wide contexts and declares every route.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::components::app_shell::AppShell;
use crate::i18n::I18nContextProvider;
use crate::pages::{
    automation::AutomationPage, channels::ChannelsPage, compliance::CompliancePage,
    inbox::InboxPage, login::LoginPage, not_found::NotFoundPage, teams::TeamsPage,
    users::UsersPage,
};
use crate::state::{auth::AuthState, inbox::InboxState, live::LiveState};

#[component]
pub fn App() -> impl IntoView {
    let auth = AuthState::new();
    let live = LiveState::new();
    provide_context(auth);
    provide_context(live);
    provide_context(InboxState::new());
    // A reload keeps people signed in: the refresh cookie buys a new access token.
    auth.restore();

    view! {
        <I18nContextProvider>
            <Routed auth=auth />
        </I18nContextProvider>
    }
}

/// Every route, in the language the user chose (or the browser's).
#[component]
fn Routed(auth: AuthState) -> impl IntoView {
    crate::language::follow_user_language(auth);
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=AppShell>
                    <Route path=path!("/") view=|| view! { <Redirect path="/inbox" /> } />
                    <Route path=path!("/inbox/:id?") view=InboxPage />
                    <Route path=path!("/compliance/:contact?") view=CompliancePage />
                    <Route path=path!("/floor") view=crate::pages::floor::FloorPage />
                    <Route path=path!("/admin") view=|| view! { <Redirect path="/admin/users" /> } />
                    <Route path=path!("/admin/users") view=UsersPage />
                    <Route path=path!("/admin/teams") view=TeamsPage />
                    <Route path=path!("/admin/channels") view=ChannelsPage />
                    <Route path=path!("/admin/automation") view=AutomationPage />
                    <Route path=path!("/admin/calendar") view=crate::pages::calendar::CalendarPage />
                    // The short address people type; the page lives with the other admin pages.
                    <Route
                        path=path!("/channels")
                        view=|| view! { <Redirect path="/admin/channels" /> }
                    />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
