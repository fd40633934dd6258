//! Editing a contact: name, phone, email, tags, ids in other systems and
//! attributes (one `key = value` per line). The server checks each field;
//! its sentence appears under the field it names.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ContactView, UpdateContact};

use crate::api;
use crate::components::form_banner::FormBanner;
use crate::components::form_field::FormField;
use crate::form_errors::FormErrors;
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::state::auth::AuthState;

/// "crm = C-1001" lines to a map; `Err` names the first line that is not `key = value`.
pub fn parse_pairs(text: &str) -> Result<BTreeMap<String, String>, String> {
    let locale = crate::language::current_locale();
    let mut map = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (key, value) = line
            .split_once('=')
            .or_else(|| line.split_once(':'))
            .ok_or_else(|| {
                format!(
                    "{}{line}{}",
                    td_string!(locale, contact.pair_before),
                    td_string!(locale, contact.pair_after)
                )
            })?;
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            return Err(format!(
                "{}{line}{}",
                td_string!(locale, contact.pair_name_before),
                td_string!(locale, contact.pair_name_after)
            ));
        }
        map.insert(key.to_owned(), value.to_owned());
    }
    Ok(map)
}

/// Attribute text to JSON: numbers and true/false keep their type.
pub fn attribute_value(text: &str) -> serde_json::Value {
    match text {
        "true" => serde_json::Value::Bool(true),
        "false" => serde_json::Value::Bool(false),
        _ => text
            .parse::<i64>()
            .map(serde_json::Value::from)
            .or_else(|_| text.parse::<f64>().map(serde_json::Value::from))
            .unwrap_or_else(|_| serde_json::Value::String(text.to_owned())),
    }
}

fn pairs_text<V>(map: &BTreeMap<String, V>, show: impl Fn(&V) -> String) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} = {}", show(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn optional(text: String) -> Option<Option<String>> {
    let text = text.trim().to_owned();
    Some((!text.is_empty()).then_some(text))
}

#[component]
pub fn ContactForm(
    contact: ContactView,
    on_saved: Callback<ContactView>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let errors = FormErrors::new([
        "name",
        "phone",
        "email",
        "tags",
        "external_ids",
        "attributes",
    ]);
    let id = contact.id;
    let name = RwSignal::new(contact.name.clone().unwrap_or_default());
    let phone = RwSignal::new(contact.phone.clone().unwrap_or_default());
    let email = RwSignal::new(contact.email.clone().unwrap_or_default());
    let tags = RwSignal::new(contact.tags.join(", "));
    let external = RwSignal::new(pairs_text(&contact.external_ids, String::clone));
    let attributes = RwSignal::new(pairs_text(&contact.attributes, |v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }));
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        let external_ids = match parse_pairs(&external.get_untracked()) {
            Ok(map) => map,
            Err(sentence) => {
                errors.field("external_ids").set(Some(sentence));
                return;
            }
        };
        let attribute_map = match parse_pairs(&attributes.get_untracked()) {
            Ok(map) => map
                .into_iter()
                .map(|(k, v)| (k, attribute_value(&v)))
                .collect(),
            Err(sentence) => {
                errors.field("attributes").set(Some(sentence));
                return;
            }
        };
        let change = UpdateContact {
            name: optional(name.get_untracked()),
            phone: optional(phone.get_untracked()),
            email: optional(email.get_untracked()),
            external_ids: Some(external_ids),
            attributes: Some(attribute_map),
            tags: Some(
                tags.get_untracked()
                    .split([',', '，'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        };
        busy.set(true);
        spawn_local(async move {
            let result = api::contacts::update(auth, id, change).await;
            busy.try_set(false);
            match result {
                Ok(fresh) => on_saved.run(fresh),
                Err(error) => errors.show(error),
            }
        });
    };

    let field =
        move |key: &'static str, label: TextProp, value: RwSignal<String>, kind: &'static str| {
            let input_id = format!("contact-{key}");
            let error_id = format!("contact-{key}-error");
            view! {
                <FormField control=input_id.clone() label=label error=errors.field(key)>
                    <input
                        type=kind
                        id=input_id
                        name=key
                        aria-invalid=move || errors.has(key).then_some("true")
                        aria-describedby=error_id
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                </FormField>
            }
        };
    let area =
        move |key: &'static str, label: TextProp, hint: &'static str, value: RwSignal<String>| {
            let input_id = format!("contact-{key}");
            let error_id = format!("contact-{key}-error");
            view! {
                <FormField control=input_id.clone() label=label error=errors.field(key)>
                    <textarea
                        id=input_id
                        name=key
                        rows="3"
                        placeholder=hint
                        aria-invalid=move || errors.has(key).then_some("true")
                        aria-describedby=error_id
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    ></textarea>
                </FormField>
            }
        };

    view! {
        <form class="contact-form" novalidate on:submit=submit aria-label=move || t_string!(i18n, contact.edit)>
            {field("name", (move || t_string!(i18n, contact.name)).into(), name, "text")}
            {field("phone", (move || t_string!(i18n, contact.phone)).into(), phone, "tel")}
            {field("email", (move || t_string!(i18n, contact.email)).into(), email, "email")}
            {field("tags", (move || t_string!(i18n, contact.tags_field)).into(), tags, "text")}
            {area("external_ids", (move || t_string!(i18n, contact.external_ids)).into(), "crm = C-10293", external)}
            {area("attributes", (move || t_string!(i18n, contact.attributes)).into(), "segment = retail", attributes)}
            <FormBanner error=errors.form />
            <div class="form-actions">
                <button type="button" class="button button-small" on:click=move |_| on_cancel.run(())>{t!(i18n, contact.cancel)}</button>
                <button type="submit" class="button button-primary button-small" disabled=busy>
                    {move || if busy.get() { t_string!(i18n, contact.saving) } else { t_string!(i18n, contact.save) }}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_read_one_per_line() {
        let map = parse_pairs("crm = C-1001\n\n loan: L-77 ").expect("pairs");
        assert_eq!(map.get("crm").map(String::as_str), Some("C-1001"));
        assert_eq!(map.get("loan").map(String::as_str), Some("L-77"));
        assert!(parse_pairs("just words").is_err());
        assert!(parse_pairs("= value").is_err());
    }

    #[test]
    fn attribute_values_keep_numbers_and_booleans() {
        assert_eq!(attribute_value("3"), serde_json::json!(3));
        assert_eq!(attribute_value("true"), serde_json::json!(true));
        assert_eq!(attribute_value("VIP 客戶"), serde_json::json!("VIP 客戶"));
    }
}
