//! The rules of a canned response, decided without a database: a short
//! `/shortcut`, a title, a body WeChat will accept, and only the
//! `{{variables}}` Harbour can fill in. The store saves what passes.

use crate::error::{AppError, AppResult};
use shared::api::{SaveCannedResponse, CANNED_VARIABLES};

/// Checks a canned response and returns it trimmed.
pub fn validate(input: &SaveCannedResponse) -> AppResult<SaveCannedResponse> {
    let shortcut = input.shortcut.trim().trim_start_matches('/').to_lowercase();
    if shortcut.is_empty()
        || shortcut.len() > 32
        || !shortcut
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(AppError::validation(
            "shortcut",
            "A shortcut is 1 to 32 letters, digits, - or _, like `hours`.",
        ));
    }
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 80 {
        return Err(AppError::validation(
            "title",
            "Give it a title of up to 80 characters.",
        ));
    }
    let body = input.body.trim();
    if body.is_empty() || body.len() > 2048 {
        return Err(AppError::validation(
            "body",
            "Write the reply (WeChat accepts at most 2,048 bytes in one message).",
        ));
    }
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(AppError::validation("body", "A {{ has no closing }}."));
        };
        let name = after[..end].trim();
        if !CANNED_VARIABLES.contains(&name) {
            return Err(AppError::validation(
                "body",
                format!(
                    "{{{{{name}}}}} is not a variable. Use {}.",
                    CANNED_VARIABLES.map(|v| format!("{{{{{v}}}}}")).join(", ")
                ),
            ));
        }
        rest = &after[end + 2..];
    }
    Ok(SaveCannedResponse {
        shortcut,
        title: title.to_owned(),
        body: body.to_owned(),
        team: input.team,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(shortcut: &str, title: &str, body: &str) -> SaveCannedResponse {
        SaveCannedResponse {
            shortcut: shortcut.into(),
            title: title.into(),
            body: body.into(),
            team: None,
        }
    }

    #[test]
    fn a_response_is_trimmed_and_its_shortcut_lowercased() {
        let clean =
            validate(&input(" /Hours ", " Opening hours ", " We open at 9. ")).expect("valid");
        assert_eq!(clean.shortcut, "hours");
        assert_eq!(clean.title, "Opening hours");
        assert_eq!(clean.body, "We open at 9.");
    }

    #[test]
    fn bad_shortcuts_titles_and_variables_name_their_field() {
        let field = |r: AppResult<SaveCannedResponse>| match r {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(field(validate(&input("no spaces", "t", "b"))), "shortcut");
        assert_eq!(field(validate(&input("ok", " ", "b"))), "title");
        assert_eq!(field(validate(&input("ok", "t", ""))), "body");
        assert_eq!(field(validate(&input("ok", "t", "Hi {{nope}}"))), "body");
        assert_eq!(
            field(validate(&input("ok", "t", "Hi {{contact.name"))),
            "body"
        );
    }
}
