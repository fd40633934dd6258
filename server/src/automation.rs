//! Automation rules decided without a database (issue 14 §2): given what
//! happened ([`Fired`]) and what the store read about the conversation
//! ([`Facts`]), which rules act, in which order, with which steps, and why.
//! `store::automation` reads the facts and writes the plans, each once.
//!
//! Guards, all here: a closure's own reply goes first and once per closure;
//! automation sends at most one reply before a person has answered (so it
//! never spends more than one of WeChat's five window replies), and an
//! out-of-hours or closure reply at most once per conversation per closed
//! stretch (the store keeps the stretch's key); a rule never reacts to its
//! own change; a conversation takes at most [`MAX_RUNS_PER_HOUR`] rule runs
//! an hour; rules run by position and `stop` ends the list.

use crate::calendar::{local_date, ClosedBecause, ClosureReason, Status as Hours};
use crate::reply_window::WINDOW_MS;
use serde::Serialize;
use shared::api::{ConversationAction, Priority, Status, WindowRefusal};
use shared::automation::{
    AssigneeCondition, Conditions, Hours as HoursCondition, RuleAction, RuleView, Trigger,
    WrittenIn,
};
use shared::{TeamId, UserId};

/// At most this many rule runs on one conversation in an hour: past it, a
/// chain of rules that keep changing a conversation stops.
pub const MAX_RUNS_PER_HOUR: i64 = 20;
/// The rule id the one-reply-per-closed-stretch guard is kept under.
pub const CLOSED_REPLY_GUARD: &str = "guard:closed-reply";
const MINUTE_MS: i64 = 60_000;

/// What happened, as automation sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fired {
    /// A client's message: the conversation's first, and whether it
    /// reopened a resolved conversation.
    Message { first: bool, reopened: bool },
    /// A change to the conversation, by its triage action word
    /// (`claimed`, `assigned`, `resolved`, `reopened`, `woke`, …).
    Change { action: String },
    /// A time-based rule's timer ran out.
    Timer { rule: String },
}

/// A closure in force for the conversation's team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosureNow {
    pub id: String,
    pub reason: ClosureReason,
    pub reply_en: Option<String>,
    pub reply_zh: Option<String>,
}

/// What the store read about the conversation at the moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    pub channel_kind: String,
    pub team: Option<TeamId>,
    pub team_name: Option<String>,
    pub contact_name: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub assignee: Option<UserId>,
    pub tags: Vec<String>,
    /// The client's message, for a message trigger (or the one a timer waits on).
    pub text: Option<String>,
    /// The team's hours (a conversation with no team is open unless a
    /// closure for every team is in force).
    pub hours: Hours,
    /// When the closed stretch began, when closed.
    pub closed_since: Option<i64>,
    pub closure: Option<ClosureNow>,
    /// When automation last replied; cleared by a person's reply.
    pub auto_replied_at: Option<i64>,
    /// Why a reply could not go out now, if it could not.
    pub window_refusal: Option<WindowRefusal>,
    /// Rule runs on this conversation in the last hour.
    pub recent_runs: i64,
    /// The rule whose own change this moment is.
    pub caused_by: Option<String>,
}

/// One thing a rule does.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A reply to the client; `once_per`: the closed stretch's key, when
    /// only one automated reply may go out in it.
    Reply {
        text: String,
        once_per: Option<String>,
    },
    Act(ConversationAction),
    Note(String),
    /// A note mentioning the team's supervisors.
    Notify(String),
    /// Give it to an online agent of its team with room.
    AutoAssign(shared::assignment::Assignment),
    /// An action that does not happen, and why (dry runs show it).
    Skipped(String),
}

/// Why a rule acted: its trigger, the keyword it found and the team's
/// hours. Stored with every automated entry, so the app words it in the
/// reader's language; [`Why::sentence`] is the English.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Why {
    pub trigger: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// `in_hours`, `out_of_hours`, `holiday`, `exception` or `closure`,
    /// when the rule asked about hours (a closure's reply always).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    /// The closed stretch: since and until (Unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holiday: Option<String>,
    /// `typhoon`, `black_rainstorm` or the reason's own text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closure: Option<String>,
}

/// What one rule (or a closure's reply) does at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The rule's id, or `closure:<id>` for a closure's own reply.
    pub rule: String,
    /// The team whose conversations the rule acts on (`None`: every team's).
    pub team: Option<TeamId>,
    pub rule_name: String,
    pub why: Why,
    pub steps: Vec<Step>,
}

/// The rules that act on `fired`, in order, with their steps.
pub fn evaluate(rules: &[RuleView], fired: &Fired, facts: &Facts, now: i64) -> Vec<Plan> {
    let mut plans = Vec::new();
    if facts.recent_runs >= MAX_RUNS_PER_HOUR {
        return plans;
    }
    let mut may_reply = reply_allowed(facts, now);
    if let (Fired::Message { .. }, Some(closure)) = (fired, &facts.closure) {
        if let Some(text) = reply_text(
            closure.reply_zh.as_deref(),
            closure.reply_en.as_deref(),
            facts,
        ) {
            let steps = match &may_reply {
                Ok(()) => vec![Step::Reply {
                    text,
                    once_per: period_key(facts),
                }],
                Err(why) => vec![Step::Skipped(why.clone())],
            };
            may_reply = Err("automation already replied".into());
            plans.push(Plan {
                rule: format!("closure:{}", closure.id),
                team: None,
                rule_name: "Closure".into(),
                why: Why {
                    trigger: "message_received",
                    ..hours_why(facts)
                },
                steps,
            });
        }
    }
    let mut ordered: Vec<&RuleView> = rules.iter().collect();
    ordered.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
    // Folded once for every rule's keywords.
    let folded = facts.text.as_deref().map(crate::search::normalize);
    for rule in ordered {
        if !rule.enabled
            || rule.team.is_some_and(|t| Some(t) != facts.team)
            || facts.caused_by.as_deref() == Some(rule.id.as_str())
            || !trigger_matches(&rule.trigger, fired, &rule.id)
        {
            continue;
        }
        let Some(keyword) = conditions_hold(&rule.conditions, facts, folded.as_deref()) else {
            continue;
        };
        let mut why = match rule.conditions.hours {
            Some(_) => hours_why(facts),
            None => Why::default(),
        };
        why.trigger = trigger_word(&rule.trigger);
        why.minutes = rule.trigger.delay_minutes();
        why.keyword = keyword;
        let steps = rule
            .actions
            .iter()
            .map(|action| step(action, facts, &mut may_reply, rule.conditions.hours, now))
            .collect();
        plans.push(Plan {
            rule: rule.id.clone(),
            team: rule.team,
            rule_name: rule.name.clone(),
            why,
            steps,
        });
        if rule.stop {
            break;
        }
    }
    plans
}

/// Whether automation may reply now, or why not.
fn reply_allowed(facts: &Facts, now: i64) -> Result<(), String> {
    if facts.auto_replied_at.is_some_and(|at| at + WINDOW_MS > now) {
        return Err("automation already replied and no person has answered since".into());
    }
    match &facts.window_refusal {
        Some(refusal) => Err(format!("WeChat's reply window: {}", refusal.reason())),
        None => Ok(()),
    }
}

fn step(
    action: &RuleAction,
    facts: &Facts,
    may_reply: &mut Result<(), String>,
    hours: Option<HoursCondition>,
    now: i64,
) -> Step {
    match action {
        RuleAction::AutoReply { text_zh, text_en } => {
            let Some(text) = reply_text(text_zh.as_deref(), text_en.as_deref(), facts) else {
                return Step::Skipped("the reply has no text".into());
            };
            if let Err(why) = may_reply {
                return Step::Skipped(why.clone());
            }
            *may_reply = Err("automation already replied".into());
            let closed = matches!(
                hours,
                Some(HoursCondition::OutOfHours | HoursCondition::Closed)
            );
            Step::Reply {
                text,
                once_per: if closed { period_key(facts) } else { None },
            }
        }
        RuleAction::Assign { user } => Step::Act(ConversationAction::Assign {
            user: *user,
            note: None,
        }),
        RuleAction::Transfer { team } => Step::Act(ConversationAction::Transfer {
            team: *team,
            user: None,
            note: None,
        }),
        RuleAction::Label { label } => Step::Act(ConversationAction::Labels {
            add: vec![label.clone()],
            remove: Vec::new(),
        }),
        RuleAction::Priority { priority } => Step::Act(ConversationAction::Priority {
            priority: priority.as_str().to_owned(),
        }),
        RuleAction::Note { text } => Step::Note(fill(text, facts)),
        RuleAction::Notify { text } => Step::Notify(fill(text, facts)),
        RuleAction::AutoAssign { method } => Step::AutoAssign(*method),
        RuleAction::Snooze { minutes } => Step::Act(ConversationAction::Snooze {
            until: now + minutes * MINUTE_MS,
        }),
        RuleAction::Resolve => Step::Act(ConversationAction::Resolve),
    }
}

/// A step in English, as a dry run lists it.
pub fn describe(step: &Step) -> String {
    match step {
        Step::Reply { text, .. } => format!("reply “{text}”"),
        Step::Note(text) => format!("add the note “{text}”"),
        Step::Notify(text) => format!("tell the team's supervisors “{text}”"),
        Step::AutoAssign(shared::assignment::Assignment::LeastLoaded) => {
            "assign to the least-loaded agent online".into()
        }
        Step::AutoAssign(_) => "assign round-robin among the agents online".into(),
        Step::Skipped(why) => format!("no reply: {why}"),
        Step::Act(action) => match action {
            ConversationAction::Assign { user, .. } => format!("assign to user {user}"),
            ConversationAction::Transfer { team, .. } => format!("transfer to team {team}"),
            ConversationAction::Labels { add, .. } => format!("label “{}”", add.join(", ")),
            ConversationAction::Priority { priority } => format!("set the priority to {priority}"),
            ConversationAction::Snooze { until } => format!("snooze until {}", short_time(*until)),
            ConversationAction::Resolve => "resolve".into(),
            other => format!("{other:?}"),
        },
    }
}

/// The closed stretch's key, when the team is closed: one automated reply
/// per conversation in it.
fn period_key(facts: &Facts) -> Option<String> {
    if facts.hours.is_open() {
        return None;
    }
    let team = facts.team.map(|t| t.to_string()).unwrap_or_default();
    match (&facts.closure, facts.closed_since) {
        (Some(closure), _) => Some(format!("closure:{}", closure.id)),
        (None, Some(since)) => Some(format!("closed:{team}:{since}")),
        (None, None) => Some(format!("closed:{team}:always")),
    }
}

fn trigger_matches(trigger: &Trigger, fired: &Fired, rule: &str) -> bool {
    match (trigger, fired) {
        (Trigger::MessageReceived { first_only }, Fired::Message { first, .. }) => {
            *first || !first_only
        }
        (Trigger::ConversationCreated, Fired::Message { first, .. }) => *first,
        (Trigger::Reopened, Fired::Message { reopened, .. }) => *reopened,
        (Trigger::Reopened, Fired::Change { action }) => action == "reopened",
        (Trigger::Assigned, Fired::Change { action }) => {
            matches!(action.as_str(), "claimed" | "assigned")
        }
        (Trigger::Resolved, Fired::Change { action }) => action == "resolved",
        (Trigger::SnoozeEnded, Fired::Change { action }) => action == "woke",
        (Trigger::SlaAtRisk, Fired::Change { action }) => action == "sla_warning",
        (Trigger::NoAgentReply { .. } | Trigger::WaitingOver { .. }, Fired::Timer { rule: r }) => {
            r == rule
        }
        _ => false,
    }
}

fn trigger_word(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::MessageReceived { .. } => "message_received",
        Trigger::ConversationCreated => "conversation_created",
        Trigger::Reopened => "reopened",
        Trigger::Assigned => "assigned",
        Trigger::Resolved => "resolved",
        Trigger::NoAgentReply { .. } => "no_agent_reply",
        Trigger::WaitingOver { .. } => "waiting_over",
        Trigger::SnoozeEnded => "snooze_ended",
        Trigger::SlaAtRisk => "sla_at_risk",
    }
}

/// `None` when a condition fails; else the keyword that matched, if any.
/// `folded`: the message's text, normalized as for search.
fn conditions_hold(
    conditions: &Conditions,
    facts: &Facts,
    folded: Option<&str>,
) -> Option<Option<String>> {
    let any = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
    if !any(&conditions.channels, &facts.channel_kind) {
        return None;
    }
    if let Some(hours) = conditions.hours {
        let now = match (&facts.hours, &facts.closure) {
            (Hours::Open { .. }, _) => HoursCondition::InHours,
            (Hours::Closed { .. }, Some(_)) => HoursCondition::Closed,
            (Hours::Closed { .. }, None) => HoursCondition::OutOfHours,
        };
        if now != hours {
            return None;
        }
    }
    if !conditions.tags.is_empty()
        && !facts.tags.iter().any(|tag| {
            conditions
                .tags
                .iter()
                .any(|wanted| wanted.to_lowercase() == tag.to_lowercase())
        })
    {
        return None;
    }
    if !conditions.priorities.is_empty() && !conditions.priorities.contains(&facts.priority) {
        return None;
    }
    match (conditions.assignee, facts.assignee) {
        (Some(AssigneeCondition::Unassigned), Some(_))
        | (Some(AssigneeCondition::Assigned), None) => return None,
        _ => {}
    }
    if let Some(language) = conditions.language {
        if facts.text.as_deref().and_then(written_in) != Some(language) {
            return None;
        }
    }
    if conditions.keywords.is_empty() {
        return Some(None);
    }
    let text = folded?;
    conditions
        .keywords
        .iter()
        .find(|k| holds_keyword(text, k))
        .map(|k| Some(k.clone()))
}

/// Whether `text` holds `keyword`: Traditional and Simplified Chinese match
/// each other, width and case are ignored, and a keyword of letters or
/// digits matches whole words only ("loan" is not in "loaned").
pub fn contains_keyword(text: &str, keyword: &str) -> bool {
    holds_keyword(&crate::search::normalize(text), keyword)
}

/// [`contains_keyword`] for a text already normalized.
fn holds_keyword(text: &str, keyword: &str) -> bool {
    let keyword = crate::search::normalize(keyword.trim());
    if keyword.is_empty() {
        return false;
    }
    let is_word_char = |c: char| c.is_alphanumeric() && !is_han(c);
    text.match_indices(&keyword).any(|(at, found)| {
        let before = text[..at].chars().next_back();
        let after = text[at + found.len()..].chars().next();
        let starts_word = keyword.chars().next().is_some_and(is_word_char);
        let ends_word = keyword.chars().next_back().is_some_and(is_word_char);
        let cut_before = starts_word && before.is_some_and(is_word_char);
        let cut_after = ends_word && after.is_some_and(is_word_char);
        !cut_before && !cut_after
    })
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The language of a client's message: Chinese when it has Han
/// characters, English when it has Latin letters, else unknown.
pub fn written_in(text: &str) -> Option<WrittenIn> {
    if text.chars().any(is_han) {
        Some(WrittenIn::Chinese)
    } else if text.chars().any(|c| c.is_ascii_alphabetic()) {
        Some(WrittenIn::English)
    } else {
        None
    }
}

/// The reply in the client's language, or both (Chinese first) when it
/// cannot tell or has only one; variables filled in. `None` when empty.
fn reply_text(zh: Option<&str>, en: Option<&str>, facts: &Facts) -> Option<String> {
    let zh = zh.map(str::trim).filter(|t| !t.is_empty());
    let en = en.map(str::trim).filter(|t| !t.is_empty());
    let text = match (facts.text.as_deref().and_then(written_in), zh, en) {
        (Some(WrittenIn::Chinese), Some(zh), _) => zh.to_owned(),
        (Some(WrittenIn::English), _, Some(en)) => en.to_owned(),
        (_, Some(zh), Some(en)) => format!("{zh}\n\n{en}"),
        (_, Some(one), None) | (_, None, Some(one)) => one.to_owned(),
        (_, None, None) => return None,
    };
    Some(fill(&text, facts))
}

/// `{name}`, `{team}` and `{opens_at}` (Hong Kong time) filled in.
fn fill(text: &str, facts: &Facts) -> String {
    let opens_at = match &facts.hours {
        Hours::Closed {
            opens_at: Some(at), ..
        } => short_time(*at),
        _ => String::new(),
    };
    text.replace("{name}", facts.contact_name.as_deref().unwrap_or(""))
        .replace("{team}", facts.team_name.as_deref().unwrap_or(""))
        .replace("{opens_at}", &opens_at)
}

/// "Mon 09:00", Hong Kong time.
pub fn short_time(at: i64) -> String {
    let (date, start) = local_date(at);
    let minutes = (at - start) / MINUTE_MS;
    let day = match date.weekday() {
        time::Weekday::Monday => "Mon",
        time::Weekday::Tuesday => "Tue",
        time::Weekday::Wednesday => "Wed",
        time::Weekday::Thursday => "Thu",
        time::Weekday::Friday => "Fri",
        time::Weekday::Saturday => "Sat",
        time::Weekday::Sunday => "Sun",
    };
    format!("{day} {:02}:{:02}", minutes / 60, minutes % 60)
}

/// The team's hours as a reason.
fn hours_why(facts: &Facts) -> Why {
    let mut why = Why {
        team_name: facts.team_name.clone(),
        ..Why::default()
    };
    match &facts.hours {
        Hours::Open { .. } => why.hours = Some("in_hours"),
        Hours::Closed { because, opens_at } => {
            why.from = facts.closed_since;
            why.until = *opens_at;
            why.hours = Some(match because {
                ClosedBecause::OutOfHours => "out_of_hours",
                ClosedBecause::Holiday(name) => {
                    why.holiday = Some(name.clone());
                    "holiday"
                }
                ClosedBecause::Exception => "exception",
                ClosedBecause::Closure(reason) => {
                    why.closure = Some(match reason {
                        ClosureReason::Typhoon => "typhoon".into(),
                        ClosureReason::BlackRainstorm => "black_rainstorm".into(),
                        ClosureReason::Other { text } => text.clone(),
                    });
                    "closure"
                }
            });
        }
    }
    why
}

impl Why {
    /// The reason in English, for the record and integrators:
    /// "outside business hours (HK Desk, Sat 13:00–Mon 09:00)".
    pub fn sentence(&self) -> String {
        let mut parts = Vec::new();
        parts.push(match (self.trigger, self.minutes) {
            ("no_agent_reply", Some(m)) => format!("no reply from a person for {m} minutes"),
            ("waiting_over", Some(m)) => format!("the client has waited {m} minutes"),
            ("conversation_created", _) => "a new conversation".into(),
            ("reopened", _) => "the conversation reopened".into(),
            ("assigned", _) => "the conversation was assigned".into(),
            ("resolved", _) => "the conversation was resolved".into(),
            ("snooze_ended", _) => "the snooze ended".into(),
            ("sla_at_risk", _) => "an SLA target is about to be missed".into(),
            _ => "a message from the client".into(),
        });
        if let Some(keyword) = &self.keyword {
            parts.push(format!("keyword “{keyword}”"));
        }
        if let Some(hours) = self.hours {
            let span = match (self.from, self.until) {
                (Some(from), Some(until)) => {
                    format!(", {}–{}", short_time(from), short_time(until))
                }
                (None, Some(until)) => format!(", until {}", short_time(until)),
                (Some(from), None) => format!(", since {}", short_time(from)),
                (None, None) => String::new(),
            };
            let team = self.team_name.clone().unwrap_or_else(|| "no team".into());
            parts.push(match hours {
                "in_hours" => format!("in business hours ({team})"),
                "holiday" => format!(
                    "a holiday, {} ({team}{span})",
                    self.holiday.as_deref().unwrap_or("")
                ),
                "exception" => format!("closed today ({team}{span})"),
                "closure" => {
                    let reason = match self.closure.as_deref() {
                        Some("typhoon") => "typhoon signal 8 or above",
                        Some("black_rainstorm") => "black rainstorm",
                        Some(other) => other,
                        None => "closure",
                    };
                    format!("closed: {reason} ({team}{span})")
                }
                _ => format!("outside business hours ({team}{span})"),
            });
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::automation::Trigger;

    const NOW: i64 = 1_800_000_000_000;

    fn facts() -> Facts {
        Facts {
            channel_kind: "wechat_oa".into(),
            team: None,
            team_name: Some("HK Desk".into()),
            contact_name: Some("Chan Tai Man".into()),
            status: Status::Open,
            priority: Priority::Normal,
            assignee: None,
            tags: vec!["VIP".into()],
            text: Some("我想查詢還款".into()),
            hours: Hours::Open { until: None },
            closed_since: None,
            closure: None,
            auto_replied_at: None,
            window_refusal: None,
            recent_runs: 0,
            caused_by: None,
        }
    }

    fn closed(mut facts: Facts) -> Facts {
        facts.hours = Hours::Closed {
            because: ClosedBecause::OutOfHours,
            opens_at: Some(NOW + 3_600_000),
        };
        facts.closed_since = Some(NOW - 3_600_000);
        facts
    }

    fn rule(
        id: &str,
        trigger: Trigger,
        conditions: Conditions,
        actions: Vec<RuleAction>,
    ) -> RuleView {
        RuleView {
            id: id.into(),
            name: format!("Rule {id}"),
            enabled: true,
            team: None,
            trigger,
            conditions,
            actions,
            stop: false,
            position: 0,
            updated_at: 0,
            updated_by: None,
        }
    }

    fn reply(zh: &str, en: &str) -> RuleAction {
        RuleAction::AutoReply {
            text_zh: Some(zh.into()),
            text_en: Some(en.into()),
        }
    }

    fn after_hours() -> RuleView {
        rule(
            "after",
            Trigger::MessageReceived { first_only: false },
            Conditions {
                hours: Some(HoursCondition::OutOfHours),
                ..Conditions::default()
            },
            vec![reply(
                "{name}，我們{opens_at}回覆。",
                "We reply at {opens_at}.",
            )],
        )
    }

    const MESSAGE: Fired = Fired::Message {
        first: false,
        reopened: false,
    };

    #[test]
    fn an_out_of_hours_rule_replies_in_the_clients_language_once_per_stretch() {
        let rules = [after_hours()];
        assert!(
            evaluate(&rules, &MESSAGE, &facts(), NOW).is_empty(),
            "open: nothing"
        );
        let plans = evaluate(&rules, &MESSAGE, &closed(facts()), NOW);
        assert_eq!(plans.len(), 1);
        let Step::Reply { text, once_per } = &plans[0].steps[0] else {
            panic!("a reply: {plans:?}");
        };
        assert!(text.starts_with("Chan Tai Man，我們"), "{text}");
        assert!(!text.contains("We reply"), "Chinese only: {text}");
        assert_eq!(
            once_per.as_deref(),
            Some(&*format!("closed::{}", NOW - 3_600_000))
        );
        assert_eq!(plans[0].why.hours, Some("out_of_hours"));
        let sentence = plans[0].why.sentence();
        assert!(
            sentence.contains("outside business hours (HK Desk, "),
            "{sentence}"
        );

        let mut english = closed(facts());
        english.text = Some("When can I REPAY?".into());
        let plans = evaluate(&rules, &MESSAGE, &english, NOW);
        let Step::Reply { text, .. } = &plans[0].steps[0] else {
            panic!("a reply");
        };
        assert!(text.starts_with("We reply at "), "{text}");
        let mut emoji = closed(facts());
        emoji.text = Some("👍".into());
        let plans = evaluate(&rules, &MESSAGE, &emoji, NOW);
        let Step::Reply { text, .. } = &plans[0].steps[0] else {
            panic!("a reply");
        };
        assert!(text.contains("\n\nWe reply"), "both: {text}");
    }

    #[test]
    fn automation_replies_once_before_a_person_answers() {
        let rules = [after_hours()];
        let mut replied = closed(facts());
        replied.auto_replied_at = Some(NOW - 60_000);
        let plans = evaluate(&rules, &MESSAGE, &replied, NOW);
        assert!(matches!(plans[0].steps[0], Step::Skipped(_)), "{plans:?}");
        // Two reply rules at one moment: only the first replies.
        let mut second = after_hours();
        second.id = "second".into();
        second.position = 1;
        let plans = evaluate(&[after_hours(), second], &MESSAGE, &closed(facts()), NOW);
        assert!(matches!(plans[0].steps[0], Step::Reply { .. }));
        assert!(matches!(plans[1].steps[0], Step::Skipped(_)));
        // A window that does not allow a reply.
        let mut shut = closed(facts());
        shut.window_refusal = Some(WindowRefusal::Unfollowed);
        let plans = evaluate(&rules, &MESSAGE, &shut, NOW);
        assert!(matches!(plans[0].steps[0], Step::Skipped(_)));
    }

    #[test]
    fn a_closure_replies_first_and_an_out_of_hours_rule_does_not_match_it() {
        let mut facts = closed(facts());
        facts.hours = Hours::Closed {
            because: ClosedBecause::Closure(ClosureReason::Typhoon),
            opens_at: None,
        };
        facts.closure = Some(ClosureNow {
            id: "c1".into(),
            reason: ClosureReason::Typhoon,
            reply_en: Some("Closed for the typhoon.".into()),
            reply_zh: Some("颱風停止辦公。".into()),
        });
        let plans = evaluate(&[after_hours()], &MESSAGE, &facts, NOW);
        assert_eq!(plans.len(), 1, "{plans:?}");
        assert_eq!(plans[0].rule, "closure:c1");
        assert_eq!(
            plans[0].steps,
            vec![Step::Reply {
                text: "颱風停止辦公。".into(),
                once_per: Some("closure:c1".into())
            }]
        );
        assert!(plans[0].why.sentence().contains("typhoon signal 8"));
    }

    #[test]
    fn keywords_match_across_scripts_width_and_case_and_english_whole_words() {
        assert!(contains_keyword("我想查詢还款日期", "還款"));
        assert!(contains_keyword("我想查询還款", "还款"));
        assert!(contains_keyword("ＬＯＡＮ please", "loan"));
        assert!(contains_keyword("my loan, please", "Loan"));
        assert!(contains_keyword("我的loan", "loan"));
        assert!(!contains_keyword("loaned", "loan"));
        assert!(!contains_keyword("a payload", "loan"));
        assert!(!contains_keyword("anything", " "));
        let keyword = rule(
            "kw",
            Trigger::MessageReceived { first_only: false },
            Conditions {
                keywords: vec!["STOP".into(), "還款".into()],
                ..Conditions::default()
            },
            vec![RuleAction::Label {
                label: "repayment".into(),
            }],
        );
        let plans = evaluate(std::slice::from_ref(&keyword), &MESSAGE, &facts(), NOW);
        assert_eq!(plans[0].why.keyword.as_deref(), Some("還款"));
        let mut other = facts();
        other.text = Some("hello".into());
        assert!(evaluate(&[keyword], &MESSAGE, &other, NOW).is_empty());
    }

    #[test]
    fn rules_run_in_order_stop_ends_the_list_and_a_rule_ignores_its_own_change() {
        let label = |id: &str, position: i64, stop: bool| RuleView {
            position,
            stop,
            ..rule(
                id,
                Trigger::Assigned,
                Conditions::default(),
                vec![RuleAction::Label { label: id.into() }],
            )
        };
        let rules = [
            label("c", 3, false),
            label("a", 1, false),
            label("b", 2, true),
        ];
        let assigned = Fired::Change {
            action: "assigned".into(),
        };
        let ran: Vec<String> = evaluate(&rules, &assigned, &facts(), NOW)
            .into_iter()
            .map(|p| p.rule)
            .collect();
        assert_eq!(ran, ["a", "b"]);
        let mut own = facts();
        own.caused_by = Some("a".into());
        let ran: Vec<String> = evaluate(&rules, &assigned, &own, NOW)
            .into_iter()
            .map(|p| p.rule)
            .collect();
        assert_eq!(ran, ["b"]);
        let mut busy = facts();
        busy.recent_runs = MAX_RUNS_PER_HOUR;
        assert!(evaluate(&rules, &assigned, &busy, NOW).is_empty());
    }

    #[test]
    fn triggers_and_conditions_select() {
        let first = rule(
            "first",
            Trigger::MessageReceived { first_only: true },
            Conditions {
                channels: vec!["wecom_kf".into()],
                tags: vec!["vip".into()],
                assignee: Some(AssigneeCondition::Unassigned),
                language: Some(WrittenIn::Chinese),
                ..Conditions::default()
            },
            vec![RuleAction::Priority {
                priority: Priority::High,
            }],
        );
        let first_message = Fired::Message {
            first: true,
            reopened: false,
        };
        let mut kf = facts();
        kf.channel_kind = "wecom_kf".into();
        assert_eq!(
            evaluate(std::slice::from_ref(&first), &first_message, &kf, NOW).len(),
            1
        );
        assert!(evaluate(std::slice::from_ref(&first), &MESSAGE, &kf, NOW).is_empty());
        assert!(evaluate(std::slice::from_ref(&first), &first_message, &facts(), NOW).is_empty());
        let mut held = kf.clone();
        held.assignee = Some(UserId(uuid::Uuid::nil()));
        assert!(evaluate(std::slice::from_ref(&first), &first_message, &held, NOW).is_empty());
        let timer = rule(
            "late",
            Trigger::NoAgentReply { minutes: 30 },
            Conditions::default(),
            vec![RuleAction::Resolve],
        );
        let fired = Fired::Timer {
            rule: "late".into(),
        };
        let plans = evaluate(std::slice::from_ref(&timer), &fired, &facts(), NOW);
        assert_eq!(
            plans[0].why.sentence(),
            "no reply from a person for 30 minutes"
        );
        let other = Fired::Timer {
            rule: "other".into(),
        };
        assert!(evaluate(&[timer], &other, &facts(), NOW).is_empty());
    }
}
