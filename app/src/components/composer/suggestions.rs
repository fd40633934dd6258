//! What the composer's suggestion menu offers at the caret: canned
//! responses after `/`, and colleagues after `@` in a note.

use shared::api::{CannedResponse, Colleague};

use super::mentions::{matching_colleagues, mention_query};
use super::Mode;
use crate::canned::{matching, render_canned, slash_query, CannedContext};

/// Suggestions shown at once.
const MENU_SIZE: usize = 6;

/// One line of the suggestion menu and what choosing it inserts.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub label: String,
    pub detail: String,
    pub insert: String,
    /// Byte range of the typed trigger to replace.
    pub start: usize,
    pub end: usize,
}

pub fn suggestions(
    text: &str,
    caret: usize,
    mode: Mode,
    canned: &[CannedResponse],
    colleagues: &[Colleague],
    context: &CannedContext,
) -> Vec<Suggestion> {
    let caret = caret.min(text.len());
    if !text.is_char_boundary(caret) {
        return Vec::new();
    }
    let before = &text[..caret];
    if let Some((start, query)) = slash_query(before) {
        return matching(canned, query, MENU_SIZE)
            .into_iter()
            .map(|c| Suggestion {
                label: format!("/{}", c.shortcut),
                detail: c.title.clone(),
                insert: render_canned(&c.body, context),
                start,
                end: caret,
            })
            .collect();
    }
    if mode == Mode::Note {
        if let Some((start, query)) = mention_query(before) {
            return matching_colleagues(colleagues, query)
                .into_iter()
                .take(MENU_SIZE)
                .map(|c| Suggestion {
                    label: c.name.clone(),
                    detail: crate::language::role_label(c.role).to_owned(),
                    insert: format!("@{} ", c.name),
                    start,
                    end: caret,
                })
                .collect();
        }
    }
    Vec::new()
}
