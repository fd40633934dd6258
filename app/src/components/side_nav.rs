//! The left navigation: brand, inbox with its queues (on inbox pages),
//! search and, for admins, the admin pages. On tablets it narrows to an
//! icon rail (see `layout.css`) and the queues move above the list.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::components::icon::{Icon, IconKind};
use crate::components::queue_nav::QueueNav;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::AuthState;
use crate::state::inbox::InboxState;

#[component]
fn NavLink(
    href: &'static str,
    label: impl Fn() -> &'static str + Send + Sync + Copy + 'static,
    icon: IconKind,
) -> impl IntoView {
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
    let i18n = use_i18n();
    let inbox = expect_context::<InboxState>();
    let location = use_location();
    let in_inbox = move || location.pathname.with(|p| p.starts_with("/inbox"));
    view! {
        <nav class="app-nav" aria-label=move || t_string!(i18n, nav.main)>
            <a class="brand" href="/inbox" title="Harbour">
                <span class="brand-mark">
                    <Icon kind=IconKind::Anchor />
                </span>
                <span class="brand-name">"Harbour"</span>
            </a>
            <ul class="nav-list">
                <NavLink href="/inbox" label=move || t_string!(i18n, nav.inbox) icon=IconKind::Inbox />
            </ul>
            <Show when=in_inbox>
                <QueueNav />
            </Show>
            <ul class="nav-list nav-tools">
                <li>
                    <button
                        type="button"
                        class="nav-link nav-search"
                        title=move || t_string!(i18n, nav.search_title)
                        on:click=move |_| inbox.search_open.set(true)
                    >
                        <Icon kind=IconKind::Search class="nav-icon" />
                        <span class="nav-label">{t!(i18n, nav.search)}</span>
                        <kbd class="kbd nav-kbd">"/"</kbd>
                    </button>
                </li>
            </ul>
            <Show when=move || crate::pages::floor::may_watch(auth)>
                <ul class="nav-list">
                    <NavLink
                        href="/floor"
                        label=move || t_string!(i18n, nav.floor)
                        icon=IconKind::Users
                    />
                </ul>
            </Show>
            <Show when=move || crate::pages::compliance::may_audit(auth)>
                <ul class="nav-list">
                    <NavLink
                        href="/compliance"
                        label=move || t_string!(i18n, nav.compliance)
                        icon=IconKind::Lock
                    />
                </ul>
            </Show>
            <Show when=move || crate::pages::automation::may_automate(auth) && !auth.is_admin()>
                <ul class="nav-list">
                    <NavLink
                        href="/admin/automation"
                        label=move || t_string!(i18n, nav.automation)
                        icon=IconKind::Compass
                    />
                    <NavLink
                        href="/admin/calendar"
                        label=move || t_string!(i18n, nav.calendar)
                        icon=IconKind::Calendar
                    />
                </ul>
            </Show>
            <Show when=move || auth.is_admin()>
                <p class="nav-section" id="nav-admin-heading">
                    {t!(i18n, nav.admin)}
                </p>
                <ul class="nav-list" aria-labelledby="nav-admin-heading">
                    <NavLink
                        href="/admin/users"
                        label=move || t_string!(i18n, nav.users)
                        icon=IconKind::Users
                    />
                    <NavLink
                        href="/admin/teams"
                        label=move || t_string!(i18n, nav.teams)
                        icon=IconKind::Teams
                    />
                    <NavLink
                        href="/admin/channels"
                        label=move || t_string!(i18n, nav.channels)
                        icon=IconKind::Channels
                    />
                    <NavLink
                        href="/admin/automation"
                        label=move || t_string!(i18n, nav.automation)
                        icon=IconKind::Compass
                    />
                    <NavLink
                        href="/admin/calendar"
                        label=move || t_string!(i18n, nav.calendar)
                        icon=IconKind::Calendar
                    />
                </ul>
            </Show>
        </nav>
    }
}
