//! Who looked at this client, and when: every read of their records, newest
//! first, for admins and compliance (the server refuses anyone else).

use leptos::prelude::*;
use shared::api::AccessEntry;
use shared::ContactId;

use crate::format::{hk_date_time, relative_age};
use crate::i18n::{t, td_string, use_i18n};
use crate::language::role_label;
use crate::remote::{LoadStatus, RemoteList};
use crate::state::auth::AuthState;

/// The reads shown at most.
const SHOWN: usize = 20;

/// What a read was, in the user's language.
pub fn what(kind: &str) -> &'static str {
    let locale = crate::language::current_locale();
    match kind {
        "access.conversation" => td_string!(locale, access.conversation),
        "access.timeline" => td_string!(locale, access.timeline),
        "access.media" => td_string!(locale, access.media),
        "access.contact" => td_string!(locale, access.contact),
        "access.accesses" => td_string!(locale, access.accesses),
        "access.search" => td_string!(locale, access.search),
        "access.history" => td_string!(locale, access.history),
        "access.export" => td_string!(locale, access.export),
        "access.export_download" => td_string!(locale, access.export_download),
        _ => td_string!(locale, access.other),
    }
}

#[component]
pub fn AccessHistory(contact: ContactId, now: Signal<i64>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let reads = RemoteList::<AccessEntry>::new();
    reads.load(crate::api::contacts::accesses(auth, contact, SHOWN));
    let list = move || {
        match reads.status.get() {
        LoadStatus::Loading => {
            view! { <p class="contact-empty" role="status">{t!(i18n, access.loading)}</p> }.into_any()
        }
        LoadStatus::Failed(_) => {
            view! { <p class="contact-empty" role="alert">{t!(i18n, access.failed)}</p> }.into_any()
        }
        LoadStatus::Ready if reads.items.with(Vec::is_empty) => {
            view! { <p class="contact-empty">{t!(i18n, access.none)}</p> }.into_any()
        }
        LoadStatus::Ready => view! {
            <ul class="access-list">
                {reads
                    .items
                    .get()
                    .into_iter()
                    .map(|read| {
                        let at = read.at;
                        let kind = read.kind.clone();
                        let role = read.role;
                        view! {
                            <li class="access-item" data-kind=read.kind.clone()>
                                <span class="access-line">
                                    <span class="access-reader">{read.reader_name.clone()}</span>
                                    <span class="access-role">{move || role_label(role)}</span>
                                    <time class="access-time" title=hk_date_time(at)>{move || relative_age(at, now.get())}</time>
                                </span>
                                <span class="access-what">{move || what(&kind)} " · " <span class="mono">{read.address.clone()}</span></span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any(),
    }
    };
    view! {
        <div class="contact-section access-history">
            <h3 class="contact-heading">{t!(i18n, access.heading)}</h3>
            {list}
        </div>
    }
}
