//! Images pasted or dropped on the composer: replies only, when Attach
//! image is available; the composer is highlighted while a file is over it.

use leptos::ev::{ClipboardEvent, DragEvent};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::send::{image_refusal, Sender, Source};
use crate::components::attach_image::pasted_image;
use crate::i18n::td_string;

/// Whether a drag carries files (not text or a link being moved about).
fn carries_files(ev: &DragEvent) -> bool {
    ev.data_transfer()
        .is_some_and(|data| data.types().includes(&JsValue::from_str("Files"), 0))
}

#[derive(Clone, Copy)]
pub struct DropZone {
    /// A file that can be dropped is over the composer.
    pub target: RwSignal<bool>,
    /// Entering and leaving the composer's children fire too, hence a count.
    depth: StoredValue<u32>,
    sender: Sender,
    replying: Signal<bool>,
    disabled: Signal<bool>,
}

impl DropZone {
    pub fn new(sender: Sender, replying: Signal<bool>, disabled: Signal<bool>) -> Self {
        DropZone {
            target: RwSignal::new(false),
            depth: StoredValue::new(0),
            sender,
            replying,
            disabled,
        }
    }

    fn can_drop(&self) -> bool {
        self.replying.get_untracked()
            && !self.disabled.get_untracked()
            && !self.sender.busy.get_untracked()
            && !self.sender.sending_image.get_untracked()
    }

    pub fn paste(self, ev: ClipboardEvent) {
        if let Some(file) = self
            .replying
            .get_untracked()
            .then(|| pasted_image(&ev))
            .flatten()
        {
            ev.prevent_default();
            self.sender.take_file(file, Source::Pasted);
        }
    }

    pub fn drag_enter(self, ev: DragEvent) {
        if !carries_files(&ev) {
            return;
        }
        ev.prevent_default();
        self.depth.update_value(|depth| *depth += 1);
        self.target.set(self.can_drop());
    }

    pub fn drag_over(self, ev: DragEvent) {
        if !carries_files(&ev) {
            return;
        }
        // Claimed even when refused, so the browser does not open the file
        // in place of Harbour.
        ev.prevent_default();
        let accept = self.can_drop();
        if let Some(data) = ev.data_transfer() {
            data.set_drop_effect(if accept { "copy" } else { "none" });
        }
        if self.target.get_untracked() != accept {
            self.target.set(accept);
        }
    }

    pub fn drag_leave(self, ev: DragEvent) {
        if !carries_files(&ev) {
            return;
        }
        let left = self
            .depth
            .try_update_value(|depth| {
                *depth = depth.saturating_sub(1);
                *depth == 0
            })
            .unwrap_or(true);
        if left {
            self.target.set(false);
        }
    }

    pub fn drop_file(self, ev: DragEvent) {
        if !carries_files(&ev) {
            return;
        }
        ev.prevent_default();
        self.depth.set_value(0);
        self.target.set(false);
        if !self.can_drop() {
            return;
        }
        let Some(files) = ev.data_transfer().and_then(|data| data.files()) else {
            return;
        };
        match files.length() {
            0 => {}
            1 => {
                if let Some(file) = files.get(0) {
                    self.sender.take_file(file, Source::Dropped);
                }
            }
            _ => self.sender.error.set(Some(image_refusal(
                td_string!(crate::language::current_locale(), image.one_at_a_time).to_owned(),
            ))),
        }
    }
}
