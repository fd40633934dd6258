//! "Take back" under the composer's refusal while a colleague has the
//! client's WeCom session in the WeCom client. Harbour asks WeCom for the
//! session; where WeCom allows the inbox to have it only by ending it, the
//! agent is asked first (naming the colleague), then it is ended and the
//! client's next message comes to the inbox.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ConversationId;

use crate::api::{self, ApiError};
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::form_banner::FormBanner;
use crate::i18n::{t_string, use_i18n};
use crate::state::auth::AuthState;

#[component]
pub fn TakeBack(
    conversation: ConversationId,
    /// Who has the session, as WeCom names them.
    servicer: String,
    /// Called once the session changed hands: time to refetch the window.
    on_change: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let confirming = RwSignal::new(false);
    let ask = move |end_session: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let outcome = api::conversations::take_back(auth, conversation, end_session).await;
            busy.try_set(false);
            match outcome {
                Ok(_) => {
                    confirming.try_set(false);
                    on_change.run(());
                }
                Err(e) if e.body.reason.as_deref() == Some("wecom_end_to_take_back") => {
                    confirming.try_set(true);
                }
                Err(e) => {
                    confirming.try_set(false);
                    error.try_set(Some(e));
                }
            }
        });
    };
    let explain = move || {
        let who = if servicer.is_empty() {
            t_string!(i18n, take_back.a_colleague).to_owned()
        } else {
            servicer.clone()
        };
        format!(
            "{}{who}{}",
            t_string!(i18n, take_back.explain_before),
            t_string!(i18n, take_back.explain_after)
        )
    };
    view! {
        <div class="composer-take-back">
            <button
                type="button"
                class="button button-secondary button-small take-back-button"
                aria-busy=move || busy.get().to_string()
                disabled=move || busy.get()
                on:click=move |_| ask(false)
            >
                {move || {
                    if busy.get() {
                        t_string!(i18n, take_back.working)
                    } else {
                        t_string!(i18n, take_back.button)
                    }
                }}
            </button>
            <FormBanner error=error class="composer-error" />
        </div>
        <Show when=move || confirming.get()>
            <ConfirmDialog
                title=move || t_string!(i18n, take_back.title)
                message=explain.clone()
                confirm_label=move || t_string!(i18n, take_back.confirm)
                cancel_label=move || t_string!(i18n, confirm.cancel)
                on_confirm=Callback::new(move |()| ask(true))
                on_cancel=Callback::new(move |()| confirming.set(false))
            />
        </Show>
    }
}
