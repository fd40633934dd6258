//! SLA clocks decided without a database (issue 14 §4): which policy times
//! a conversation, how its clocks move when something happens, where they
//! stand at an instant, and when they warn and breach.
//!
//! A cycle runs from the client's first message (or a reopening) to the
//! resolve. In it, first response runs from the first message to a person's
//! first reply; next response from a client's message, once answered, to
//! the next reply; resolution through the whole cycle. Clocks count
//! business time only (the team's calendar: hours, holidays, exceptions,
//! closures), and not while the conversation is pending or snoozed, nor
//! once WeChat's reply window has closed (nothing can be sent). A resolve
//! stops them; a client's message after it starts a new cycle.
//! `crate::sla_keeper` reads the facts and writes what this decides.

use crate::calendar::TeamCalendar;
use shared::sla::{SlaMetric, SlaPause, SlaPolicy, SlaStatus};
use shared::TeamId;

const MINUTE_MS: i64 = 60_000;

/// One of a conversation's clocks in its current cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    pub metric: SlaMetric,
    pub policy: String,
    pub target_ms: i64,
    pub warn_ms: i64,
    pub started_at: i64,
    /// Business time counted before `running_since`.
    pub elapsed_ms: i64,
    /// Since when it counts; `None` while paused.
    pub running_since: Option<i64>,
    /// When WeChat's reply window closes (counting stops there); `None`:
    /// closed.
    pub window_closes_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub warned_at: Option<i64>,
    pub breached_at: Option<i64>,
}

impl Clock {
    pub fn is_open(&self) -> bool {
        self.stopped_at.is_none()
    }

    fn is_response(&self) -> bool {
        self.metric != SlaMetric::Resolution
    }

    /// Counts the time since `running_since` into `elapsed_ms`, up to `at`.
    /// Counts again from `at`, if it was paused.
    fn resume(&mut self, at: i64) {
        self.running_since = Some(self.running_since.map_or(at, |since| since.max(at)));
    }

    /// Events from two nodes may come a little out of time order: the
    /// count never runs backwards.
    fn settle(&mut self, calendar: &TeamCalendar, at: i64) {
        if let Some(since) = self.running_since.filter(|since| *since < at) {
            let bound = self.window_closes_at.unwrap_or(since).min(at);
            self.elapsed_ms += calendar.open_ms_between(since, bound);
            self.running_since = Some(at);
        }
    }
}

/// What happened to a conversation, as its clocks see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    /// The client wrote; the reply window now closes at `window_closes_at`.
    /// `answered`: a person had replied in the conversation before.
    ClientMessage {
        window_closes_at: Option<i64>,
        answered: bool,
    },
    /// A person replied (automation's replies do not count).
    PersonReplied {
        window_closes_at: Option<i64>,
    },
    /// Pending or snoozed: the team waits on the client.
    Paused,
    /// Open again: woken, or reopened by hand.
    Resumed,
    Resolved,
    /// WeChat's reply window changed with no message: on WeCom, the session
    /// ended, or a servicer took it in WeCom's own client (nothing can be
    /// sent from the inbox), or gave it back. Counting stops or goes on
    /// with it.
    WindowChanged {
        window_closes_at: Option<i64>,
    },
    /// Its labels or team, or the policies, changed: another policy may
    /// apply. A client waiting since `waiting_since` on an unresolved
    /// conversation is timed from then if no clock times them yet.
    Retarget {
        waiting_since: Option<i64>,
        resolved: bool,
        answered: bool,
        window_closes_at: Option<i64>,
    },
}

/// The policy for a conversation: one for a label it carries in its team,
/// else one for a label it carries in any team (the first made, when
/// several), else its team's, else the one for every conversation.
/// `policies` come oldest first.
pub fn policy_for<'a>(
    policies: &'a [SlaPolicy],
    team: Option<TeamId>,
    labels: &[String],
) -> Option<&'a SlaPolicy> {
    let for_label = |p: &&SlaPolicy| p.label.as_ref().is_some_and(|l| labels.contains(l));
    let in_team = policies
        .iter()
        .find(|p| for_label(p) && p.team.is_some() && p.team == team);
    in_team
        .or_else(|| policies.iter().find(|p| for_label(p) && p.team.is_none()))
        .or_else(|| {
            policies
                .iter()
                .find(|p| p.label.is_none() && p.team.is_some() && p.team == team)
        })
        .or_else(|| {
            policies
                .iter()
                .find(|p| p.label.is_none() && p.team.is_none())
        })
}

/// A policy's target for `metric`, in ms.
fn target_ms(policy: &SlaPolicy, metric: SlaMetric) -> Option<i64> {
    let minutes = match metric {
        SlaMetric::FirstResponse => policy.first_response_minutes,
        SlaMetric::NextResponse => policy.next_response_minutes,
        SlaMetric::Resolution => policy.resolution_minutes,
    };
    minutes.map(|m| m * MINUTE_MS)
}

fn start(
    policy: &SlaPolicy,
    metric: SlaMetric,
    at: i64,
    window_closes_at: Option<i64>,
) -> Option<Clock> {
    Some(Clock {
        metric,
        policy: policy.id.clone(),
        target_ms: target_ms(policy, metric)?,
        warn_ms: policy.warn_minutes * MINUTE_MS,
        started_at: at,
        elapsed_ms: 0,
        running_since: Some(at),
        window_closes_at,
        stopped_at: None,
        warned_at: None,
        breached_at: None,
    })
}

/// Puts `clock` in place of the one with its metric.
fn replace(clocks: &mut Vec<Clock>, clock: Clock) {
    clocks.retain(|c| c.metric != clock.metric);
    clocks.push(clock);
}

/// The clocks after `happening` at `at`. `policy` is the one that applies
/// now (`None`: none does, so no clock starts). Stopped clocks stay until a
/// new cycle replaces them, so a later message knows the client was
/// answered before.
pub fn apply(
    clocks: &[Clock],
    happening: &Happening,
    at: i64,
    policy: Option<&SlaPolicy>,
    calendar: &TeamCalendar,
) -> Vec<Clock> {
    let mut clocks = clocks.to_vec();
    for clock in clocks.iter_mut().filter(|c| c.is_open()) {
        clock.settle(calendar, at);
    }
    let in_cycle = clocks.iter().any(Clock::is_open);
    match happening {
        Happening::ClientMessage {
            window_closes_at,
            answered,
        } => {
            if in_cycle {
                for clock in clocks.iter_mut().filter(|c| c.is_open()) {
                    clock.resume(at);
                    clock.window_closes_at = *window_closes_at;
                }
                let waiting = clocks.iter().any(|c| c.is_open() && c.is_response());
                if let (false, Some(policy)) = (waiting, policy) {
                    if let Some(next) =
                        start(policy, SlaMetric::NextResponse, at, *window_closes_at)
                    {
                        replace(&mut clocks, next);
                    }
                }
            } else if let Some(policy) = policy {
                // A new cycle: the first, or after a resolve.
                let response = first_or_next(&clocks, *answered);
                for metric in [response, SlaMetric::Resolution] {
                    if let Some(clock) = start(policy, metric, at, *window_closes_at) {
                        replace(&mut clocks, clock);
                    }
                }
            }
        }
        Happening::PersonReplied { window_closes_at } => {
            for clock in clocks.iter_mut().filter(|c| c.is_open()) {
                if clock.is_response() {
                    clock.running_since = None;
                    clock.stopped_at = Some(at);
                } else {
                    clock.window_closes_at = *window_closes_at;
                }
            }
        }
        Happening::Paused => {
            for clock in clocks.iter_mut().filter(|c| c.is_open()) {
                clock.running_since = None;
            }
        }
        Happening::WindowChanged { window_closes_at } => {
            // Counted up to now with the window as it was (above).
            for clock in clocks.iter_mut().filter(|c| c.is_open()) {
                clock.window_closes_at = *window_closes_at;
            }
        }
        Happening::Resumed => {
            if in_cycle {
                for clock in clocks.iter_mut().filter(|c| c.is_open()) {
                    clock.resume(at);
                }
            } else if let (false, Some(policy)) = (clocks.is_empty(), policy) {
                // Reopened by hand after a resolve: nobody is waiting for a
                // reply, but the conversation is unresolved again.
                let window = clocks.iter().filter_map(|c| c.window_closes_at).max();
                if let Some(clock) = start(policy, SlaMetric::Resolution, at, window) {
                    replace(&mut clocks, clock);
                }
            }
        }
        Happening::Resolved => {
            for clock in clocks.iter_mut().filter(|c| c.is_open()) {
                clock.running_since = None;
                clock.stopped_at = Some(at);
            }
        }
        Happening::Retarget {
            waiting_since,
            resolved,
            answered,
            window_closes_at,
        } => {
            clocks.retain_mut(|clock| {
                if !clock.is_open() {
                    return true;
                }
                match policy.and_then(|p| Some((p, target_ms(p, clock.metric)?))) {
                    Some((policy, target)) => {
                        clock.policy = policy.id.clone();
                        clock.target_ms = target;
                        clock.warn_ms = policy.warn_minutes * MINUTE_MS;
                        true
                    }
                    None => false,
                }
            });
            if let (Some(policy), false) = (policy, *resolved) {
                let timed = |clocks: &[Clock], metric: SlaMetric| {
                    clocks.iter().any(|c| c.is_open() && c.metric == metric)
                };
                let mut started = Vec::new();
                if let Some(since) = *waiting_since {
                    if !timed(&clocks, SlaMetric::FirstResponse)
                        && !timed(&clocks, SlaMetric::NextResponse)
                    {
                        let response = first_or_next(&clocks, *answered);
                        started.extend(start(policy, response, since, *window_closes_at));
                    }
                    if !timed(&clocks, SlaMetric::Resolution) {
                        started.extend(start(
                            policy,
                            SlaMetric::Resolution,
                            since,
                            *window_closes_at,
                        ));
                    }
                }
                for mut clock in started {
                    clock.settle(calendar, at);
                    replace(&mut clocks, clock);
                }
            }
        }
    }
    clocks
}

/// Which response a client waits for: the first, unless a person has
/// answered them before (or a clock timed a response before).
fn first_or_next(clocks: &[Clock], answered: bool) -> SlaMetric {
    if answered || !clocks.is_empty() {
        SlaMetric::NextResponse
    } else {
        SlaMetric::FirstResponse
    }
}

/// Where a clock stands at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// When it breaches (or breached); `None` while paused, stopped, or
    /// when the reply window closes first.
    pub due_at: Option<i64>,
    /// When it warns (or warned), on the same terms.
    pub warn_at: Option<i64>,
    /// When counting stops because WeChat's window closes, if that comes
    /// before the due time.
    pub pauses_at: Option<i64>,
    /// Business time left (negative: over).
    pub left_ms: i64,
    pub paused: Option<SlaPause>,
}

/// Where `clock` stands at `now` on `calendar`.
pub fn standing(clock: &Clock, calendar: &TeamCalendar, now: i64) -> Standing {
    let budget = clock.target_ms - clock.elapsed_ms;
    let Some(since) = clock.running_since.filter(|_| clock.is_open()) else {
        return Standing {
            due_at: None,
            warn_at: None,
            pauses_at: None,
            left_ms: budget,
            paused: clock.is_open().then_some(SlaPause::Pending),
        };
    };
    // Nothing counts once the window has closed: no walk goes past it.
    let bound = clock.window_closes_at.unwrap_or(since);
    let left_ms = budget - calendar.open_ms_between(since, now.min(bound));
    let due_at = calendar.after_open_ms_by(since, budget, bound);
    let warn_at = calendar.after_open_ms_by(since, budget - clock.warn_ms, bound);
    let paused = if now >= bound && left_ms > 0 {
        Some(SlaPause::WindowClosed)
    } else if due_at.is_none() && !calendar.opens_again(now) {
        Some(SlaPause::Closed)
    } else {
        None
    };
    Standing {
        due_at,
        warn_at,
        pauses_at: due_at.is_none().then_some(bound),
        left_ms,
        paused,
    }
}

/// What has come due on a clock by `now` and is not yet recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Crossed {
    /// The warning, at this instant.
    pub warned: Option<i64>,
    /// The breach, at this instant.
    pub breached: Option<i64>,
}

/// The warning and the breach `clock` has reached by `now` and not yet
/// recorded (a breach is not warned about after the fact).
pub fn crossed(clock: &Clock, standing: &Standing, now: i64) -> Crossed {
    if !clock.is_open() || clock.breached_at.is_some() {
        return Crossed::default();
    }
    let breached = standing.due_at.filter(|due| *due <= now);
    let warned = standing
        .warn_at
        .filter(|warn| *warn <= now && clock.warned_at.is_none() && breached.is_none());
    Crossed { warned, breached }
}

/// The next instant after `now` when something changes on the clocks: a
/// warning, a breach, or counting stopping as WeChat's window closes.
pub fn next_due(clocks: &[(Clock, Standing)], now: i64) -> Option<i64> {
    clocks
        .iter()
        .filter(|(c, _)| c.is_open() && c.breached_at.is_none())
        .flat_map(|(clock, standing)| {
            let warn = standing.warn_at.filter(|_| clock.warned_at.is_none());
            [warn, standing.due_at, standing.pauses_at]
        })
        .flatten()
        .filter(|at| *at > now)
        .min()
}

/// The clock a conversation shows: a reply that is overdue, else the reply
/// due first, then an overdue resolution, then resolution; else a paused
/// one (the least time left). `None` when no clock is open.
pub fn headline(clocks: &[(Clock, Standing)]) -> Option<SlaStatus> {
    let rank = |(clock, standing): &&(Clock, Standing)| {
        let resolution = i64::from(!clock.is_response()) * 2;
        match (clock.breached_at, standing.due_at) {
            (Some(at), _) => (resolution, at),
            (None, Some(due)) => (resolution + 1, due),
            (None, None) => (4, standing.left_ms),
        }
    };
    let (clock, standing) = clocks
        .iter()
        .filter(|(c, _)| c.is_open())
        .min_by_key(rank)?;
    let counting_down = standing.due_at.is_some() || clock.breached_at.is_some();
    Some(SlaStatus {
        metric: clock.metric,
        target_ms: clock.target_ms,
        due_at: standing.due_at,
        warn_at: standing.warn_at,
        breached_at: clock.breached_at,
        paused: standing.paused.filter(|_| clock.breached_at.is_none()),
        // Only a clock not counting down says how much is left, so the
        // headline changes only when something does.
        left_ms: if counting_down { 0 } else { standing.left_ms },
    })
}

/// Each clock with where it stands at `now`.
pub fn standings(clocks: &[Clock], calendar: &TeamCalendar, now: i64) -> Vec<(Clock, Standing)> {
    clocks
        .iter()
        .map(|c| (c.clone(), standing(c, calendar, now)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{date_start, Closure, ClosureReason, WeeklyHours, Window};
    use time::macros::date;

    const HOUR: i64 = 3_600_000;
    const WINDOW: i64 = 48 * HOUR;

    /// Monday 2026-12-14 at `hh:mm`, Hong Kong time.
    fn monday(hh: i64, mm: i64) -> i64 {
        date_start(date!(2026 - 12 - 14)) + hh * HOUR + mm * MINUTE_MS
    }

    /// Every day 09:00–18:00.
    fn desk() -> TeamCalendar {
        let day = vec![Window::parse("09:00-18:00").expect("a window")];
        TeamCalendar {
            hours: WeeklyHours {
                days: std::array::from_fn(|_| day.clone()),
            },
            ..TeamCalendar::default()
        }
    }

    fn policy() -> SlaPolicy {
        SlaPolicy {
            id: "standard".into(),
            name: "Standard".into(),
            team: None,
            team_name: None,
            label: None,
            first_response_minutes: Some(30),
            next_response_minutes: Some(20),
            resolution_minutes: Some(240),
            warn_minutes: 10,
            updated_at: 0,
        }
    }

    fn message(at: i64) -> Happening {
        Happening::ClientMessage {
            window_closes_at: Some(at + WINDOW),
            answered: false,
        }
    }

    fn replied(at: i64) -> Happening {
        Happening::PersonReplied {
            window_closes_at: Some(at + WINDOW),
        }
    }

    fn crossed_at(clock: &Clock, calendar: &TeamCalendar, now: i64) -> Crossed {
        crossed(clock, &standing(clock, calendar, now), now)
    }

    fn due_next(clocks: &[Clock], calendar: &TeamCalendar, now: i64) -> Option<i64> {
        next_due(&standings(clocks, calendar, now), now)
    }

    fn shown(clocks: &[Clock], calendar: &TeamCalendar, now: i64) -> Option<SlaStatus> {
        headline(&standings(clocks, calendar, now))
    }

    /// The policy changed; nobody waits.
    fn retarget() -> Happening {
        Happening::Retarget {
            waiting_since: None,
            resolved: false,
            answered: false,
            window_closes_at: None,
        }
    }

    fn of(clocks: &[Clock], metric: SlaMetric) -> &Clock {
        clocks
            .iter()
            .find(|c| c.metric == metric)
            .unwrap_or_else(|| panic!("a {metric} clock"))
    }

    #[test]
    fn the_policy_for_a_label_wins_over_the_team_and_the_team_over_all() {
        let team = TeamId(uuid::Uuid::from_u128(1));
        let all = SlaPolicy {
            id: "all".into(),
            ..policy()
        };
        let for_team = SlaPolicy {
            id: "team".into(),
            team: Some(team),
            ..policy()
        };
        let vip = SlaPolicy {
            id: "vip".into(),
            label: Some("VIP".into()),
            ..policy()
        };
        let policies = [all, for_team, vip];
        let pick = |team, labels: &[&str]| {
            let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
            policy_for(&policies, team, &labels).map(|p| p.id.as_str())
        };
        assert_eq!(pick(Some(team), &["VIP"]), Some("vip"));
        assert_eq!(pick(Some(team), &["other"]), Some("team"));
        assert_eq!(pick(None, &[]), Some("all"));
        assert_eq!(policy_for(&policies[1..2], None, &[]), None);
    }

    #[test]
    fn a_first_message_out_of_hours_is_due_in_business_time() {
        let calendar = desk();
        // Written at 08:00: the 30 minutes count from 09:00.
        let clocks = apply(
            &[],
            &message(monday(8, 0)),
            monday(8, 0),
            Some(&policy()),
            &calendar,
        );
        let first = of(&clocks, SlaMetric::FirstResponse);
        let standing = standing(first, &calendar, monday(8, 30));
        assert_eq!(standing.due_at, Some(monday(9, 30)));
        assert_eq!(standing.warn_at, Some(monday(9, 20)));
        assert_eq!(standing.left_ms, 30 * MINUTE_MS);
        assert_eq!(
            due_next(&clocks, &calendar, monday(8, 30)),
            Some(monday(9, 20))
        );
        // Due at 13:00 for resolution: four business hours from 09:00.
        let resolution = of(&clocks, SlaMetric::Resolution);
        assert_eq!(standing_due(resolution, &calendar), Some(monday(13, 0)));
        // At 09:25 it has warned; at 09:31 it has breached, not warned.
        assert_eq!(
            crossed_at(first, &calendar, monday(9, 25)),
            Crossed {
                warned: Some(monday(9, 20)),
                breached: None
            }
        );
        assert_eq!(
            crossed_at(first, &calendar, monday(9, 31)),
            Crossed {
                warned: None,
                breached: Some(monday(9, 30))
            }
        );
    }

    fn standing_due(clock: &Clock, calendar: &TeamCalendar) -> Option<i64> {
        standing(clock, calendar, clock.started_at).due_at
    }

    #[test]
    fn a_reply_stops_the_response_clock_and_the_next_message_starts_the_next() {
        let calendar = desk();
        let policy = policy();
        let clocks = apply(
            &[],
            &message(monday(10, 0)),
            monday(10, 0),
            Some(&policy),
            &calendar,
        );
        let clocks = apply(
            &clocks,
            &replied(monday(10, 12)),
            monday(10, 12),
            Some(&policy),
            &calendar,
        );
        let first = of(&clocks, SlaMetric::FirstResponse);
        assert_eq!(first.stopped_at, Some(monday(10, 12)));
        assert_eq!(first.elapsed_ms, 12 * MINUTE_MS);
        assert_eq!(
            crossed_at(first, &calendar, monday(12, 0)),
            Crossed::default()
        );
        // A second message while the first waits changes nothing; one after
        // the reply starts the next-response clock.
        let clocks = apply(
            &clocks,
            &message(monday(11, 0)),
            monday(11, 0),
            Some(&policy),
            &calendar,
        );
        let next = of(&clocks, SlaMetric::NextResponse);
        assert_eq!(standing_due(next, &calendar), Some(monday(11, 20)));
        let again = apply(
            &clocks,
            &message(monday(11, 5)),
            monday(11, 5),
            Some(&policy),
            &calendar,
        );
        assert_eq!(
            of(&again, SlaMetric::NextResponse).started_at,
            monday(11, 0)
        );
        // The headline is the clock due first.
        let shown = shown(&again, &calendar, monday(11, 5)).expect("a clock shows");
        assert_eq!(shown.metric, SlaMetric::NextResponse);
        assert_eq!(shown.due_at, Some(monday(11, 20)));
    }

    #[test]
    fn pending_pauses_and_resolve_stops_and_a_new_message_restarts() {
        let calendar = desk();
        let policy = policy();
        let clocks = apply(
            &[],
            &message(monday(10, 0)),
            monday(10, 0),
            Some(&policy),
            &calendar,
        );
        let clocks = apply(
            &clocks,
            &Happening::Paused,
            monday(10, 10),
            Some(&policy),
            &calendar,
        );
        let paused = shown(&clocks, &calendar, monday(15, 0)).expect("a clock shows");
        assert_eq!(paused.paused, Some(SlaPause::Pending));
        assert_eq!(paused.due_at, None);
        assert_eq!(paused.left_ms, 20 * MINUTE_MS);
        assert_eq!(due_next(&clocks, &calendar, monday(15, 0)), None);
        // The client writes at 15:00: 20 minutes were left.
        let clocks = apply(
            &clocks,
            &message(monday(15, 0)),
            monday(15, 0),
            Some(&policy),
            &calendar,
        );
        assert_eq!(
            standing(
                of(&clocks, SlaMetric::FirstResponse),
                &calendar,
                monday(15, 0)
            )
            .due_at,
            Some(monday(15, 20))
        );
        let clocks = apply(
            &clocks,
            &Happening::Resolved,
            monday(15, 5),
            Some(&policy),
            &calendar,
        );
        assert!(clocks.iter().all(|c| !c.is_open()));
        assert_eq!(shown(&clocks, &calendar, monday(15, 5)), None);
        // Written again after the resolve: a new cycle, asking for the
        // next response, with resolution from zero.
        let clocks = apply(
            &clocks,
            &message(monday(16, 0)),
            monday(16, 0),
            Some(&policy),
            &calendar,
        );
        let next = of(&clocks, SlaMetric::NextResponse);
        assert_eq!(next.started_at, monday(16, 0));
        let resolution = of(&clocks, SlaMetric::Resolution);
        assert_eq!(
            (resolution.elapsed_ms, resolution.started_at),
            (0, monday(16, 0))
        );
        assert_eq!(
            of(&clocks, SlaMetric::FirstResponse).stopped_at,
            Some(monday(15, 5))
        );
    }

    #[test]
    fn a_closed_window_pauses_the_count_and_closures_push_the_due_time() {
        let mut calendar = desk();
        let policy = SlaPolicy {
            resolution_minutes: Some(60 * 60),
            ..policy()
        };
        // The window closes at 10:30 (five replies spent, say).
        let clocks = apply(
            &[],
            &Happening::ClientMessage {
                window_closes_at: Some(monday(10, 30)),
                answered: false,
            },
            monday(10, 0),
            Some(&policy),
            &calendar,
        );
        let resolution = of(&clocks, SlaMetric::Resolution);
        let later = standing(resolution, &calendar, monday(12, 0));
        assert_eq!(later.paused, Some(SlaPause::WindowClosed));
        assert_eq!(later.left_ms, 60 * HOUR - 30 * MINUTE_MS);
        assert_eq!(later.due_at, None);
        // A typhoon closure from 09:00 to 12:00 pushes a first response due.
        calendar.closures.push(Closure {
            starts_at: monday(9, 0),
            ends_at: Some(monday(12, 0)),
            reason: ClosureReason::Typhoon,
        });
        let clocks = apply(
            &[],
            &message(monday(9, 50)),
            monday(9, 50),
            Some(&policy),
            &calendar,
        );
        assert_eq!(
            standing_due(of(&clocks, SlaMetric::FirstResponse), &calendar),
            Some(monday(12, 30))
        );
    }

    #[test]
    fn a_wecom_session_held_elsewhere_stops_the_count_until_it_comes_back() {
        let calendar = desk();
        let policy = SlaPolicy {
            resolution_minutes: Some(60 * 60),
            ..policy()
        };
        let open_window = Some(monday(10, 0) + crate::reply_window::WINDOW_MS);
        let clocks = apply(
            &[],
            &Happening::ClientMessage {
                window_closes_at: open_window,
                answered: false,
            },
            monday(10, 0),
            Some(&policy),
            &calendar,
        );
        // At 10:20 a servicer takes the session in WeCom's own client:
        // nothing can be sent from the inbox, so nothing counts.
        let held = apply(
            &clocks,
            &Happening::WindowChanged {
                window_closes_at: Some(monday(10, 20)),
            },
            monday(10, 20),
            Some(&policy),
            &calendar,
        );
        let first = of(&held, SlaMetric::FirstResponse);
        let at_noon = standing(first, &calendar, monday(12, 0));
        assert_eq!(at_noon.paused, Some(SlaPause::WindowClosed));
        assert_eq!(at_noon.left_ms, first.target_ms - 20 * MINUTE_MS);
        // At 12:00 it comes back to the inbox: counting goes on from there.
        let back = apply(
            &held,
            &Happening::WindowChanged {
                window_closes_at: open_window,
            },
            monday(12, 0),
            Some(&policy),
            &calendar,
        );
        let first = of(&back, SlaMetric::FirstResponse);
        let later = standing(first, &calendar, monday(12, 5));
        assert_eq!(later.paused, None);
        assert_eq!(later.left_ms, first.target_ms - 25 * MINUTE_MS);
    }

    #[test]
    fn a_new_policy_changes_targets_of_open_clocks_and_none_drops_them() {
        let calendar = desk();
        let clocks = apply(
            &[],
            &message(monday(10, 0)),
            monday(10, 0),
            Some(&policy()),
            &calendar,
        );
        let vip = SlaPolicy {
            id: "vip".into(),
            first_response_minutes: Some(5),
            resolution_minutes: None,
            ..policy()
        };
        let clocks = apply(&clocks, &retarget(), monday(10, 2), Some(&vip), &calendar);
        assert_eq!(clocks.len(), 1);
        let first = of(&clocks, SlaMetric::FirstResponse);
        assert_eq!(
            (first.policy.as_str(), first.elapsed_ms),
            ("vip", 2 * MINUTE_MS)
        );
        assert_eq!(standing_due(first, &calendar), Some(monday(10, 5)));
        assert!(apply(&clocks, &retarget(), monday(10, 3), None, &calendar).is_empty());
    }

    #[test]
    fn reopening_by_hand_times_resolution_only() {
        let calendar = desk();
        let policy = policy();
        let clocks = apply(
            &[],
            &message(monday(10, 0)),
            monday(10, 0),
            Some(&policy),
            &calendar,
        );
        let clocks = apply(
            &clocks,
            &Happening::Resolved,
            monday(10, 5),
            Some(&policy),
            &calendar,
        );
        let clocks = apply(
            &clocks,
            &Happening::Resumed,
            monday(11, 0),
            Some(&policy),
            &calendar,
        );
        let open: Vec<SlaMetric> = clocks
            .iter()
            .filter(|c| c.is_open())
            .map(|c| c.metric)
            .collect();
        assert_eq!(open, vec![SlaMetric::Resolution]);
        // With no clock ever, reopening starts none.
        assert!(apply(
            &[],
            &Happening::Resumed,
            monday(11, 0),
            Some(&policy),
            &calendar
        )
        .is_empty());
    }

    #[test]
    fn a_new_policy_times_a_client_already_waiting_and_a_closed_window_shows() {
        let calendar = desk();
        let policy = policy();
        // Waiting since 10:00, answered before; the policy appears at 10:05.
        let clocks = apply(
            &[],
            &Happening::Retarget {
                waiting_since: Some(monday(10, 0)),
                resolved: false,
                answered: true,
                window_closes_at: Some(monday(10, 30)),
            },
            monday(10, 5),
            Some(&policy),
            &calendar,
        );
        let next = of(&clocks, SlaMetric::NextResponse);
        assert_eq!(next.elapsed_ms, 5 * MINUTE_MS);
        assert_eq!(
            standing(next, &calendar, monday(10, 5)).due_at,
            Some(monday(10, 20))
        );
        // Resolution is due after the window closes: it pauses at 10:30,
        // which is when the clocks are looked at again.
        assert_eq!(
            due_next(&clocks, &calendar, monday(10, 25)),
            Some(monday(10, 30))
        );
        let later = shown(&clocks, &calendar, monday(11, 0)).expect("shown");
        assert_eq!(later.metric, SlaMetric::NextResponse);
        assert_eq!(later.breached_at, None);
        // A reply is shown before an overdue resolution.
        let mut overdue = clocks.clone();
        for clock in overdue
            .iter_mut()
            .filter(|c| c.metric == SlaMetric::Resolution)
        {
            clock.breached_at = Some(monday(10, 1));
        }
        let first = shown(&overdue, &calendar, monday(10, 6)).expect("shown");
        assert_eq!(first.metric, SlaMetric::NextResponse);
        // With no hours at all, a running clock says the team is closed.
        let closed = TeamCalendar::default();
        let clocks = apply(
            &[],
            &message(monday(10, 0)),
            monday(10, 0),
            Some(&policy),
            &closed,
        );
        let status = shown(&clocks, &closed, monday(10, 0)).expect("shown");
        assert_eq!(
            (status.paused, status.due_at),
            (Some(SlaPause::Closed), None)
        );
    }

    #[test]
    fn out_of_order_events_never_count_backwards() {
        let calendar = desk();
        let clocks = apply(
            &[],
            &message(monday(10, 0)),
            monday(10, 0),
            Some(&policy()),
            &calendar,
        );
        let earlier = apply(
            &clocks,
            &message(monday(9, 59)),
            monday(9, 59),
            Some(&policy()),
            &calendar,
        );
        let first = of(&earlier, SlaMetric::FirstResponse);
        assert_eq!(
            (first.elapsed_ms, first.running_since),
            (0, Some(monday(10, 0)))
        );
    }
}
