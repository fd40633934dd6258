//! @mentions in internal notes: the `@name` being typed at the caret, and
//! which colleagues a finished note mentions (their ids go to the server).

use shared::api::Colleague;
use shared::UserId;

/// Whether an `@` after `before` starts a mention: not after an ASCII
/// letter or digit (an email address), but after a space, punctuation or
/// Chinese text ("請@Ken").
fn starts_mention(before: &str) -> bool {
    before
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_ascii_alphanumeric())
}

/// The `@query` being typed at the caret: (byte offset of the `@`, text
/// after it). An email address never opens the menu. A query may hold one space ("Ken W").
pub fn mention_query(before_caret: &str) -> Option<(usize, &str)> {
    let at = before_caret.rfind('@')?;
    let preceded_ok = starts_mention(&before_caret[..at]);
    let query = &before_caret[at + 1..];
    let spaces = query.chars().filter(|c| c.is_whitespace()).count();
    let ok = preceded_ok && !query.contains('\n') && spaces <= 1 && !query.ends_with("  ");
    ok.then_some((at, query))
}

/// Colleagues whose name contains `query` (case-insensitive), names that
/// start with it first.
pub fn matching_colleagues<'a>(colleagues: &'a [Colleague], query: &str) -> Vec<&'a Colleague> {
    let query = query.trim().to_lowercase();
    let mut starts: Vec<&Colleague> = Vec::new();
    let mut inside: Vec<&Colleague> = Vec::new();
    for colleague in colleagues {
        let name = colleague.name.to_lowercase();
        if name.starts_with(&query) {
            starts.push(colleague);
        } else if name.contains(&query) {
            inside.push(colleague);
        }
    }
    starts.into_iter().chain(inside).collect()
}

/// The colleagues a note mentions: every `@Full Name` of a colleague in the
/// text, longest name first so "@Ken Wong" is not read as "@Ken". Each
/// person once, in the order they first appear.
pub fn mentioned_ids(text: &str, colleagues: &[Colleague]) -> Vec<UserId> {
    let mut by_length: Vec<&Colleague> = colleagues.iter().collect();
    by_length.sort_by_key(|c| std::cmp::Reverse(c.name.chars().count()));
    let mut found: Vec<(usize, UserId)> = Vec::new();
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    for colleague in by_length {
        let needle = format!("@{}", colleague.name);
        for (at, _) in text.match_indices(&needle) {
            let end = at + needle.len();
            let preceded_ok = starts_mention(&text[..at]);
            let followed_ok = text[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric() || !c.is_ascii());
            if !preceded_ok || !followed_ok || taken.iter().any(|r| r.contains(&at)) {
                continue;
            }
            taken.push(at..end);
            found.push((at, colleague.id));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    let mut ids: Vec<UserId> = Vec::new();
    for (_, id) in found {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Splits a note's text into plain runs and `@mentions` of known names, for
/// highlighting: `(text, is_mention)`.
pub fn highlight(text: &str, names: &[String]) -> Vec<(String, bool)> {
    let mut names: Vec<&String> = names.iter().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let hit = rest
            .strip_prefix('@')
            .and_then(|after| {
                names.iter().find(|n| {
                    after.starts_with(n.as_str())
                        && after[n.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !c.is_ascii_alphanumeric())
                })
            })
            .filter(|_| starts_mention(&plain));
        if let Some(name) = hit {
            if !plain.is_empty() {
                parts.push((std::mem::take(&mut plain), false));
            }
            parts.push((format!("@{name}"), true));
            rest = &rest[1 + name.len()..];
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                plain.push(c);
            }
            rest = chars.as_str();
        }
    }
    if !plain.is_empty() {
        parts.push((plain, false));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Role;

    fn colleague(n: u128, name: &str) -> Colleague {
        Colleague {
            id: UserId(uuid::Uuid::from_u128(n)),
            name: name.into(),
            role: Role::Agent,
        }
    }

    #[test]
    fn the_menu_opens_after_an_at_sign_that_starts_a_word() {
        assert_eq!(mention_query("@"), Some((0, "")));
        assert_eq!(mention_query("please @ke"), Some((7, "ke")));
        assert_eq!(mention_query("@Ken W"), Some((0, "Ken W")));
        assert_eq!(mention_query("mail amy@example.com"), None);
        assert_eq!(mention_query("@Ken please check"), None);
        assert_eq!(mention_query("@陳"), Some((0, "陳")));
        assert_eq!(mention_query("請@Ken"), Some((3, "Ken")));
    }

    #[test]
    fn colleagues_whose_names_start_with_the_query_come_first() {
        let all = [
            colleague(1, "Amy Chan"),
            colleague(2, "Ken Wong"),
            colleague(3, "Mackenzie"),
        ];
        let names: Vec<&str> = matching_colleagues(&all, "ken")
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["Ken Wong", "Mackenzie"]);
    }

    #[test]
    fn mentions_resolve_to_ids_longest_name_first_and_once_each() {
        let ken = colleague(1, "Ken");
        let ken_wong = colleague(2, "Ken Wong");
        let chan = colleague(3, "陳大文");
        let all = [ken.clone(), ken_wong.clone(), chan.clone()];
        assert_eq!(
            mentioned_ids("@Ken Wong please check", &all),
            vec![ken_wong.id]
        );
        assert_eq!(
            mentioned_ids("@陳大文 and @Ken, then @Ken again", &all),
            vec![chan.id, ken.id]
        );
        assert!(mentioned_ids("email ken@Ken.com or @Kenneth", &all).is_empty());
    }

    #[test]
    fn highlighting_marks_known_names_only() {
        let names = vec!["Ken".to_owned(), "陳大文".to_owned()];
        assert_eq!(
            highlight("@Ken please ask @陳大文 or @Bob", &names),
            vec![
                ("@Ken".to_owned(), true),
                (" please ask ".to_owned(), false),
                ("@陳大文".to_owned(), true),
                (" or @Bob".to_owned(), false),
            ]
        );
    }
}
