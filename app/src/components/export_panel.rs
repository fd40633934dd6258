//! Export a client's history as evidence: a reason (category and the
//! requester's words) for the dates shown, then the bundle builds on the
//! server with its progress shown here, and downloads while it lasts.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ExportCategory, ExportReason, ExportRequest, ExportStatus, ExportView};
use shared::ContactId;

use crate::api::{self, ApiError};
use crate::format::{hk_date, hk_date_time};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::state::auth::AuthState;

fn category_label(category: ExportCategory) -> &'static str {
    let locale = crate::language::current_locale();
    match category {
        ExportCategory::RegulatorRequest => td_string!(locale, compliance.regulator_request),
        ExportCategory::InternalReview => td_string!(locale, compliance.internal_review),
        ExportCategory::DataAccessRequest => td_string!(locale, compliance.data_access_request),
        ExportCategory::Litigation => td_string!(locale, compliance.litigation),
        ExportCategory::Other => td_string!(locale, compliance.other),
    }
}

fn status_label(export: &ExportView) -> String {
    let locale = crate::language::current_locale();
    match export.status {
        ExportStatus::Queued => td_string!(locale, compliance.status_queued).to_owned(),
        ExportStatus::Building => format!(
            "{} {}%",
            td_string!(locale, compliance.status_building),
            export.progress
        ),
        ExportStatus::Ready => format!(
            "{} {}",
            td_string!(locale, compliance.status_ready),
            export.expires_at.map(hk_date_time).unwrap_or_default()
        ),
        ExportStatus::Failed => td_string!(locale, compliance.status_failed).to_owned(),
        ExportStatus::Expired => td_string!(locale, compliance.status_expired).to_owned(),
    }
}

#[component]
pub fn ExportPanel(
    contact: ContactId,
    range: ReadSignal<(Option<i64>, Option<i64>)>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let exports = RwSignal::new(Vec::<ExportView>::new());
    let list_error = RwSignal::new(None::<ApiError>);
    // What screen readers hear: an export becoming ready or failing.
    let announced = RwSignal::new(String::new());
    let category = RwSignal::new(ExportCategory::RegulatorRequest.as_str().to_owned());
    let text = RwSignal::new(String::new());
    let field_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    // Each change of `poll` asks for the list once; while a bundle builds
    // (or after a failed ask) the answer sets one timer, replacing any
    // other, for the next ask a second later.
    let poll = RwSignal::new(0_u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        poll.track();
        spawn_local(async move {
            match api::compliance::exports(auth).await {
                Ok(all) => {
                    let all: Vec<ExportView> =
                        all.into_iter().filter(|e| e.contact == contact).collect();
                    let finished = exports.with_untracked(|before| {
                        all.iter()
                            .find(|now| {
                                matches!(now.status, ExportStatus::Ready | ExportStatus::Failed)
                                    && before
                                        .iter()
                                        .any(|was| was.id == now.id && was.status != now.status)
                            })
                            .map(status_label)
                    });
                    if let Some(text) = finished {
                        announced.try_set(text);
                    }
                    list_error.try_set(None);
                    exports.try_set(all);
                }
                Err(failed) => {
                    list_error.try_set(Some(failed));
                }
            }
            let again = list_error.try_with_untracked(Option::is_some) == Some(true)
                || exports.try_with_untracked(|all| {
                    all.iter()
                        .any(|e| matches!(e.status, ExportStatus::Queued | ExportStatus::Building))
                }) == Some(true);
            if let Some(Some(old)) = timer.try_get_value() {
                old.clear();
            }
            if again {
                let next = set_timeout_with_handle(
                    move || {
                        poll.try_update(|n| *n += 1);
                    },
                    std::time::Duration::from_secs(1),
                )
                .ok();
                timer.try_set_value(next);
            }
        });
    });
    on_cleanup(move || {
        if let Some(Some(handle)) = timer.try_get_value() {
            handle.clear();
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        field_error.set(None);
        error.set(None);
        let words = text.get_untracked().trim().to_owned();
        if words.is_empty() {
            field_error.set(Some(t_string!(i18n, compliance.reason_missing).to_owned()));
            return;
        }
        let Ok(category) = category.get_untracked().parse::<ExportCategory>() else {
            return;
        };
        let (from, to) = range.get_untracked();
        let request = ExportRequest {
            contact,
            reason: ExportReason {
                category,
                text: words,
            },
            from,
            to,
        };
        busy.set(true);
        spawn_local(async move {
            match api::compliance::request_export(auth, request).await {
                Ok(export) => {
                    exports.try_update(|all| all.insert(0, export));
                    text.try_set(String::new());
                    poll.try_update(|n| *n += 1);
                }
                Err(failed) => {
                    error.try_set(Some(failed));
                }
            }
            busy.try_set(false);
        });
    };

    let download = move |export: ExportView| {
        spawn_local(async move {
            let name = format!(
                "harbour-export-{}-{}.zip",
                hk_date(export.created_at),
                export.id
            );
            if let Err(failed) = api::compliance::download(auth, export.id, &name).await {
                error.try_set(Some(failed));
            }
        });
    };

    let has_error = move || field_error.with(Option::is_some);
    view! {
        <section class="card export-panel" aria-labelledby="export-title">
            <h2 id="export-title" class="card-title">{t!(i18n, compliance.export_title)}</h2>
            <p class="card-lede">{t!(i18n, compliance.export_description)}</p>
            <form class="export-form" novalidate on:submit=submit>
                <label class="field">
                    <span class="field-label">{t!(i18n, compliance.reason)}</span>
                    <select id="export-category" bind:value=category>
                        {ExportCategory::ALL
                            .iter()
                            .map(|c| {
                                let c = *c;
                                view! { <option value=c.as_str()>{move || category_label(c)}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span class="field-label">{t!(i18n, compliance.details)}</span>
                    <textarea
                        id="export-reason"
                        rows="2"
                        bind:value=text
                        aria-invalid=move || has_error().to_string()
                        aria-describedby=move || has_error().then_some("export-reason-error")
                        placeholder=move || t_string!(i18n, compliance.details_placeholder)
                    ></textarea>
                </label>
                {move || field_error.get().map(|e| view! { <p id="export-reason-error" class="field-error" role="alert">{e}</p> })}
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {move || if busy.get() { t_string!(i18n, compliance.exporting) } else { t_string!(i18n, compliance.export) }}
                </button>
            </form>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            <h3 class="export-list-title">{t!(i18n, compliance.exports_title)}</h3>
            <p class="visually-hidden" role="status">{move || announced.get()}</p>
            {move || list_error.get().map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            {move || {
                (exports.with(Vec::is_empty) && list_error.with(Option::is_none))
                    .then(|| view! { <p class="export-none">{t!(i18n, compliance.exports_none)}</p> })
            }}
            <ul class="export-list">
                <For
                    each=move || exports.get()
                    key=|export| (export.id, export.status, export.progress)
                    children=move |export| {
                        let ready = export.status == ExportStatus::Ready;
                        let progress = export.progress;
                        let status = export.status;
                        let label = {
                            let export = export.clone();
                            move || status_label(&export)
                        };
                        let reason = {
                            let reason = export.reason.clone();
                            move || format!("{}: {}", category_label(reason.category), reason.text)
                        };
                        let view_export = export.clone();
                        view! {
                            <li class="export-item" data-status=status.as_str()>
                                <div class="export-line">
                                    <span class="export-reason">{reason}</span>
                                    <time class="export-time">{hk_date_time(export.created_at)}</time>
                                </div>
                                <div class="export-line">
                                    <span class="export-status">{label}</span>
                                    {matches!(status, ExportStatus::Queued | ExportStatus::Building).then(|| view! {
                                        <progress class="export-progress" max="100" value=progress.to_string()></progress>
                                    })}
                                    {ready.then(|| view! {
                                        <button type="button" class="button export-download" on:click=move |_| download(view_export.clone())>
                                            {t!(i18n, compliance.download)}
                                        </button>
                                    })}
                                </div>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}
