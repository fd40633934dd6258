//! The left navigation: brand, inbox and, for admins, the admin pages. On
//! tablets it narrows to an icon rail (see `layout.css`).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::icon::{Icon, IconKind};
use crate::state::auth::AuthState;

#[component]
fn NavLink(href: &'static str, label: &'static str, icon: IconKind) -> impl IntoView {
    view! {
        <li>
            <A href=href attr:class="nav-link" attr:title=label>
                <Icon kind=icon class="nav-icon" />
                <span class="nav-label">{label}</span>
            </A>
        </li>
    }
}

#[component]
pub fn SideNav() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    view! {
        <nav class="app-nav" aria-label="Main">
            <a class="brand" href="/inbox" title="Harbour">
                <span class="brand-mark">
                    <Icon kind=IconKind::Anchor />
                </span>
                <span class="brand-name">"Harbour"</span>
            </a>
            <ul class="nav-list">
                <NavLink href="/inbox" label="Inbox" icon=IconKind::Inbox />
            </ul>
            <Show when=move || auth.is_admin()>
                <p class="nav-section" id="nav-admin-heading">
                    "Admin"
                </p>
                <ul class="nav-list" aria-labelledby="nav-admin-heading">
                    <NavLink href="/admin/users" label="Users" icon=IconKind::Users />
                    <NavLink href="/admin/teams" label="Teams" icon=IconKind::Teams />
                    <NavLink href="/admin/channels" label="Channels" icon=IconKind::Channels />
                </ul>
            </Show>
        </nav>
    }
}
