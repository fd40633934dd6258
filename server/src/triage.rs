//! Changing a conversation, decided without a database: claim, assign,
//! transfer, unassign, status, snooze, priority and labels, the end of a
//! snooze, a reply take-over, and what a note may say. The store reads the
//! facts ([`Conversation`], [`Facts`]); this module says whether anything
//! changes, the new values, the timeline's activity sentence ("Amy assigned
//! this to Ken") with its structured fields, and when a wake-up job runs.
//! `store::triage` writes the result.

use crate::error::{AppError, AppResult};
use serde_json::{json, Value};
use shared::api::{Colleague, ConversationAction, Priority, Status};
use shared::{ConversationId, TeamId, UserId};

pub const MAX_NOTE_CHARS: usize = 4000;
const MAX_HANDOVER_NOTE_CHARS: usize = 500;
const MAX_LABEL_CHARS: usize = 32;
const MAX_LABELS: usize = 20;
const MAX_SNOOZE_MS: i64 = 365 * 86_400_000;

/// A conversation as it stands before a change.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    pub id: ConversationId,
    pub team: Option<TeamId>,
    pub status: Status,
    pub assignee: Option<UserId>,
    pub assignee_name: Option<String>,
    pub priority: Priority,
    pub snoozed_until: Option<i64>,
}

/// What deciding an assignment or a transfer needs from the database.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The person the action names, when they are an active member of the
    /// team the conversation will be in.
    pub person: Option<Colleague>,
    /// The name of the team a transfer names, when it exists.
    pub team_name: Option<String>,
}

/// The new column values, what to say about them, and the event's action word.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    pub action: &'static str,
    pub status: Option<Status>,
    /// `Some(None)` clears the snooze.
    pub snoozed_until: Option<Option<i64>>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    pub team: Option<TeamId>,
    pub priority: Option<Priority>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    /// The activity entry's text.
    pub sentence: String,
    /// The same change as data, for the event and for clients that render
    /// the entry themselves.
    pub fields: Value,
}

impl Change {
    /// When a `conversation.wake` job must run: the snooze's end.
    pub fn wake_at(&self) -> Option<i64> {
        self.snoozed_until.flatten()
    }

    /// Whether the conversation stops waiting on the team (resolved).
    pub fn ends_waiting(&self) -> bool {
        self.status == Some(Status::Resolved)
    }
}

/// `Ok(None)`: nothing needs to change (claiming what one already holds,
/// setting the priority it has).
pub fn decide(
    current: &Conversation,
    action: &ConversationAction,
    actor: UserId,
    actor_name: &str,
    now: i64,
    facts: &Facts,
) -> AppResult<Option<Change>> {
    let name = actor_name;
    let change = match action {
        ConversationAction::Claim => {
            if current.assignee == Some(actor) {
                return Ok(None);
            }
            if current.assignee.is_some() {
                let holder = current.assignee_name.as_deref().unwrap_or("Someone else");
                return Err(AppError::conflict_because("already_assigned", format!(
                    "{holder} already has this conversation. Ask them or a supervisor to hand it over."
                )));
            }
            Change {
                action: "claimed",
                assignee: Some(Some(actor)),
                sentence: format!("{name} claimed this"),
                fields: json!({ "assignee": actor }),
                ..Change::default()
            }
        }
        ConversationAction::Assign { note, .. } => {
            let target = facts.person.as_ref().ok_or_else(|| {
                AppError::validation(
                    "user",
                    "That person is not an active member of this conversation's team.",
                )
            })?;
            if current.assignee == Some(target.id) {
                return Ok(None);
            }
            let note = clean_handover_note(note.as_deref())?;
            Change {
                action: "assigned",
                assignee: Some(Some(target.id)),
                sentence: with_note(
                    format!("{name} assigned this to {}", target.name),
                    note.as_deref(),
                ),
                fields: json!({ "assignee": target.id, "assignee_name": target.name, "note": note }),
                ..Change::default()
            }
        }
        ConversationAction::Transfer { team, user, note } => {
            let team_label = facts
                .team_name
                .clone()
                .ok_or_else(|| AppError::validation("team", "That team does not exist."))?;
            let person = match user {
                Some(_) => Some(facts.person.clone().ok_or_else(|| {
                    AppError::validation(
                        "user",
                        "That person is not an active member of that team.",
                    )
                })?),
                None => None,
            };
            let note = clean_handover_note(note.as_deref())?;
            let to = match &person {
                Some(p) => format!("{team_label} ({})", p.name),
                None => team_label.clone(),
            };
            Change {
                action: "transferred",
                team: Some(*team),
                assignee: Some(person.as_ref().map(|p| p.id)),
                sentence: with_note(format!("{name} transferred this to {to}"), note.as_deref()),
                fields: json!({
                    "team": team,
                    "team_name": team_label,
                    "assignee": person.as_ref().map(|p| p.id),
                    "assignee_name": person.as_ref().map(|p| p.name.clone()),
                    "note": note,
                }),
                ..Change::default()
            }
        }
        ConversationAction::Unassign => {
            let Some(holder) = current
                .assignee_name
                .clone()
                .filter(|_| current.assignee.is_some())
            else {
                return Ok(None);
            };
            Change {
                action: "unassigned",
                assignee: Some(None),
                sentence: format!("{name} unassigned {holder}"),
                fields: json!({ "assignee": null, "holder_name": holder }),
                ..Change::default()
            }
        }
        ConversationAction::Resolve => status_change(
            current,
            "resolved",
            Status::Resolved,
            format!("{name} resolved this"),
        )?,
        ConversationAction::Reopen => status_change(
            current,
            "reopened",
            Status::Open,
            format!("{name} reopened this"),
        )?,
        ConversationAction::Pending => status_change(
            current,
            "pending",
            Status::Pending,
            format!("{name} marked this as waiting on the client"),
        )?,
        ConversationAction::Snooze { until } => {
            if *until <= now {
                return Err(AppError::validation(
                    "until",
                    "Snooze until a time in the future.",
                ));
            }
            if *until > now + MAX_SNOOZE_MS {
                return Err(AppError::validation("until", "Snooze for at most a year."));
            }
            Change {
                action: "snoozed",
                status: Some(Status::Snoozed),
                snoozed_until: Some(Some(*until)),
                sentence: format!("{name} snoozed this"),
                fields: json!({ "status": Status::Snoozed, "until": until }),
                ..Change::default()
            }
        }
        ConversationAction::Priority { priority } => {
            let priority: Priority = priority.parse().map_err(|_| {
                AppError::validation("priority", "Priority is low, normal, high or urgent.")
            })?;
            if priority == current.priority {
                return Ok(None);
            }
            Change {
                action: "priority",
                priority: Some(priority),
                sentence: format!("{name} set the priority to {priority}"),
                fields: json!({ "priority": priority }),
                ..Change::default()
            }
        }
        ConversationAction::Labels { add, remove } => {
            let add = clean_labels(add)?;
            let remove = clean_labels(remove)?;
            if add.is_empty() && remove.is_empty() {
                return Err(AppError::validation(
                    "add",
                    "Name a label to add or remove.",
                ));
            }
            let mut parts = Vec::new();
            if !add.is_empty() {
                parts.push(format!("added {}", add.join(", ")));
            }
            if !remove.is_empty() {
                parts.push(format!("removed {}", remove.join(", ")));
            }
            Change {
                action: "labels",
                sentence: format!("{name} {}", parts.join(" and ")),
                fields: json!({ "add": add, "remove": remove }),
                add_labels: add,
                remove_labels: remove,
                ..Change::default()
            }
        }
    };
    Ok(Some(change))
}

fn status_change(
    current: &Conversation,
    action: &'static str,
    status: Status,
    sentence: String,
) -> AppResult<Change> {
    if current.status == status {
        return Err(AppError::conflict_because(
            "already_in_status",
            format!("This conversation is already {status}."),
        ));
    }
    Ok(Change {
        action,
        status: Some(status),
        snoozed_until: Some(None),
        sentence,
        fields: json!({ "status": status }),
        ..Change::default()
    })
}

/// The `conversation.wake` job for a snooze ending at `until`: `None` when
/// it was re-snoozed to another time, woken already, or is not yet due.
pub fn wake(current: &Conversation, until: i64, now: i64) -> Option<Change> {
    let due = current
        .snoozed_until
        .filter(|_| current.status == Status::Snoozed);
    (due == Some(until) && until <= now).then(|| Change {
        action: "woke",
        status: Some(Status::Open),
        snoozed_until: Some(None),
        sentence: "The snooze ended".into(),
        fields: json!({ "status": Status::Open }),
        ..Change::default()
    })
}

/// `actor_name` took the reply lock over from `from_name`.
pub fn took_over(actor_name: &str, from_name: &str) -> Change {
    Change {
        action: "took_over",
        sentence: format!("{actor_name} took over the reply from {from_name}"),
        fields: json!({ "from": from_name }),
        ..Change::default()
    }
}

/// `actor_name` took a new WeCom session for the inbox (state 0 → 1).
pub fn wecom_taken_back(actor_name: &str) -> Change {
    Change {
        action: "wecom_taken_back",
        sentence: format!("{actor_name} took the WeCom session for the inbox"),
        fields: json!({}),
        ..Change::default()
    }
}

/// `actor_name` ended the WeCom session `servicer` (or WeCom's queue) had,
/// so that the client's next message comes to the inbox.
pub fn wecom_session_ended(actor_name: &str, servicer: Option<&str>) -> Change {
    Change {
        action: "wecom_session_ended",
        sentence: match servicer {
            Some(servicer) => format!("{actor_name} ended {servicer}'s WeCom session"),
            None => format!("{actor_name} ended the WeCom session"),
        },
        fields: json!({ "servicer": servicer }),
        ..Change::default()
    }
}

/// A note's text, trimmed; refused when empty or too long.
pub fn note_text(text: &str) -> AppResult<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::validation("text", "Write something in the note."));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::validation(
            "text",
            format!("Keep a note under {MAX_NOTE_CHARS} characters."),
        ));
    }
    Ok(text)
}

/// People one note may mention.
pub const MAX_MENTIONS: usize = 50;

/// The people a note mentions, each once, in the order written; the list is
/// counted before anything else.
pub fn distinct_mentions(mentions: &[UserId]) -> AppResult<Vec<UserId>> {
    if mentions.len() > MAX_MENTIONS {
        return Err(AppError::validation(
            "mentions",
            format!("Mention at most {MAX_MENTIONS} people in one note."),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(mentions.len());
    Ok(mentions
        .iter()
        .copied()
        .filter(|u| seen.insert(*u))
        .collect())
}

fn clean_handover_note(note: Option<&str>) -> AppResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_HANDOVER_NOTE_CHARS) {
        return Err(AppError::validation(
            "note",
            "Keep the handover note under 500 characters.",
        ));
    }
    Ok(note.map(str::to_owned))
}

fn with_note(sentence: String, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{sentence}: “{note}”"),
        None => sentence,
    }
}

fn clean_labels(labels: &[String]) -> AppResult<Vec<String>> {
    // Counted before anything else, so a huge list costs nothing.
    if labels.len() > MAX_LABELS {
        return Err(AppError::validation(
            "labels",
            format!("At most {MAX_LABELS} labels at a time."),
        ));
    }
    let mut clean: Vec<String> = Vec::with_capacity(labels.len());
    let mut seen = std::collections::HashSet::with_capacity(labels.len());
    for label in labels {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.contains(',') {
            return Err(AppError::validation(
                "labels",
                format!("A label is 1 to {MAX_LABEL_CHARS} characters without commas."),
            ));
        }
        if seen.insert(label) {
            clean.push(label.to_owned());
        }
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Role;

    const NOW: i64 = 1_800_000_000_000;

    fn user(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    fn open() -> Conversation {
        Conversation {
            id: ConversationId(uuid::Uuid::from_u128(7)),
            team: Some(TeamId(uuid::Uuid::from_u128(100))),
            status: Status::Open,
            assignee: None,
            assignee_name: None,
            priority: Priority::Normal,
            snoozed_until: None,
        }
    }

    fn decide_now(current: &Conversation, action: ConversationAction) -> AppResult<Option<Change>> {
        decide(current, &action, user(1), "Amy", NOW, &Facts::default())
    }

    fn ken() -> Colleague {
        Colleague {
            id: user(2),
            name: "Ken".into(),
            role: Role::Agent,
        }
    }

    #[test]
    fn claiming_takes_an_unassigned_conversation_once() {
        let change = decide_now(&open(), ConversationAction::Claim)
            .expect("decided")
            .expect("a change");
        assert_eq!(change.assignee, Some(Some(user(1))));
        assert_eq!(change.sentence, "Amy claimed this");
        let mine = Conversation {
            assignee: Some(user(1)),
            ..open()
        };
        assert_eq!(
            decide_now(&mine, ConversationAction::Claim).expect("ok"),
            None
        );
        let kens = Conversation {
            assignee: Some(user(2)),
            assignee_name: Some("Ken".into()),
            ..open()
        };
        let refused = decide_now(&kens, ConversationAction::Claim).expect_err("refused");
        assert!(refused
            .to_string()
            .starts_with("Ken already has this conversation"));
    }

    #[test]
    fn assigning_needs_a_colleague_and_says_the_note() {
        let action = ConversationAction::Assign {
            user: user(2),
            note: Some("  VIP client ".into()),
        };
        let refused = decide(&open(), &action, user(1), "Amy", NOW, &Facts::default());
        assert!(matches!(refused, Err(AppError::Validation { ref field, .. }) if field == "user"));
        let facts = Facts {
            person: Some(ken()),
            team_name: None,
        };
        let change = decide(&open(), &action, user(1), "Amy", NOW, &facts)
            .expect("decided")
            .expect("a change");
        assert_eq!(change.sentence, "Amy assigned this to Ken: “VIP client”");
        assert_eq!(change.fields["assignee_name"], "Ken");
        let long = ConversationAction::Assign {
            user: user(2),
            note: Some("x".repeat(501)),
        };
        assert!(decide(&open(), &long, user(1), "Amy", NOW, &facts).is_err());
    }

    #[test]
    fn transferring_names_the_team_and_the_person() {
        let team = TeamId(uuid::Uuid::from_u128(200));
        let action = ConversationAction::Transfer {
            team,
            user: Some(user(2)),
            note: None,
        };
        let no_team = decide(&open(), &action, user(1), "Amy", NOW, &Facts::default());
        assert!(matches!(no_team, Err(AppError::Validation { ref field, .. }) if field == "team"));
        let facts = Facts {
            person: Some(ken()),
            team_name: Some("Claims".into()),
        };
        let change = decide(&open(), &action, user(1), "Amy", NOW, &facts)
            .expect("decided")
            .expect("a change");
        assert_eq!(change.team, Some(team));
        assert_eq!(change.assignee, Some(Some(user(2))));
        assert_eq!(change.sentence, "Amy transferred this to Claims (Ken)");
    }

    #[test]
    fn statuses_refuse_to_repeat_and_clear_the_snooze() {
        let change = decide_now(&open(), ConversationAction::Resolve)
            .expect("decided")
            .expect("a change");
        assert_eq!(change.status, Some(Status::Resolved));
        assert_eq!(change.snoozed_until, Some(None));
        assert!(change.ends_waiting());
        assert_eq!(change.fields, json!({ "status": "resolved" }));
        let again = decide_now(&open(), ConversationAction::Reopen).expect_err("refused");
        assert_eq!(again.to_string(), "This conversation is already open.");
    }

    #[test]
    fn a_snooze_is_in_the_future_and_within_a_year_and_wakes_when_due() {
        for until in [NOW, NOW - 1, NOW + MAX_SNOOZE_MS + 1] {
            assert!(decide_now(&open(), ConversationAction::Snooze { until }).is_err());
        }
        let until = NOW + 3_600_000;
        let change = decide_now(&open(), ConversationAction::Snooze { until })
            .expect("decided")
            .expect("a change");
        assert_eq!(change.wake_at(), Some(until));
        let snoozed = Conversation {
            status: Status::Snoozed,
            snoozed_until: Some(until),
            ..open()
        };
        assert_eq!(wake(&snoozed, until, until - 1), None, "not yet due");
        assert_eq!(wake(&snoozed, until - 5, until), None, "re-snoozed since");
        assert_eq!(wake(&open(), until, until), None, "woken already");
        let woke = wake(&snoozed, until, until).expect("ok");
        assert_eq!(woke.status, Some(Status::Open));
        assert_eq!(woke.sentence, "The snooze ended");
    }

    #[test]
    fn priorities_are_a_closed_set() {
        let set =
            |p: &str| decide_now(&open(), ConversationAction::Priority { priority: p.into() });
        assert!(set("whenever").is_err());
        assert_eq!(set("normal").expect("ok"), None);
        let change = set("urgent").expect("decided").expect("a change");
        assert_eq!(change.priority, Some(Priority::Urgent));
        assert_eq!(change.sentence, "Amy set the priority to urgent");
    }

    #[test]
    fn labels_are_trimmed_distinct_and_bounded() {
        let labels = |add: &[&str], remove: &[&str]| {
            decide_now(
                &open(),
                ConversationAction::Labels {
                    add: add.iter().map(|s| s.to_string()).collect(),
                    remove: remove.iter().map(|s| s.to_string()).collect(),
                },
            )
        };
        let change = labels(&[" vip ", "vip", "kyc"], &["old"])
            .expect("decided")
            .expect("a change");
        assert_eq!(change.add_labels, ["vip", "kyc"]);
        assert_eq!(change.sentence, "Amy added vip, kyc and removed old");
        assert!(labels(&[], &[]).is_err());
        assert!(labels(&["a,b"], &[]).is_err());
        assert!(labels(&[&"x".repeat(33)], &[]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("l{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(labels(&many, &[]).is_err());
    }

    #[test]
    fn notes_and_mentions() {
        assert_eq!(note_text("  hello ").expect("ok"), "hello");
        assert!(note_text("   ").is_err());
        assert!(note_text(&"字".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert_eq!(
            distinct_mentions(&[user(2), user(3), user(2)]).expect("few"),
            [user(2), user(3)]
        );
        assert!(distinct_mentions(&vec![user(2); MAX_MENTIONS + 1]).is_err());
        assert_eq!(
            took_over("Amy", "Ken").sentence,
            "Amy took over the reply from Ken"
        );
    }
}
