//! Automation rules (issue 14 §2) as the API and the app see them: what
//! starts a rule, what must hold, what it does. The server decides and runs
//! them (`server/src/automation.rs`); every automated timeline entry carries
//! the rule's id and name and why it ran.

use crate::api::Priority;
use crate::{TeamId, UserId};
use serde::{Deserialize, Serialize};

/// What starts a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A client's message arrives; `first_only`: only the first message of
    /// the conversation.
    MessageReceived {
        #[serde(default)]
        first_only: bool,
    },
    /// A client writes for the first time.
    ConversationCreated,
    /// A resolved conversation is opened again (by the client writing, or
    /// by a person).
    Reopened,
    /// A conversation gets an assignee.
    Assigned,
    Resolved,
    /// A client's message has waited `minutes` with no reply from a person.
    NoAgentReply {
        minutes: i64,
    },
    /// The conversation has waited `minutes` since the client began to wait.
    WaitingOver {
        minutes: i64,
    },
    /// A snooze ran out.
    SnoozeEnded,
    /// An SLA clock passed its warning: a breach is near.
    SlaAtRisk,
}

impl Trigger {
    /// The minutes a time-based trigger waits.
    pub fn delay_minutes(&self) -> Option<i64> {
        match self {
            Trigger::NoAgentReply { minutes } | Trigger::WaitingOver { minutes } => Some(*minutes),
            _ => None,
        }
    }
}

crate::closed_set::closed_set!(
    /// A team's hours at the moment a rule runs.
    Hours ("hours condition") {
        /// Within the team's business hours.
        InHours => "in_hours",
        /// Outside them (weekly hours, a holiday or the team's exception),
        /// with no closure in force.
        OutOfHours => "out_of_hours",
        /// A closure (typhoon, black rainstorm, other) is in force.
        Closed => "closed",
    }
);

crate::closed_set::closed_set!(
    /// Who holds the conversation.
    AssigneeCondition ("assignee condition") {
        Unassigned => "unassigned",
        Assigned => "assigned",
    }
);

crate::closed_set::closed_set!(
    /// The language a client's message is written in, as detected.
    WrittenIn ("detected language") {
        /// Chinese: Han characters.
        Chinese => "zh",
        English => "en",
    }
);

/// What must hold for a rule to act. Every condition given must hold; a
/// list holds when any of its items does; an empty list or `None` always.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conditions {
    /// Channel kinds: `wechat_oa`, `wecom_kf`.
    pub channels: Vec<String>,
    pub hours: Option<Hours>,
    /// Any of these words in the client's message: Traditional and
    /// Simplified Chinese match each other, width and case are ignored,
    /// English words match whole.
    pub keywords: Vec<String>,
    /// Any of these contact tags.
    pub tags: Vec<String>,
    pub priorities: Vec<Priority>,
    pub assignee: Option<AssigneeCondition>,
    pub language: Option<WrittenIn>,
}

/// What a rule does, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleAction {
    /// A reply to the client: Chinese for a client who wrote Chinese,
    /// English for one who wrote English, both when it cannot tell or one
    /// is missing. `{name}`, `{team}` and `{opens_at}` are filled in.
    AutoReply {
        #[serde(default)]
        text_zh: Option<String>,
        #[serde(default)]
        text_en: Option<String>,
    },
    Assign {
        user: UserId,
    },
    /// Hand the conversation to another team (a backup team), unassigned.
    Transfer {
        team: TeamId,
    },
    Label {
        label: String,
    },
    Priority {
        priority: Priority,
    },
    /// An internal note.
    Note {
        text: String,
    },
    /// An internal note that mentions the supervisors of the conversation's
    /// team when the step runs (after a transfer, the backup team's), so it
    /// lands in their Mentions queue.
    Notify {
        text: String,
    },
    /// Give the conversation to an online agent of its team under
    /// capacity, round-robin or least-loaded; when nobody can take it, it
    /// stays in the team's queue.
    AutoAssign {
        method: crate::assignment::Assignment,
    },
    Snooze {
        minutes: i64,
    },
    Resolve,
}

/// `POST /api/v1/rules` and `PUT /api/v1/rules/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// The team whose conversations it acts on; `None`: every team's (admins only).
    #[serde(default)]
    pub team: Option<TeamId>,
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: Conditions,
    pub actions: Vec<RuleAction>,
    /// No later rule runs for the same trigger once this one acted.
    #[serde(default)]
    pub stop: bool,
    /// Where it runs among the rules (lower first); a new rule goes last
    /// when not given.
    #[serde(default)]
    pub position: Option<i64>,
}

fn enabled() -> bool {
    true
}

/// A stored rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub team: Option<TeamId>,
    pub trigger: Trigger,
    pub conditions: Conditions,
    pub actions: Vec<RuleAction>,
    pub stop: bool,
    pub position: i64,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

/// One thing a dry run found a rule would have done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunHit {
    pub conversation: crate::ConversationId,
    pub at: i64,
    /// Why it would have acted ("outside business hours (HK Desk, …)").
    pub why: String,
    /// What it would have done, one line per action.
    pub actions: Vec<String>,
}

/// `POST /api/v1/rules/dry-run`: what a rule (saved or not) would have done
/// on the last 7 days' conversations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRun {
    /// How many trigger moments it looked at.
    pub examined: i64,
    pub hits: Vec<DryRunHit>,
}
