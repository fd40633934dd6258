//! Auto-assignment and agents' presence (issue 14 §3): how a team hands
//! out waiting conversations, whether an agent takes new ones, and the
//! roster supervisors see.

use crate::api::TeamRef;
use crate::{TeamId, UserId};
use serde::{Deserialize, Serialize};

crate::closed_set::closed_set!(
    /// How a team's waiting, unassigned conversations find an agent.
    Assignment ("assignment method") {
        /// People claim or assign them.
        Manual => "manual",
        /// In turn: the online agent under capacity who was given one
        /// longest ago.
        RoundRobin => "round_robin",
        /// The online agent with the fewest open conversations for their
        /// capacity (ties: the one given one longest ago).
        LeastLoaded => "least_loaded",
    }
);

// `closed_set!` fixes the derive list, so no `#[derive(Default)]`.
#[allow(clippy::derivable_impls)]
impl Default for Assignment {
    fn default() -> Self {
        Assignment::Manual
    }
}

crate::closed_set::closed_set!(
    /// Whether an agent takes new conversations while signed in.
    Availability ("availability") {
        Available => "available",
        /// Signed in but not taking conversations: their waiting ones go
        /// back to the team.
        Away => "away",
    }
);

#[allow(clippy::derivable_impls)]
impl Default for Availability {
    fn default() -> Self {
        Availability::Available
    }
}

/// Conversations an agent holds at once unless an admin says otherwise.
pub const DEFAULT_CAPACITY: i64 = 10;
/// The most an admin may set.
pub const MAX_CAPACITY: i64 = 100;

/// `PUT /api/v1/me/availability`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAvailability {
    pub availability: Availability,
}

/// `PUT /api/v1/teams/{id}/assignment`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAssignment {
    pub assignment: Assignment,
}

/// One agent on `GET /api/v1/agents`: whether they take conversations now,
/// and how many they hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentView {
    pub id: UserId,
    pub name: String,
    pub teams: Vec<TeamRef>,
    /// A socket of theirs is open on some node.
    pub connected: bool,
    pub availability: Availability,
    /// Connected and available: auto-assignment gives them conversations.
    pub online: bool,
    /// Open and pending conversations assigned to them.
    pub load: i64,
    pub capacity: i64,
    /// When their last socket closed, while they are not connected.
    #[serde(default)]
    pub offline_since: Option<i64>,
}

/// The teams whose conversations `agent` may be given, for filters.
pub fn in_team(agent: &AgentView, team: TeamId) -> bool {
    agent.teams.iter().any(|t| t.id == team)
}

/// For serde: a user written before capacities existed.
pub fn default_capacity() -> i64 {
    DEFAULT_CAPACITY
}

/// One team on the supervisor's floor (`GET /api/v1/floor`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloorTeam {
    pub id: TeamId,
    pub name: String,
    pub assignment: Assignment,
    /// Open conversations whose client waits for an answer.
    pub waiting: i64,
    /// Of those, the ones nobody holds.
    pub unassigned: i64,
    /// Open and pending conversations.
    pub open: i64,
    /// Since when the longest wait has run.
    pub longest_wait_since: Option<i64>,
    /// The conversations waiting longest (at most five), to open and reassign.
    pub longest: Vec<Waiting>,
    /// Agents of the team taking conversations now.
    pub agents_online: i64,
    /// A closure in force for the team: its reason (`typhoon`,
    /// `black_rainstorm` or the reason's own text).
    pub closure: Option<String>,
    /// Unresolved conversations whose SLA has breached, most overdue first.
    #[serde(default)]
    pub sla_breached: Vec<Waiting>,
    /// Those past their SLA warning and not yet breached, due first first.
    #[serde(default)]
    pub sla_at_risk: Vec<Waiting>,
    /// Today's figures (Hong Kong day), with the conversations behind them.
    #[serde(default)]
    pub today: TodayFigures,
}

/// A conversation behind one of today's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureItem {
    pub id: crate::ConversationId,
    pub contact_name: Option<String>,
    pub open_id: String,
    /// When it happened (came in, was answered, resolved, breached).
    pub at: i64,
    /// How long it took (the client's wait for a first reply; from the
    /// client's message to the resolve), where the figure is a time.
    #[serde(default)]
    pub ms: Option<i64>,
    /// Who answered or resolved it.
    #[serde(default)]
    pub agent: Option<UserId>,
    /// Which SLA target breached, for a breach.
    #[serde(default)]
    pub metric: Option<crate::sla::SlaMetric>,
}

/// A team's day so far, Hong Kong time: each figure is the list of the
/// conversations behind it (the app counts, and works out medians).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayFigures {
    /// New conversations today.
    pub came_in: Vec<FigureItem>,
    /// Of those, the ones a person has answered: `ms` is the client's wait.
    pub first_responses: Vec<FigureItem>,
    /// Resolved today: `ms` from the client's first message in that stretch.
    pub resolved: Vec<FigureItem>,
    /// SLA breaches recorded today.
    pub breaches: Vec<FigureItem>,
}

/// The median and the 90th percentile of `values` (nearest rank).
pub fn median_and_p90(values: &[i64]) -> Option<(i64, i64)> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = |p: usize| sorted[((sorted.len() * p).div_ceil(100)).max(1) - 1];
    (!sorted.is_empty()).then(|| (rank(50), rank(90)))
}

/// A conversation whose client waits, on the floor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub id: crate::ConversationId,
    pub contact_name: Option<String>,
    pub open_id: String,
    pub waiting_since: i64,
    pub assignee_name: Option<String>,
    #[serde(default)]
    pub sla: Option<crate::sla::SlaStatus>,
}

/// `GET /api/v1/floor`: the teams the caller runs, and their agents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloorView {
    pub teams: Vec<FloorTeam>,
    pub agents: Vec<AgentView>,
    /// When it was read (Unix ms).
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::median_and_p90;

    #[test]
    fn the_median_and_p90_are_nearest_ranks() {
        assert_eq!(median_and_p90(&[]), None);
        assert_eq!(median_and_p90(&[7]), Some((7, 7)));
        assert_eq!(median_and_p90(&[4, 1, 3, 2]), Some((2, 4)));
        let hundred: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(median_and_p90(&hundred), Some((50, 90)));
    }
}
