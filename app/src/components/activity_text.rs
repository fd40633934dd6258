//! A timeline activity line ("Amy assigned this to Ken") worded by the app
//! in the reader's language from the entry's kind, its author and its
//! fields. The server's English sentence (`body`) is for integrators; it
//! shows only for a kind this build does not know.

use leptos::prelude::*;
use serde_json::Value;
use shared::api::MessageView;

use crate::i18n::{t, t_string, use_i18n};

/// The words of an activity entry, as a view (names are interpolated).
pub fn activity_text(message: &MessageView) -> AnyView {
    let i18n = use_i18n();
    let fields = message.fields.clone().unwrap_or(Value::Null);
    let text = |key: &str| {
        fields
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let list = |key: &str| {
        fields
            .get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let actor_name = message.author_name.clone();
    let rule_fields = message.fields.clone();
    let actor = move || {
        let rule = crate::components::automation_why::rule_label(
            crate::language::current_locale(),
            rule_fields.as_ref(),
        );
        rule.or_else(|| actor_name.clone())
            .unwrap_or_else(|| t_string!(i18n, activity.someone).to_owned())
    };
    let note = text("note");
    let line = match message.kind.as_str() {
        "claimed" => t!(i18n, activity.claimed, actor = actor).into_any(),
        "assigned" => {
            let assignee = text("assignee_name");
            t!(
                i18n,
                activity.assigned,
                actor = actor,
                assignee = move || assignee.clone()
            )
            .into_any()
        }
        "transferred" => {
            let team = text("team_name");
            match fields.get("assignee_name").and_then(Value::as_str) {
                Some(person) => {
                    let person = person.to_owned();
                    t!(
                        i18n,
                        activity.transferred_to_person,
                        actor = actor,
                        team = move || team.clone(),
                        assignee = move || person.clone()
                    )
                    .into_any()
                }
                None => t!(
                    i18n,
                    activity.transferred,
                    actor = actor,
                    team = move || team.clone()
                )
                .into_any(),
            }
        }
        "unassigned" => match fields.get("holder_name").and_then(Value::as_str) {
            Some(holder) => {
                let holder = holder.to_owned();
                t!(
                    i18n,
                    activity.unassigned,
                    actor = actor,
                    holder = move || holder.clone()
                )
                .into_any()
            }
            None => t!(i18n, activity.unassigned_someone, actor = actor).into_any(),
        },
        "resolved" => t!(i18n, activity.resolved, actor = actor).into_any(),
        "reopened" => t!(i18n, activity.reopened, actor = actor).into_any(),
        "pending" => t!(i18n, activity.pending, actor = actor).into_any(),
        "snoozed" => t!(i18n, activity.snoozed, actor = actor).into_any(),
        "woke" => t!(i18n, activity.woke).into_any(),
        "priority" => {
            let priority = text("priority");
            let word = move || match priority.as_str() {
                "low" => t_string!(i18n, priority_word.low),
                "high" => t_string!(i18n, priority_word.high),
                "urgent" => t_string!(i18n, priority_word.urgent),
                _ => t_string!(i18n, priority_word.normal),
            };
            t!(i18n, activity.priority, actor = actor, priority = word).into_any()
        }
        "labels" => {
            let (added, removed) = (list("add"), list("remove"));
            match (added.is_empty(), removed.is_empty()) {
                (false, true) => t!(
                    i18n,
                    activity.labels_added,
                    actor = actor,
                    added = move || added.clone()
                )
                .into_any(),
                (true, false) => t!(
                    i18n,
                    activity.labels_removed,
                    actor = actor,
                    removed = move || removed.clone()
                )
                .into_any(),
                _ => t!(
                    i18n,
                    activity.labels_changed,
                    actor = actor,
                    added = move || added.clone(),
                    removed = move || removed.clone()
                )
                .into_any(),
            }
        }
        "took_over" => {
            let from = text("from");
            t!(
                i18n,
                activity.took_over,
                actor = actor,
                from = move || from.clone()
            )
            .into_any()
        }
        "wecom_taken_back" => t!(i18n, activity.wecom_taken_back, actor = actor).into_any(),
        "wecom_session_ended" => match fields.get("servicer").and_then(Value::as_str) {
            Some(servicer) => {
                let servicer = servicer.to_owned();
                t!(
                    i18n,
                    activity.wecom_session_ended,
                    actor = actor,
                    servicer = move || servicer.clone()
                )
                .into_any()
            }
            None => t!(i18n, activity.wecom_session_ended_queue, actor = actor).into_any(),
        },
        "sla_breached" => {
            let metric = fields
                .get("metric")
                .and_then(|m| serde_json::from_value(m.clone()).ok())
                .map(crate::components::sla_badge::metric_label)
                .unwrap_or_default();
            let minutes = fields
                .get("target_minutes")
                .and_then(Value::as_i64)
                .unwrap_or_default();
            t!(
                i18n,
                activity.sla_breached,
                metric = move || metric,
                minutes = move || minutes
            )
            .into_any()
        }
        _ => message.body.clone().unwrap_or_default().into_any(),
    };
    let line = if note.is_empty() {
        line
    } else {
        view! {
            {line}
            {t!(i18n, activity.note_separator)}
            <q class="activity-note">{note}</q>
        }
        .into_any()
    };
    match message.fields.as_ref().and_then(|f| f.get("why")).cloned() {
        Some(why) => view! { {line} <AutomationWhy why=why /> }.into_any(),
        None => line,
    }
}

/// "Because: outside business hours (Loans, 12-07 18:00–12-08 09:00)", in
/// the reader's language, after an automated entry.
#[component]
pub fn AutomationWhy(why: Value) -> impl IntoView {
    let text = move || {
        let locale = crate::language::current_locale();
        format!(
            "{}{}",
            crate::i18n::td_string!(locale, automation.because),
            crate::components::automation_why::why_text(locale, &why)
        )
    };
    view! { <span class="automation-why">{text}</span> }
}
