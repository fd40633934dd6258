//! Editing a contact, decided without a database: each field of an edit is
//! trimmed, checked and cleaned (a blank clears the field); an error names
//! the field in a sentence. `store::contacts` writes the result.

use crate::error::{AppError, AppResult};
use serde_json::Value;
use shared::api::UpdateContact;
use std::collections::BTreeMap;

/// The edit with text trimmed and blanks turned into "clear".
pub struct Clean {
    pub name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub external_ids: Option<BTreeMap<String, String>>,
    pub attributes: Option<BTreeMap<String, Value>>,
    pub tags: Option<Vec<String>>,
}

fn text(value: &Option<Option<String>>) -> Option<Option<String>> {
    value.as_ref().map(|v| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    })
}

/// Checks an edit and cleans it; an error names the field.
pub fn validate(edit: &UpdateContact) -> AppResult<Clean> {
    let bad = |field: &str, message: &str| AppError::validation(field, message);
    let name = text(&edit.name);
    if name
        .as_ref()
        .and_then(Option::as_ref)
        .is_some_and(|n| n.chars().count() > 100)
    {
        return Err(bad("name", "Keep the name under 100 characters."));
    }
    let phone = text(&edit.phone);
    if let Some(Some(phone)) = &phone {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0));
        if !allowed || !(6..=15).contains(&digits) {
            return Err(bad(
                "phone",
                "Enter a phone number of 6 to 15 digits, like +852 9123 4567.",
            ));
        }
    }
    let email = text(&edit.email);
    if let Some(Some(email)) = &email {
        if !crate::accounts::is_email(email) {
            return Err(bad(
                "email",
                "Enter an email address like name@example.com.",
            ));
        }
    }
    let key_ok = |k: &str| !k.trim().is_empty() && k.chars().count() <= 40;
    if let Some(ids) = &edit.external_ids {
        if ids.len() > 20
            || ids
                .iter()
                .any(|(k, v)| !key_ok(k) || v.trim().is_empty() || v.chars().count() > 100)
        {
            return Err(bad(
                "external_ids",
                "External ids are up to 20 pairs of a system name (up to 40 characters) and an id (up to 100).",
            ));
        }
    }
    if let Some(attributes) = &edit.attributes {
        let value_ok = |v: &Value| match v {
            Value::String(s) => s.chars().count() <= 500,
            Value::Number(_) | Value::Bool(_) => true,
            _ => false,
        };
        if attributes.len() > 50 || attributes.iter().any(|(k, v)| !key_ok(k) || !value_ok(v)) {
            return Err(bad(
                "attributes",
                "Attributes are up to 50 names (up to 40 characters) with a text (up to 500), number or yes/no value.",
            ));
        }
    }
    let tags = match &edit.tags {
        Some(tags) => {
            // Counted before anything else, so a huge list costs nothing.
            if tags.len() > 30 {
                return Err(bad("tags", "At most 30 tags."));
            }
            let mut clean: Vec<String> = Vec::with_capacity(tags.len());
            let mut seen = std::collections::HashSet::with_capacity(tags.len());
            for tag in tags {
                let tag = tag.trim();
                if tag.is_empty() || tag.chars().count() > 32 {
                    return Err(bad("tags", "A tag is 1 to 32 characters."));
                }
                if seen.insert(tag) {
                    clean.push(tag.to_owned());
                }
            }
            Some(clean)
        }
        None => None,
    };
    Ok(Clean {
        name,
        phone,
        email,
        external_ids: edit.external_ids.clone(),
        attributes: edit.attributes.clone(),
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(json: serde_json::Value) -> UpdateContact {
        serde_json::from_value(json).expect("an edit")
    }

    fn field_of(result: AppResult<Clean>) -> String {
        match result {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("not a validation error: {:?}", other.map(|c| c.name)),
        }
    }

    #[test]
    fn text_is_trimmed_and_a_blank_clears_the_field() {
        let clean = validate(&edit(
            serde_json::json!({ "name": "  陳大文 ", "email": "" }),
        ))
        .expect("valid");
        assert_eq!(clean.name, Some(Some("陳大文".to_owned())));
        assert_eq!(clean.email, Some(None));
        assert_eq!(clean.phone, None, "absent: unchanged");
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            field_of(validate(&edit(serde_json::json!({ "phone": "12" })))),
            "phone"
        );
        assert_eq!(
            field_of(validate(&edit(
                serde_json::json!({ "email": "not-an-email" })
            ))),
            "email"
        );
        assert_eq!(
            field_of(validate(&edit(serde_json::json!({ "tags": [""] })))),
            "tags"
        );
        let many: Vec<String> = (0..31).map(|i| format!("t{i}")).collect();
        assert_eq!(
            field_of(validate(&edit(serde_json::json!({ "tags": many })))),
            "tags"
        );
        let clean = validate(&edit(
            serde_json::json!({ "tags": ["vip", " vip ", "kyc"] }),
        ))
        .expect("valid");
        assert_eq!(clean.tags, Some(vec!["vip".to_owned(), "kyc".to_owned()]));
    }
}
