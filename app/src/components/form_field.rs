//! One field of a form: `<div class="field">` with the label, the control
//! (the children), an optional hint and the field's error. The hint's id is
//! `{control}-hint` and the error's `{control}-error`, so the control can
//! point at them with `aria-describedby`.
//!
//! `bare` leaves out the wrapping `div` (the label, control, hint and error
//! sit directly in the caller's element: a compact form or a toolbar), and
//! `label_hidden` keeps the label for screen readers only
//! (`class="visually-hidden"`), for controls whose placeholder or place
//! says what they are.

use leptos::prelude::*;

use crate::components::field_error::FieldError;
use crate::i18n::{t, use_i18n};

#[component]
pub fn FormField(
    /// The control's id, for the label's `for`.
    #[prop(into)]
    control: String,
    /// The label's text (a closure re-renders it in another language).
    #[prop(into)]
    label: TextProp,
    /// Marks the label "(optional)".
    #[prop(optional)]
    optional: bool,
    /// The label is for screen readers only.
    #[prop(optional)]
    label_hidden: bool,
    /// No wrapping `<div class="field">`; `class` is then unused.
    #[prop(optional)]
    bare: bool,
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
    /// The control does not point at the error, so the error has no id.
    #[prop(optional)]
    unlinked_error: bool,
    children: Children,
) -> impl IntoView {
    let hint = hint.map(|hint| {
        view! { <p class="field-hint" id=format!("{control}-hint")>{hint.run()}</p> }
    });
    let error = error.map(|message| {
        if unlinked_error {
            view! { <FieldError message=message announce=announce_error /> }.into_any()
        } else {
            view! { <FieldError id=format!("{control}-error") message=message announce=announce_error /> }
                .into_any()
        }
    });
    let i18n = use_i18n();
    let label = view! {
        <label class=label_hidden.then_some("visually-hidden") for=control>
            {move || label.get()}
            {optional.then(|| view! { <span class="label-optional">{t!(i18n, form.optional)}</span> })}
        </label>
    };
    if bare {
        return view! {
            {label}
            {children()}
            {hint}
            {error}
        }
        .into_any();
    }
    let class = class.map_or_else(|| "field".to_owned(), |extra| format!("field {extra}"));
    view! {
        <div class=class>
            {label}
            {children()}
            {hint}
            {error}
        </div>
    }
    .into_any()
}

/// A group of controls under one caption: `<fieldset>` with its `<legend>`,
/// the controls (the children) and the group's error.
#[component]
pub fn FieldSet(
    /// The fieldset's classes, e.g. `field field-teams` or `filter-group`.
    class: &'static str,
    /// The legend's text (a closure re-renders it in another language).
    #[prop(into)]
    legend: TextProp,
    /// The group's complaint, if the form keeps one.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
    /// The error's id, for a control's `aria-describedby`.
    #[prop(optional, into)]
    error_id: Option<String>,
    children: Children,
) -> impl IntoView {
    let error = error.map(|message| match error_id {
        Some(id) => view! { <FieldError id=id message=message /> }.into_any(),
        None => view! { <FieldError message=message /> }.into_any(),
    });
    view! {
        <fieldset class=class>
            <legend>{move || legend.get()}</legend>
            {children()}
            {error}
        </fieldset>
    }
}
