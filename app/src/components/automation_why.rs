//! How an automated timeline entry explains itself, in the reader's
//! language: which rule (or closure) wrote it, and why it ran, from the
//! entry's `rule_name` and `why` fields (the server's English sentence,
//! `because`, is for integrators).

use serde_json::Value;

use crate::format::{hk_clock, hk_date};
use crate::i18n::{td_string, Locale};

/// "Rule “After hours”", "Closure auto-reply", or `None` for an entry
/// no rule wrote.
pub fn rule_label(locale: Locale, fields: Option<&Value>) -> Option<String> {
    let fields = fields?;
    let rule = fields.get("rule").and_then(Value::as_str)?;
    if rule.starts_with("closure:") {
        return Some(td_string!(locale, automation.closure_reply).to_owned());
    }
    if rule.starts_with("assignment:") {
        return Some(td_string!(locale, automation.auto_assignment).to_owned());
    }
    let name = fields.get("rule_name").and_then(Value::as_str)?;
    Some(td_string!(locale, automation.rule).replace("%n", name))
}

/// "12-07 18:00": a moment of a closed stretch, Hong Kong time.
fn moment(at: i64) -> String {
    format!("{} {}", &hk_date(at)[5..], hk_clock(at))
}

/// Why a rule ran, in the reader's language: its trigger, the keyword it
/// found and the team's hours, joined.
pub fn why_text(locale: Locale, why: &Value) -> String {
    let text = |key: &str| why.get(key).and_then(Value::as_str).unwrap_or_default();
    let minutes = why
        .get("minutes")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    if let Some(line) = assignment_why(locale, why) {
        return line;
    }
    let mut parts = vec![match text("trigger") {
        "conversation_created" => td_string!(locale, automation.t_conversation_created).to_owned(),
        "reopened" => td_string!(locale, automation.t_reopened).to_owned(),
        "assigned" => td_string!(locale, automation.t_assigned).to_owned(),
        "resolved" => td_string!(locale, automation.t_resolved).to_owned(),
        "snooze_ended" => td_string!(locale, automation.t_snooze_ended).to_owned(),
        "sla_at_risk" => td_string!(locale, automation.t_sla_at_risk).to_owned(),
        "no_agent_reply" => {
            td_string!(locale, automation.t_no_agent_reply).replace("%m", &minutes.to_string())
        }
        "waiting_over" => {
            td_string!(locale, automation.t_waiting_over).replace("%m", &minutes.to_string())
        }
        _ => td_string!(locale, automation.t_message_received).to_owned(),
    }];
    if let Some(keyword) = why.get("keyword").and_then(Value::as_str) {
        parts.push(td_string!(locale, automation.keyword).replace("%k", keyword));
    }
    let team = match why.get("team_name").and_then(Value::as_str) {
        Some(name) => name.to_owned(),
        None => td_string!(locale, automation.no_team).to_owned(),
    };
    let from = why.get("from").and_then(Value::as_i64);
    let until = why.get("until").and_then(Value::as_i64);
    let span = match (from, until) {
        (Some(from), Some(until)) => format!(", {}–{}", moment(from), moment(until)),
        (None, Some(until)) => format!(
            ", {}",
            td_string!(locale, automation.until).replace("%u", &moment(until))
        ),
        (Some(from), None) => format!(
            ", {}",
            td_string!(locale, automation.since).replace("%u", &moment(from))
        ),
        (None, None) => String::new(),
    };
    let hours = match why.get("hours").and_then(Value::as_str) {
        Some("in_hours") => Some(td_string!(locale, automation.in_hours).to_owned()),
        Some("out_of_hours") => Some(td_string!(locale, automation.out_of_hours).to_owned()),
        Some("holiday") => {
            Some(td_string!(locale, automation.holiday).replace("%h", text("holiday")))
        }
        Some("exception") => Some(td_string!(locale, automation.exception).to_owned()),
        Some("closure") => {
            let reason = match text("closure") {
                "typhoon" => td_string!(locale, automation.typhoon).to_owned(),
                "black_rainstorm" => td_string!(locale, automation.black_rainstorm).to_owned(),
                other => other.to_owned(),
            };
            Some(td_string!(locale, automation.closure).replace("%c", &reason))
        }
        _ => None,
    };
    if let Some(hours) = hours {
        // Names last: a team or holiday called "%s" stays as written.
        parts.push(hours.replace("%s", &span).replace("%t", &team));
    }
    parts.join(td_string!(locale, automation.list_separator))
}

/// Why auto-assignment gave a conversation to someone or took it back:
/// "round-robin in Loans (2 online)", "Amy has been offline for 3 min".
/// Names last, so one written "%t" stays as written.
fn assignment_why(locale: Locale, why: &Value) -> Option<String> {
    let text = |key: &str| why.get(key).and_then(Value::as_str).unwrap_or_default();
    let number = |key: &str| {
        why.get(key)
            .and_then(Value::as_i64)
            .unwrap_or_default()
            .to_string()
    };
    Some(match text("trigger") {
        "round_robin" => td_string!(locale, automation.t_round_robin)
            .replace("%a", &number("agents"))
            .replace("%t", text("team_name")),
        "least_loaded" => td_string!(locale, automation.t_least_loaded)
            .replace("%a", &number("agents"))
            .replace("%t", text("team_name")),
        "agent_away" => {
            td_string!(locale, automation.t_agent_away).replace("%n", text("agent_name"))
        }
        "agent_offline" if why.get("minutes").is_some_and(Value::is_i64) => {
            td_string!(locale, automation.t_agent_offline)
                .replace("%m", &number("minutes"))
                .replace("%n", text("agent_name"))
        }
        "agent_offline" => {
            td_string!(locale, automation.t_agent_gone).replace("%n", text("agent_name"))
        }
        "agent_inactive" => {
            td_string!(locale, automation.t_agent_inactive).replace("%n", text("agent_name"))
        }
        _ => return None,
    })
}
