//! The inbox's single-key shortcuts (j/k, r, n, e, a, /, ?), and when they
//! apply: never while someone types in a field or holds a modifier.

use crate::i18n::{td_string, Locale};

/// What a key press asks the inbox to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    NextConversation,
    PreviousConversation,
    Reply,
    Note,
    Resolve,
    Assign,
    Search,
    Help,
    /// Close whatever overlay is open.
    Dismiss,
}

/// Every shortcut with its key and what it does (in `locale`), for the help
/// overlay.
pub fn help(locale: Locale) -> [(&'static str, &'static str); 9] {
    [
        ("j", td_string!(locale, shortcuts.next)),
        ("k", td_string!(locale, shortcuts.previous)),
        ("r", td_string!(locale, shortcuts.reply)),
        ("n", td_string!(locale, shortcuts.note)),
        ("e", td_string!(locale, shortcuts.resolve)),
        ("a", td_string!(locale, shortcuts.assign)),
        ("/", td_string!(locale, shortcuts.search)),
        ("?", td_string!(locale, shortcuts.help)),
        ("Esc", td_string!(locale, shortcuts.dismiss)),
    ]
}

/// Modifier keys held during a press.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modifiers {
    pub ctrl: bool,
    pub meta: bool,
    pub alt: bool,
}

/// The shortcut for `key` (as `KeyboardEvent.key` names it). `typing` is
/// true when focus is in a text field, where only Escape counts.
pub fn shortcut_for(key: &str, modifiers: Modifiers, typing: bool) -> Option<Shortcut> {
    if key == "Escape" {
        return Some(Shortcut::Dismiss);
    }
    if typing || modifiers.ctrl || modifiers.meta || modifiers.alt {
        return None;
    }
    Some(match key {
        "j" | "ArrowDown" => Shortcut::NextConversation,
        "k" | "ArrowUp" => Shortcut::PreviousConversation,
        "r" => Shortcut::Reply,
        "n" => Shortcut::Note,
        "e" => Shortcut::Resolve,
        "a" => Shortcut::Assign,
        "/" => Shortcut::Search,
        "?" => Shortcut::Help,
        _ => return None,
    })
}

/// Whether an element with this tag (upper case, as the DOM gives it) and
/// `contenteditable` state takes typed text.
pub fn takes_text(tag: &str, editable: bool, input_type: Option<&str>) -> bool {
    match tag {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => !matches!(
            input_type.unwrap_or("text"),
            "checkbox" | "radio" | "button" | "submit" | "reset"
        ),
        _ => editable,
    }
}

/// Index of the conversation after (or before) `current` in a list of
/// `len`; with nothing selected, the first.
pub fn step(current: Option<usize>, len: usize, forward: bool) -> Option<usize> {
    if len == 0 {
        return None;
    }
    Some(match current {
        None => 0,
        Some(i) if forward => (i + 1).min(len - 1),
        Some(i) => i.saturating_sub(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_map_to_inbox_actions() {
        let none = Modifiers::default();
        assert_eq!(
            shortcut_for("j", none, false),
            Some(Shortcut::NextConversation)
        );
        assert_eq!(
            shortcut_for("k", none, false),
            Some(Shortcut::PreviousConversation)
        );
        assert_eq!(shortcut_for("r", none, false), Some(Shortcut::Reply));
        assert_eq!(shortcut_for("n", none, false), Some(Shortcut::Note));
        assert_eq!(shortcut_for("e", none, false), Some(Shortcut::Resolve));
        assert_eq!(shortcut_for("a", none, false), Some(Shortcut::Assign));
        assert_eq!(shortcut_for("/", none, false), Some(Shortcut::Search));
        assert_eq!(shortcut_for("?", none, false), Some(Shortcut::Help));
        assert_eq!(shortcut_for("x", none, false), None);
    }

    #[test]
    fn typing_in_a_field_or_holding_a_modifier_is_left_alone() {
        let ctrl = Modifiers {
            ctrl: true,
            ..Modifiers::default()
        };
        assert_eq!(shortcut_for("j", Modifiers::default(), true), None);
        assert_eq!(shortcut_for("r", ctrl, false), None);
        assert_eq!(
            shortcut_for("Escape", Modifiers::default(), true),
            Some(Shortcut::Dismiss)
        );
    }

    #[test]
    fn text_fields_take_keys_but_checkboxes_do_not() {
        assert!(takes_text("TEXTAREA", false, None));
        assert!(takes_text("INPUT", false, Some("search")));
        assert!(!takes_text("INPUT", false, Some("checkbox")));
        assert!(takes_text("DIV", true, None));
        assert!(!takes_text("A", false, None));
    }

    #[test]
    fn stepping_stops_at_either_end() {
        assert_eq!(step(None, 3, true), Some(0));
        assert_eq!(step(Some(2), 3, true), Some(2));
        assert_eq!(step(Some(0), 3, false), Some(0));
        assert_eq!(step(Some(1), 3, false), Some(0));
        assert_eq!(step(Some(1), 0, true), None);
    }
}
