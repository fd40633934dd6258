//! One field of a form: `<div class="field">` with the label, the control
//! (the children), an optional hint and the field's error. The hint's id is
//! `{control}-hint` and the error's `{control}-error`, so the control can
//! point at them with `aria-describedby`.

use leptos::prelude::*;

use crate::components::field_error::FieldError;

#[component]
pub fn FormField(
    /// The control's id, for the label's `for`.
    #[prop(into)]
    control: String,
    /// The label's text; a trailing space when `optional` follows it.
    #[prop(into)]
    label: String,
    /// Marks the label "(optional)".
    #[prop(optional)]
    optional: bool,
    /// Classes after `field`, e.g. `field-span-2`.
    #[prop(optional)]
    class: Option<&'static str>,
    #[prop(optional, into)] hint: Option<ViewFn>,
    /// The field's complaint, if the form keeps one.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
    /// Keep the error's line in the page (empty) as a live region.
    #[prop(optional)]
    announce_error: bool,
    children: Children,
) -> impl IntoView {
    let class = class.map_or_else(|| "field".to_owned(), |extra| format!("field {extra}"));
    let hint = hint.map(|hint| {
        view! { <p class="field-hint" id=format!("{control}-hint")>{hint.run()}</p> }
    });
    let error = error.map(|message| {
        view! { <FieldError id=format!("{control}-error") message=message announce=announce_error /> }
    });
    view! {
        <div class=class>
            <label for=control>
                {label}
                {optional.then(|| view! { <span class="label-optional">"(optional)"</span> })}
            </label>
            {children()}
            {hint}
            {error}
        </div>
    }
}
