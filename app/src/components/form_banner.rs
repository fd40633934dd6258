//! The line under a form that says how its submit went: the server's (or
//! the form's) error with its `data-code`, or a sentence of success.

use leptos::prelude::*;

use crate::api::ApiError;

#[component]
pub fn FormBanner(
    #[prop(optional, into)] error: Option<Signal<Option<ApiError>>>,
    #[prop(optional, into)] success: Option<Signal<Option<String>>>,
    /// Classes after `form-error` / `form-success`, e.g. `field-wide`.
    #[prop(optional)]
    class: Option<&'static str>,
) -> impl IntoView {
    let with_extra = move |base: &str| match class {
        Some(extra) => format!("{base} {extra}"),
        None => base.to_owned(),
    };
    let error_class = with_extra("form-error");
    let success_class = with_extra("form-success");
    view! {
        {move || {
            error
                .and_then(|error| error.get())
                .map(|error| {
                    view! {
                        <p class=error_class.clone() role="alert" data-code=error.code_str()>
                            {error.message().to_owned()}
                        </p>
                    }
                })
        }}
        {move || {
            success
                .and_then(|success| success.get())
                .map(|text| view! { <p class=success_class.clone() role="status">{text}</p> })
        }}
    }
}
