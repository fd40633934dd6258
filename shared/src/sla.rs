//! Service-level targets (issue 14 §4): the policies admins set, and where
//! a conversation's clock stands, for the list, the header and the floor.

use crate::TeamId;
use serde::{Deserialize, Serialize};

crate::closed_set::closed_set!(
    /// What an SLA clock times.
    SlaMetric ("SLA metric") {
        /// From the client's first message to a person's first reply.
        FirstResponse => "first_response",
        /// From a client's message, once answered before, to the next reply.
        NextResponse => "next_response",
        /// From the start of the cycle (first message, or reopening) to the
        /// resolve.
        Resolution => "resolution",
    }
);

crate::closed_set::closed_set!(
    /// Why a clock does not count now.
    SlaPause ("SLA pause") {
        /// Pending or snoozed: the team waits on the client.
        Pending => "pending",
        /// WeChat's reply window is closed: nothing can be sent.
        WindowClosed => "window_closed",
        /// The team does not open again within two months (no hours, or a
        /// closure with no end).
        Closed => "closed",
    }
);

/// The most a target may be: 90 days of business minutes.
pub const MAX_TARGET_MINUTES: i64 = 90 * 24 * 60;
/// The warning lead when a policy does not say.
pub const DEFAULT_WARN_MINUTES: i64 = 5;

/// A policy, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub id: String,
    pub name: String,
    /// The team it is for; `None` with no label: every conversation.
    pub team: Option<TeamId>,
    #[serde(default)]
    pub team_name: Option<String>,
    /// The label it is for (it wins over a team's policy).
    pub label: Option<String>,
    /// Targets in business minutes; `None`: not timed.
    pub first_response_minutes: Option<i64>,
    pub next_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    /// How long before a breach the warning comes.
    pub warn_minutes: i64,
    pub updated_at: i64,
}

/// `POST /api/v1/sla-policies` and `PUT /api/v1/sla-policies/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveSlaPolicy {
    pub name: String,
    #[serde(default)]
    pub team: Option<TeamId>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub first_response_minutes: Option<i64>,
    #[serde(default)]
    pub next_response_minutes: Option<i64>,
    #[serde(default)]
    pub resolution_minutes: Option<i64>,
    #[serde(default)]
    pub warn_minutes: Option<i64>,
}

/// Where a conversation's most pressing clock stands: a breached one, else
/// the running one due first, else a paused one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaStatus {
    pub metric: SlaMetric,
    /// Business minutes allowed.
    pub target_ms: i64,
    /// When it breaches (or breached), counting business hours only;
    /// `None` while paused.
    pub due_at: Option<i64>,
    /// When the warning comes (or came).
    pub warn_at: Option<i64>,
    /// When it breached.
    pub breached_at: Option<i64>,
    /// Why it does not count, while paused.
    pub paused: Option<SlaPause>,
    /// Business time left, while it is not counting down to a due time
    /// (paused, or due only after WeChat's window has closed); 0 otherwise.
    pub left_ms: i64,
}

impl SlaStatus {
    /// Whether the clock is past its warning at `now`.
    pub fn at_risk(&self, now: i64) -> bool {
        self.breached_at.is_none() && self.warn_at.is_some_and(|warn| warn <= now)
    }

    /// Whether it has breached by `now`.
    pub fn breached(&self, now: i64) -> bool {
        self.breached_at.is_some() || self.due_at.is_some_and(|due| due <= now)
    }
}
