//! The text being written: a reply and a note are separate drafts, and the
//! caret is kept in bytes while the textarea counts UTF-16 units.

use leptos::html;
use leptos::prelude::*;

use super::caret::{byte_offset, splice, utf16_offset};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Reply,
    Note,
}

#[derive(Clone, Copy)]
pub struct Draft {
    pub mode: RwSignal<Mode>,
    pub text: RwSignal<String>,
    /// Byte offset of the caret in `text`.
    pub caret: RwSignal<usize>,
    pub textarea: NodeRef<html::Textarea>,
    /// The draft of the other mode, kept while this one is written.
    other: StoredValue<String>,
}

impl Draft {
    pub fn new() -> Self {
        Draft {
            mode: RwSignal::new(Mode::Reply),
            text: RwSignal::new(String::new()),
            caret: RwSignal::new(0),
            textarea: NodeRef::new(),
            other: StoredValue::new(String::new()),
        }
    }

    pub fn replying(&self) -> bool {
        self.mode.get() == Mode::Reply
    }

    pub fn has_text(&self) -> bool {
        self.text.with(|t| !t.trim().is_empty())
    }

    /// Switching swaps the two drafts.
    pub fn switch_mode(self, wanted: Mode) {
        if self.mode.get_untracked() != wanted {
            let current = self.text.get_untracked();
            let other = self
                .other
                .try_update_value(|d| std::mem::replace(d, current))
                .unwrap_or_default();
            self.caret.set(other.len());
            self.text.set(other);
            self.mode.set(wanted);
        }
    }

    /// Empties the draft once it went out.
    pub fn clear(self) {
        self.text.try_set(String::new());
        self.caret.try_set(0);
    }

    /// Focuses the textarea with the caret at byte offset `bytes`.
    pub fn focus_at(self, bytes: usize) {
        request_animation_frame(move || {
            if let Some(area) = self.textarea.get_untracked() {
                let _ = area.focus();
                let at = self.text.with_untracked(|t| utf16_offset(t, bytes));
                let _ = area.set_selection_range(at, at);
            }
        });
    }

    pub fn focus_end(self) {
        self.focus_at(self.text.with_untracked(String::len));
    }

    /// Reads the caret back from the textarea.
    pub fn sync_caret(self) {
        if let Some(area) = self.textarea.get_untracked() {
            let units = area.selection_start().ok().flatten().unwrap_or(0);
            self.caret
                .set(self.text.with_untracked(|t| byte_offset(t, units)));
        }
    }

    /// Replaces `start..end` (bytes) with `insert` and puts the caret after it.
    pub fn replace(self, start: usize, end: usize, insert: &str) {
        let (next, after) = self.text.with_untracked(|t| splice(t, start, end, insert));
        self.text.set(next);
        self.caret.set(after);
        self.focus_at(after);
    }

    pub fn insert_at_caret(self, insert: &str) {
        let at = self.caret.get_untracked();
        self.replace(at, at, insert);
    }
}
