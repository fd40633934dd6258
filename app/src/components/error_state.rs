//! A failed load: the server's sentence, its error code (for support calls)
//! and, where it makes sense, a Retry button. The rest of the page keeps working.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::icon::{Icon, IconKind};
use crate::i18n::{t, use_i18n};

#[component]
pub fn ErrorState(
    error: ApiError,
    #[prop(optional)] on_retry: Option<Callback<()>>,
    #[prop(default = IconKind::Alert)] icon: IconKind,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="state state-error" role="alert" data-code=error.code_str()>
            <span class="state-icon">
                <Icon kind=icon />
            </span>
            <p class="state-message">{error.message().to_owned()}</p>
            <p class="state-code">{t!(i18n, common.error_code)} <code>{error.code_str()}</code></p>
            {on_retry
                .map(|retry| {
                    view! {
                        <button type="button" class="button button-secondary" on:click=move |_| retry.run(())>
                            {t!(i18n, common.retry)}
                        </button>
                    }
                })}
        </div>
    }
}
