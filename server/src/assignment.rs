//! Auto-assignment (issue 14 §3), decided without a database: which agent
//! a waiting conversation goes to, and whether an absent agent's waiting
//! conversations go back to their team. `crate::dispatcher` runs it.

use serde_json::{json, Value};
use shared::assignment::{Assignment, Availability};
use shared::UserId;

/// A socket not touched for this long belongs to a node that died.
pub const STALE_MS: i64 = 60_000;

/// An agent auto-assignment may give a conversation: online, in the team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: UserId,
    pub name: String,
    /// Open and pending conversations assigned to them.
    pub load: i64,
    pub capacity: i64,
    /// Round-robin's turn: larger is more lately given one.
    pub turn: i64,
}

/// Who gets the next conversation: among those under capacity, the one
/// whose turn is oldest (round-robin), or the one with the fewest
/// conversations, then the oldest turn (least-loaded). `None`: everyone is
/// full, or the team assigns by hand.
pub fn pick(method: Assignment, candidates: &[Candidate]) -> Option<&Candidate> {
    let free = candidates.iter().filter(|c| c.load < c.capacity);
    match method {
        Assignment::Manual => None,
        Assignment::RoundRobin => free.min_by_key(|c| (c.turn, c.id.0)),
        Assignment::LeastLoaded => free.min_by_key(|c| (c.load, c.turn, c.id.0)),
    }
}

/// Where an assignee stands, for whether their waiting conversations stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub active: bool,
    pub availability: Availability,
    /// A socket of theirs is open (touched within [`STALE_MS`]).
    pub connected: bool,
    /// When they were last seen connected.
    pub last_seen: Option<i64>,
}

/// Why an assignee's waiting conversation goes back to the team, if it
/// does: they set themselves away, were deactivated, or have been gone
/// longer than `grace_ms` (a reload or a dropped connection is not gone).
pub fn absence(standing: &Standing, now: i64, grace_ms: i64) -> Option<Absence> {
    if !standing.active {
        return Some(Absence::Inactive);
    }
    if standing.availability == Availability::Away {
        return Some(Absence::Away);
    }
    if standing.connected {
        return None;
    }
    match standing.last_seen {
        Some(since) => (now - since >= grace_ms).then_some(Absence::Offline { since: Some(since) }),
        // Never seen connected (since auto-assignment began to look).
        None => Some(Absence::Offline { since: None }),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absence {
    Away,
    Inactive,
    /// Not connected since then (`None`: never seen connected).
    Offline {
        since: Option<i64>,
    },
}

/// The fields an auto-assignment's timeline entry carries: the "rule"
/// (`assignment:<method>`), and why, for the app to word in the reader's
/// language, with an English sentence for integrators.
pub fn assigned_because(method: Assignment, team_name: &str, online: usize) -> Value {
    let how = match method {
        Assignment::LeastLoaded => "least-loaded",
        _ => "round-robin",
    };
    let agents = if online == 1 { "agent" } else { "agents" };
    let sentence = format!("{how} in {team_name} ({online} {agents} online)");
    json!({
        "rule": format!("assignment:{method}"),
        "rule_name": "Auto-assignment",
        "automated": "assignment",
        "why": { "trigger": method.as_str(), "team_name": team_name, "agents": online },
        "because": sentence,
    })
}

/// The fields of the entry that hands an absent agent's conversation back.
pub fn released_because(absence: Absence, agent_name: &str, now: i64) -> Value {
    let (trigger, sentence, minutes) = match absence {
        Absence::Away => ("agent_away", format!("{agent_name} is away"), None),
        Absence::Inactive => (
            "agent_inactive",
            format!("{agent_name} was deactivated"),
            None,
        ),
        Absence::Offline { since: None } => {
            ("agent_offline", format!("{agent_name} is offline"), None)
        }
        Absence::Offline { since: Some(since) } => {
            let minutes = ((now - since) / 60_000).max(0);
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            (
                "agent_offline",
                format!("{agent_name} has been offline for {minutes} {unit}"),
                Some(minutes),
            )
        }
    };
    json!({
        "rule": "assignment:release",
        "rule_name": "Auto-assignment",
        "automated": "assignment",
        "why": { "trigger": trigger, "agent_name": agent_name, "minutes": minutes },
        "because": sentence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn agent(n: u128, load: i64, capacity: i64, turn: i64) -> Candidate {
        Candidate {
            id: UserId(Uuid::from_u128(n)),
            name: format!("agent {n}"),
            load,
            capacity,
            turn,
        }
    }

    #[test]
    fn round_robin_takes_turns_and_skips_the_full() {
        let team = [agent(1, 2, 5, 30), agent(2, 0, 5, 10), agent(3, 5, 5, 0)];
        // Agent 3's turn is oldest, but they are full.
        assert_eq!(
            pick(Assignment::RoundRobin, &team).map(|c| c.id),
            Some(team[1].id)
        );
        let all_full = [agent(1, 5, 5, 0), agent(2, 1, 1, 0)];
        assert_eq!(pick(Assignment::RoundRobin, &all_full), None);
        // A tie in turns goes by id, so every node picks the same agent.
        let tie = [agent(2, 0, 5, 0), agent(1, 0, 5, 0)];
        assert_eq!(
            pick(Assignment::RoundRobin, &tie).map(|c| c.id),
            Some(tie[1].id)
        );
    }

    #[test]
    fn least_loaded_takes_the_fewest_then_the_oldest_turn() {
        let team = [agent(1, 3, 10, 0), agent(2, 1, 10, 50), agent(3, 1, 10, 20)];
        assert_eq!(
            pick(Assignment::LeastLoaded, &team).map(|c| c.id),
            Some(team[2].id)
        );
        assert_eq!(pick(Assignment::Manual, &team), None);
    }

    #[test]
    fn an_absent_agents_conversations_go_back_after_the_grace() {
        let here = Standing {
            active: true,
            availability: Availability::Available,
            connected: true,
            last_seen: Some(0),
        };
        assert_eq!(absence(&here, 1_000_000, 60_000), None);
        let away = Standing {
            availability: Availability::Away,
            ..here
        };
        assert_eq!(absence(&away, 0, 60_000), Some(Absence::Away));
        let gone = Standing {
            connected: false,
            last_seen: Some(100_000),
            ..here
        };
        // A reload is not gone.
        assert_eq!(absence(&gone, 130_000, 60_000), None);
        assert_eq!(
            absence(&gone, 160_000, 60_000),
            Some(Absence::Offline {
                since: Some(100_000)
            })
        );
        let never = Standing {
            connected: false,
            last_seen: None,
            ..here
        };
        assert_eq!(
            absence(&never, 1_000_000, 60_000),
            Some(Absence::Offline { since: None })
        );
        let fields = released_because(Absence::Offline { since: None }, "Ken", 300_000);
        assert_eq!(fields["because"], "Ken is offline");
        assert_eq!(fields["why"]["minutes"], Value::Null);
        let left = Standing {
            active: false,
            ..here
        };
        assert_eq!(absence(&left, 0, 60_000), Some(Absence::Inactive));
    }

    #[test]
    fn entries_say_why_for_the_app_and_in_english() {
        let fields = assigned_because(Assignment::LeastLoaded, "Loans", 3);
        assert_eq!(fields["why"]["trigger"], "least_loaded");
        assert_eq!(fields["because"], "least-loaded in Loans (3 agents online)");
        let fields = assigned_because(Assignment::RoundRobin, "Loans", 1);
        assert_eq!(fields["because"], "round-robin in Loans (1 agent online)");
        let fields = released_because(Absence::Offline { since: Some(0) }, "Ken", 300_000);
        assert_eq!(fields["because"], "Ken has been offline for 5 minutes");
        assert_eq!(fields["why"]["minutes"], 5);
    }
}
