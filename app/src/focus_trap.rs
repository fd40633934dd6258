//! Modal dialogs keep keyboard focus: the first control takes it when the
//! dialog opens, Tab and Shift+Tab wrap around inside, and when the dialog
//! goes focus returns to whatever had it before.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// What Tab can reach inside a dialog.
const FOCUSABLE: &str =
    "button:not([disabled]), [href], input:not([disabled]):not([type=hidden]), \
     select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

fn focusables(dialog: &web_sys::Element) -> Vec<HtmlElement> {
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
        .filter(|el| el.offset_width() > 0 || el.offset_height() > 0)
        .collect()
}

/// Where focus goes back to when a dialog closes: kept by the component
/// that stays mounted while the dialog comes and goes.
pub type ReturnTo = StoredValue<Option<HtmlElement>, LocalStorage>;

/// A place to keep the element that had focus before a dialog opened.
pub fn return_to() -> ReturnTo {
    StoredValue::new_local(None)
}

/// Gives focus back once `open` turns false. Call in the component that
/// stays mounted (it owns `before`).
pub fn give_focus_back(open: impl Fn() -> bool + 'static, before: ReturnTo) {
    Effect::new(move |_| {
        if !open() {
            if let Some(element) = before.try_update_value(Option::take).flatten() {
                let _ = successor(&element).focus();
                keep_focus_on(element);
            }
        }
    });
}

/// A live update may draw the element anew just after focus went back,
/// leaving focus on the page itself: put it back on the element's
/// successor then (looked at every 100 ms for two seconds, as updates come
/// in bursts and late on a busy machine).
fn keep_focus_on(element: HtmlElement) {
    for delay in (1..=20).map(|tenth| tenth * 100) {
        let element = element.clone();
        gloo_timers::callback::Timeout::new(delay, move || {
            let lost = document()
                .active_element()
                .is_none_or(|active| document().body().is_some_and(|body| *body == active));
            if lost {
                let _ = successor(&element).focus();
            }
        })
        .forget();
    }
}

/// `element`, or (when a list re-rendered it meanwhile) the element now in
/// its place: the same kind of element in the row with the same `data-id`.
fn successor(element: &HtmlElement) -> HtmlElement {
    if element.is_connected() {
        return element.clone();
    }
    let row = element
        .closest("[data-id]")
        .ok()
        .flatten()
        .and_then(|row| row.get_attribute("data-id"));
    let class = element.class_list().item(0);
    let found = row.and_then(|id| {
        let css = match class {
            Some(class) => format!("[data-id='{id}'] {}.{class}", element.tag_name()),
            None => format!("[data-id='{id}'] {}", element.tag_name()),
        };
        document().query_selector(&css).ok().flatten()
    });
    found
        .and_then(|el| el.dyn_into::<HtmlElement>().ok())
        .unwrap_or_else(|| element.clone())
}

/// Call in the dialog's component (created when it opens) with the
/// dialog's node; put the returned handler on its `on:keydown`. What had
/// focus is kept in `before` for [`give_focus_back`].
pub fn trap_focus(
    dialog: NodeRef<html::Div>,
    before: ReturnTo,
) -> impl Fn(KeyboardEvent) + Copy + 'static {
    before.set_value(
        document()
            .active_element()
            .and_then(|el| el.dyn_into::<HtmlElement>().ok()),
    );
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            if let Some(first) = focusables(&dialog).first() {
                let _ = first.focus();
            }
        }
    });
    move |ev: KeyboardEvent| {
        // WebKitGTK names Shift+Tab's key `ISO_Left_Tab`-style: trust the code too.
        if ev.key() != "Tab" && ev.code() != "Tab" {
            return;
        }
        let Some(dialog) = dialog.get_untracked() else {
            return;
        };
        let inside = focusables(&dialog);
        let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
            ev.prevent_default();
            return;
        };
        let active = document().active_element();
        let at = |el: &HtmlElement| active.as_ref() == Some(el.as_ref());
        let outside = active.as_ref().is_none_or(|a| !dialog.contains(Some(a)));
        if ev.shift_key() && (at(first) || outside) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && (at(last) || outside) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }
}
