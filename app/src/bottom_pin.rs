//! Keeps a scrolling timeline pinned to its newest (bottom) entry: a jump
//! on demand, and while the reader stays at the bottom, again whenever the
//! box or its content changes size (the composer grows, a delivery error
//! wraps, a phone keyboard opens). Scrolling up unpins it.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::ResizeObserver;

/// Within this many pixels of the bottom counts as "at the bottom".
const SLACK_PX: i32 = 24;

/// Disconnects the observer when the timeline goes away.
struct Observer {
    observer: ResizeObserver,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

#[derive(Clone, Copy)]
pub struct BottomPin {
    scroller: NodeRef<html::Div>,
    pinned: StoredValue<bool>,
}

impl BottomPin {
    /// `scroller` is the scrolling box, `content` the element inside it that
    /// grows with the entries.
    pub fn new(scroller: NodeRef<html::Div>, content: NodeRef<html::Div>) -> Self {
        let pin = BottomPin {
            scroller,
            pinned: StoredValue::new(true),
        };
        let observer = StoredValue::new_local(None::<Observer>);
        Effect::new(move |_| {
            let (Some(outer), Some(inner)) = (scroller.get(), content.get()) else {
                return;
            };
            let callback = Closure::<dyn FnMut()>::new(move || {
                if pin.pinned.try_get_value().unwrap_or(false) {
                    pin.scroll_now();
                }
            });
            if let Ok(resize) = ResizeObserver::new(callback.as_ref().unchecked_ref()) {
                resize.observe(&outer);
                resize.observe(&inner);
                observer.try_update_value(|slot| {
                    *slot = Some(Observer {
                        observer: resize,
                        _callback: callback,
                    })
                });
            }
        });
        pin
    }

    /// Call from the box's `scroll` event: notes whether the reader is at the bottom.
    pub fn on_scroll(&self) {
        if let Some(element) = self.scroller.get_untracked() {
            let gap = element.scroll_height() - element.scroll_top() - element.client_height();
            self.pinned
                .try_update_value(|pinned| *pinned = gap <= SLACK_PX);
        }
    }

    /// Stops following the newest entry (the reader was taken elsewhere).
    pub fn unpin(&self) {
        self.pinned.try_update_value(|pinned| *pinned = false);
    }

    /// Scrolls to the bottom once the page has been drawn, and stays there.
    pub fn jump(&self) {
        self.pinned.try_update_value(|pinned| *pinned = true);
        let pin = *self;
        request_animation_frame(move || pin.scroll_now());
    }

    fn scroll_now(&self) {
        if let Some(element) = self.scroller.get_untracked() {
            element.set_scroll_top(element.scroll_height());
        }
    }
}
