//! The compliance workspace at /compliance (compliance and admins, read
//! only): find a client by name, phone, WeChat id, CRM id or message text
//! across every team and channel; read their complete history; export it
//! as evidence. Every search and read here is itself recorded.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::SearchResults;
use shared::{ContactId, Role};

use crate::api::{self, ApiError};
use crate::components::admin_only::forbidden_page;
use crate::components::client_history::ClientHistoryView;
use crate::components::export_panel::ExportPanel;
use crate::components::page_header::PageHeader;
use crate::format::hk_date;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::AuthState;

/// Whether the signed-in person may open the workspace.
pub fn may_audit(auth: AuthState) -> bool {
    auth.user()
        .is_some_and(|u| matches!(u.role, Role::Compliance | Role::Admin))
}

#[component]
pub fn CompliancePage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let forbidden = || {
        forbidden_page(
            "compliance_page",
            "Only compliance officers and administrators can open this page.",
        )
    };
    view! {
        <Show when=move || may_audit(auth) fallback=forbidden>
            <Workspace />
        </Show>
    }
}

#[component]
fn Workspace() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let selected = Memo::new(move |_| {
        params.with(|p| p.get("contact").and_then(|id| id.parse::<ContactId>().ok()))
    });
    view! {
        <div class="page compliance-page">
            <PageHeader
                title=move || t_string!(i18n, compliance.title)
                description=move || t_string!(i18n, compliance.description)
            />
            <FindClient />
            {move || {
                selected
                    .get()
                    .map(|contact| {
                        // The date range the history shows and an export
                        // covers (Unix ms): each client starts with all dates.
                        let range = RwSignal::new((None::<i64>, None::<i64>));
                        view! {
                            <div class="compliance-client">
                                <ClientHistoryView contact=contact range=range />
                                <ExportPanel contact=contact range=range.read_only() />
                            </div>
                        }
                    })
            }}
        </div>
    }
}

#[component]
fn FindClient() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(None::<SearchResults>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = query.get_untracked().trim().to_owned();
        if text.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::search::search(auth, text).await {
                Ok(found) => {
                    results.try_set(Some(found));
                }
                Err(failed) => {
                    error.try_set(Some(failed));
                }
            }
            busy.try_set(false);
        });
    };
    let hits = move || {
        results.get().map(|found| {
            if found.contacts.is_empty() && found.messages.is_empty() {
                return view! { <p class="client-hits-empty" role="status">{t!(i18n, compliance.no_results)}</p> }
                    .into_any();
            }
            let contacts = found.contacts.into_iter().map(|hit| {
                let name = hit.name.clone().unwrap_or_else(|| hit.open_id.clone());
                view! {
                    <li class="client-hit">
                        <A href=format!("/compliance/{}", hit.contact_id) attr:class="client-hit-link">
                            <span class="client-hit-name">{name}</span>
                            <span class="client-hit-meta">
                                {hit.channel_name.clone()} " · " <span class="mono">{hit.open_id.clone()}</span>
                                {hit.phone.clone().map(|phone| view! { " · " {phone} })}
                            </span>
                        </A>
                    </li>
                }
            });
            let messages = found.messages.into_iter().map(|hit| {
                let name = hit.contact_name.clone().unwrap_or_default();
                view! {
                    <li class="client-hit">
                        <A href=format!("/compliance/{}", hit.contact_id) attr:class="client-hit-link">
                            <span class="client-hit-name">{name}</span>
                            <span class="client-hit-meta">
                                <q class="client-hit-quote">{hit.body.clone()}</q> " · " {hk_date(hit.created_at)}
                            </span>
                        </A>
                    </li>
                }
            });
            view! {
                <ul class="client-hits" aria-label=move || t_string!(i18n, compliance.results)>
                    {contacts.collect_view()}
                    {messages.collect_view()}
                </ul>
            }
            .into_any()
        })
    };
    view! {
        <section class="card" aria-labelledby="find-client-title">
            <h2 id="find-client-title" class="card-title">{t!(i18n, compliance.find_title)}</h2>
            <form class="find-client" role="search" on:submit=submit>
                <label for="find-client-query" class="field-label">{t!(i18n, compliance.find_label)}</label>
                <div class="find-client-row">
                    <input
                        id="find-client-query"
                        type="search"
                        autocomplete="off"
                        bind:value=query
                        placeholder=move || t_string!(i18n, compliance.find_placeholder)
                    />
                    <button type="submit" class="button button-primary" disabled=move || busy.get()>
                        {move || if busy.get() { t_string!(i18n, compliance.searching) } else { t_string!(i18n, compliance.search) }}
                    </button>
                </div>
            </form>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            {hits}
        </section>
    }
}
