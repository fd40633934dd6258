//! Search (`/`): contacts and messages the user may see, as they type.
//! A message result opens its conversation scrolled to that message.
//! Focus starts in the box, stays in the dialog, and returns on close.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::api::SearchResults;
use shared::ConversationId;

use crate::api::{self, ApiError};
use crate::components::form_field::FormField;
use crate::debounce::Debounce;
use crate::format::hk_date_time;
use crate::i18n::{t, t_string, use_i18n};
use crate::labels::contact_label;
use crate::state::auth::AuthState;
use crate::state::inbox::InboxState;

/// Wait this long after the last key before asking the server.
const SEARCH_DELAY_MS: u32 = 250;

fn conversation_href(id: ConversationId, position: Option<i64>) -> String {
    match position {
        Some(at) => format!("/inbox/{id}?at={at}"),
        None => format!("/inbox/{id}"),
    }
}

#[component]
pub fn SearchDialog() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let inbox = expect_context::<InboxState>();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let input = NodeRef::<html::Input>::new();
    let text = RwSignal::new(String::new());
    let results = RwSignal::new(None::<Result<SearchResults, ApiError>>);
    let searching = RwSignal::new(false);
    let generation = StoredValue::new(0_u64);
    let debounce = Debounce::new(SEARCH_DELAY_MS);
    let return_to = StoredValue::new_local(None::<web_sys::HtmlElement>);

    Effect::new(move |_| {
        if inbox.search_open.get() {
            use wasm_bindgen::JsCast;
            let active = document()
                .active_element()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            return_to.set_value(active);
            request_animation_frame(move || {
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                    input.select();
                }
            });
        } else if let Some(element) = return_to.try_update_value(Option::take).flatten() {
            let _ = element.focus();
        }
    });

    let run = move || {
        let query = text.get_untracked().trim().to_owned();
        let number = generation.get_value() + 1;
        generation.set_value(number);
        // One Chinese character is a word; one Latin letter is not.
        if query.is_empty() || (query.is_ascii() && query.len() < 2) {
            results.set(None);
            searching.set(false);
            return;
        }
        searching.set(true);
        spawn_local(async move {
            let outcome = api::search::search(auth, query).await;
            if generation.try_get_value() == Some(number) {
                searching.try_set(false);
                results.try_set(Some(outcome));
            }
        });
    };
    let close = move || inbox.search_open.set(false);
    let open_result = move |href: String| {
        inbox.search_open.set(false);
        return_to.set_value(None);
        navigate(&href, NavigateOptions::default());
    };

    let body = move || match results.get() {
        None if searching.get() => {
            view! { <p class="search-status" role="status">{t!(i18n, search.searching)}</p> }
                .into_any()
        }
        None => view! { <p class="search-status">{t!(i18n, search.hint)}</p> }.into_any(),
        Some(Err(error)) => {
            let sentence = if error.status == 404 {
                t_string!(i18n, search.unavailable).to_owned()
            } else {
                error.message().to_owned()
            };
            view! { <p class="search-status form-error" role="alert" data-code=error.code_str()>{sentence}</p> }.into_any()
        }
        Some(Ok(found)) if found.contacts.is_empty() && found.messages.is_empty() => {
            view! { <p class="search-status" role="status">{t!(i18n, search.nothing)}</p> }
                .into_any()
        }
        Some(Ok(found)) => {
            let open_result = open_result.clone();
            let open_message = open_result.clone();
            view! {
                {(!found.contacts.is_empty()).then(|| view! { <h3 class="search-heading">{t!(i18n, search.contacts)}</h3> })}
                <ul class="search-results">
                    {found.contacts.into_iter().map(|hit| {
                        let href = hit.conversation_id.map(|id| conversation_href(id, None));
                        let name = contact_label(hit.name.as_deref(), &hit.open_id);
                        let detail = format!("{}{}", hit.channel_name, hit.phone.map(|p| format!(" · {p}")).unwrap_or_default());
                        let open_result = open_result.clone();
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="search-result"
                                    disabled=href.is_none()
                                    on:click=move |_| if let Some(href) = href.clone() { open_result(href) }
                                >
                                    <span class="search-title">{name}</span>
                                    <span class="search-detail">{detail}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {(!found.messages.is_empty()).then(|| view! { <h3 class="search-heading">{t!(i18n, search.messages)}</h3> })}
                <ul class="search-results">
                    {found.messages.into_iter().map(|hit| {
                        let href = conversation_href(hit.conversation_id, Some(hit.position));
                        let who = hit.contact_name.clone().unwrap_or_else(|| t_string!(i18n, labels.wechat_user).to_owned());
                        let open_message = open_message.clone();
                        view! {
                            <li>
                                <button type="button" class="search-result" data-conversation=hit.conversation_id.to_string() on:click=move |_| open_message(href.clone())>
                                    <span class="search-title">{who}<span class="search-when">{hk_date_time(hit.created_at)}</span></span>
                                    <span class=format!("search-detail direction-{}", hit.direction.as_str())>{hit.body}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }
    };

    view! {
        <Show when=move || inbox.search_open.get()>
            <div class="dialog-backdrop" on:mousedown=move |ev| {
                // A click outside the dialog closes it.
                if ev.target() == ev.current_target() { close() }
            }>
                <div class="dialog search-dialog" role="dialog" aria-modal="true" aria-labelledby="search-title"
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            ev.prevent_default();
                            close();
                        }
                    }
                >
                    <h2 id="search-title" class="visually-hidden">{t!(i18n, nav.search)}</h2>
                    <FormField control="search-input" label=move || t_string!(i18n, search.placeholder) label_hidden=true bare=true>
                        <input
                            type="search"
                            id="search-input"
                            class="search-input"
                            node_ref=input
                            placeholder=move || t_string!(i18n, search.placeholder)
                            autocomplete="off"
                            prop:value=move || text.get()
                            on:input=move |ev| {
                                text.set(event_target_value(&ev));
                                debounce.call(run);
                            }
                        />
                    </FormField>
                    <div class="search-body">{body.clone()}</div>
                    <p class="search-footer">{t!(i18n, search.esc)}</p>
                </div>
            </div>
        </Show>
    }
}
