//! Keeps SLA clocks (issue 14 §4): follows the event log after its own
//! cursor, turns client messages, people's replies and status changes into
//! what `crate::sla` makes of them, and writes the clocks, the warnings and
//! breaches it finds, and the headline the list shows, in the transaction
//! that moves the cursor (a compare-and-set: with two nodes one does a
//! batch, the other rolls back).
//!
//! Everything is decided in log order, as of each event's instant: a
//! durable timer job ([`TIMER_JOB`]) armed for the next warning or breach
//! does not decide anything itself, it appends an `sla.tick` event, so a
//! reply logged just before the deadline is always counted before the
//! deadline is looked at, however late the keeper reads. A closure, a
//! change of hours or of policies arms a timer for every conversation it
//! may move, one lock at a time.

use crate::automator::BATCH;
use crate::calendar::TeamCalendar;
use crate::clock::Clock;
use crate::error::AppResult;
use crate::reply_window::ContactWindow;
use crate::sla::{apply, crossed, headline, next_due, policy_for, standings, Happening};
use crate::store::automation::{advance_log_cursor, lock_conversation};
use crate::store::events::{append, NewEvent};
use crate::store::jobs::{enqueue, enqueue_many, Job, NewJob};
use crate::store::sla::{answered, keep_breach, save_clocks, save_headline, timed};
use crate::store::triage::insert_entry;
use crate::store::{Store, Tx};
use serde_json::json;
use shared::api::{Direction, Event, Status};
use shared::sla::{SlaMetric, SlaPolicy, MAX_TARGET_MINUTES};
use shared::{ConversationId, Seq, TeamId};
use std::collections::HashMap;

/// A conversation's SLA timer: `{conversation, retarget?}`. It appends an
/// `sla.tick` event for the keeper to read in order.
pub const TIMER_JOB: &str = "sla.timer";
/// The keeper's cursor row.
const CURSOR: &str = "sla";
const MINUTE_MS: i64 = 60_000;
/// A timer is retried for a long while rather than lost.
const TIMER_ATTEMPTS: i64 = 50;

/// What an event does to the clocks of the conversation it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ClientMessage,
    PersonReplied,
    Paused,
    Resumed,
    Resolved,
    Retarget,
    /// WeCom's session changed hands or ended: the window moved.
    Window,
    /// A timer: record what has come due.
    Look,
}

/// Whom an event concerns.
enum Touch {
    One(ConversationId, Kind),
    /// Every conversation with a clock running (and, for a change of
    /// policies, every client waiting): hours or a closure moved their
    /// due times, or another policy may apply.
    Every {
        retarget: bool,
    },
}

fn touch(event: &Event) -> Option<Touch> {
    let payload = &event.payload;
    let one = |kind| {
        let conversation = payload["conversation"].as_str()?.parse().ok()?;
        Some(Touch::One(conversation, kind))
    };
    match event.kind.as_str() {
        // Staff writing in WeCom's own client answer the client; event
        // pushes (follows, menu clicks) and the like ask for nothing.
        "message.received" if payload["kind"] == "servicer_message" => one(Kind::PersonReplied),
        // WeCom says who holds the session now (or that it ended).
        "message.received"
            if payload["kind"] == "event" && payload["body"] == "session_status_change" =>
        {
            one(Kind::Window)
        }
        "message.received" => {
            let opens = payload["opens_window"]
                .as_bool()
                .unwrap_or(payload["kind"] != "event");
            opens.then(|| one(Kind::ClientMessage)).flatten()
        }
        "message.queued" if event.actor.is_some() && payload.get("automated").is_none() => {
            one(Kind::PersonReplied)
        }
        "conversation.updated" => match payload["action"].as_str()? {
            "resolved" => one(Kind::Resolved),
            "pending" | "snoozed" => one(Kind::Paused),
            "reopened" | "woke" => one(Kind::Resumed),
            "labels" | "transferred" => one(Kind::Retarget),
            // The inbox took a WeCom session back, or ended someone's.
            "wecom_taken_back" | "wecom_session_ended" => one(Kind::Window),
            _ => None,
        },
        "sla.tick" if payload["retarget"] == true => one(Kind::Retarget),
        "sla.tick" => one(Kind::Look),
        "closure.started"
        | "closure.ended"
        | "team.hours_changed"
        | "team.exception_set"
        | "team.exception_removed"
        | "holiday.added"
        | "holiday.removed"
        | "holiday.imported" => Some(Touch::Every { retarget: false }),
        "sla_policy.saved" | "sla_policy.deleted" => Some(Touch::Every { retarget: true }),
        _ => None,
    }
}

/// When counting stops for a conversation's clocks, as of `at`: when its
/// reply window closes, or `at` when nothing can be sent.
fn window_bound(window: &ContactWindow, at: i64) -> Option<i64> {
    if window.refusal(at).is_some() {
        Some(at)
    } else {
        window.closes_at(at)
    }
}

/// A timer for `conversation` at `run_at`.
fn timer(conversation: ConversationId, run_at: i64, retarget: bool, now: i64) -> NewJob {
    let mut payload = json!({ "conversation": conversation });
    if retarget {
        payload["retarget"] = json!(true);
    }
    NewJob {
        run_at,
        max_attempts: TIMER_ATTEMPTS,
        ..NewJob::now(TIMER_JOB, payload, now)
    }
}

#[derive(Clone)]
pub struct SlaKeeper {
    pub store: Store,
    pub clock: Clock,
}

/// What one pass knows: the policies, and calendars by team.
struct Context {
    policies: Vec<SlaPolicy>,
    calendars: HashMap<Option<TeamId>, TeamCalendar>,
    now: i64,
}

impl SlaKeeper {
    pub fn new(store: Store, clock: Clock) -> Self {
        SlaKeeper { store, clock }
    }

    /// Follows the log until the node stops.
    pub async fn run(self, shutdown: crate::shutdown::Shutdown) {
        crate::automator::follow_log("SLA clocks", &shutdown, || self.pass()).await;
    }

    /// Reads one batch of events after the cursor and moves the clocks
    /// they touch; returns how many events it read (0: none, or another
    /// node took the batch).
    pub async fn pass(&self) -> AppResult<usize> {
        let from = self.store.log_cursor(CURSOR).await?;
        let events = self.store.events_after(Seq(from), BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq.0) else {
            return Ok(0);
        };
        let mut context = Context {
            policies: self.store.sla_policies().await?,
            calendars: HashMap::new(),
            now: self.clock.now(),
        };
        // With no policy and no clock running, nothing can change.
        let idle = context.policies.is_empty() && !self.store.any_clock_running().await?;
        let mut at = from;
        // A transfer is logged twice (for the team it left too).
        let mut last_entry = None;
        for event in events.iter().filter(|_| !idle) {
            let Some(touched) = touch(event) else {
                continue;
            };
            let entry = event.payload.get("message").cloned();
            if entry.is_some() && event.kind == "conversation.updated" {
                if last_entry == entry {
                    continue;
                }
                last_entry = entry;
            }
            let tx = match touched {
                Touch::One(conversation, kind) => {
                    if !self.worth_a_look(&context, conversation, kind).await? {
                        continue;
                    }
                    let mut tx = self.store.begin().await?;
                    if !advance_log_cursor(&mut tx, CURSOR, at, event.seq.0).await? {
                        // Another node took these events.
                        return Ok(0);
                    }
                    self.reconcile(&mut tx, &mut context, conversation, kind, event.at)
                        .await?;
                    tx
                }
                Touch::Every { retarget } => {
                    context.calendars.clear();
                    let conversations = self.store.timed_conversations(retarget).await?;
                    let mut tx = self.store.begin().await?;
                    if !advance_log_cursor(&mut tx, CURSOR, at, event.seq.0).await? {
                        return Ok(0);
                    }
                    let now = context.now;
                    let timers: Vec<NewJob> = conversations
                        .into_iter()
                        .map(|c| timer(c, now, retarget, now))
                        .collect();
                    enqueue_many(&mut tx, now, &timers).await?;
                    tx
                }
            };
            let committed = self.store.commit(tx).await;
            committed?;
            at = event.seq.0;
        }
        if at < last {
            let mut tx = self.store.begin().await?;
            if !advance_log_cursor(&mut tx, CURSOR, at, last).await? {
                return Ok(0);
            }
            tx.commit_quietly().await?;
        }
        Ok(events.len())
    }

    /// Whether an event could change `conversation`'s clocks, read without
    /// a lock: one with no clock, under no policy, is left alone (a change
    /// that brings it under one is an event of its own).
    async fn worth_a_look(
        &self,
        context: &Context,
        conversation: ConversationId,
        kind: Kind,
    ) -> AppResult<bool> {
        let Some((team, labels, timed)) = self.store.sla_candidate(conversation).await? else {
            return Ok(false);
        };
        let may_start = matches!(kind, Kind::ClientMessage | Kind::Resumed | Kind::Retarget);
        Ok(timed || (may_start && policy_for(&context.policies, team, &labels).is_some()))
    }

    /// A conversation's timer ran out: log a tick, for the keeper to read
    /// in order after everything logged before it.
    pub async fn run_timer(&self, job: Job) -> Result<(), String> {
        let conversation: ConversationId = job.names("conversation")?;
        let payload = job.payload_json()?;
        let mut tick = json!({ "conversation": conversation });
        if payload["retarget"] == true {
            tick["retarget"] = json!(true);
        }
        let work = async {
            let mut tx = self.store.begin().await?;
            append(
                &mut tx,
                self.clock.now(),
                &[NewEvent::new("sla.tick", None, tick)],
            )
            .await?;
            self.store.commit(tx).await?;
            AppResult::Ok(())
        };
        work.await.map_err(|e| e.to_string())
    }

    /// Moves `conversation`'s clocks for what happened at `at`, records the
    /// warnings and breaches that came due by then, and keeps the headline
    /// and the timer.
    async fn reconcile(
        &self,
        tx: &mut Tx,
        context: &mut Context,
        conversation: ConversationId,
        kind: Kind,
        at: i64,
    ) -> AppResult<()> {
        if lock_conversation(tx, conversation).await?.is_none() {
            return Ok(());
        }
        let Some(found) = timed(tx, conversation).await? else {
            return Ok(());
        };
        let now = context.now;
        let calendar = match context.calendars.get(&found.team) {
            Some(calendar) => calendar.clone(),
            None => {
                // Closures over since then too: a clock counted through them.
                let since = now - MAX_TARGET_MINUTES * MINUTE_MS;
                let (calendar, _) = self.store.calendar_of(found.team, since).await?;
                context.calendars.insert(found.team, calendar.clone());
                calendar
            }
        };
        let policy = policy_for(&context.policies, found.team, &found.labels);
        let mut clocks = found.clocks.clone();
        // What came due before this happened (a reply after the breach).
        self.record(
            tx,
            context,
            conversation,
            found.team,
            &calendar,
            &mut clocks,
            at,
        )
        .await?;
        let window = match kind {
            Kind::ClientMessage => {
                // While a servicer holds the session in WeCom's own client,
                // the message is theirs: the inbox can send nothing.
                let held = self
                    .store
                    .reply_target(conversation)
                    .await?
                    .is_some_and(|target| target.window().held_at(at));
                Some(if held {
                    at
                } else {
                    at + crate::reply_window::WINDOW_MS
                })
            }
            Kind::PersonReplied | Kind::Retarget | Kind::Window => {
                match self.store.reply_target(conversation).await? {
                    Some(target) => window_bound(&target.window(), at),
                    None => None,
                }
            }
            _ => None,
        };
        let happening = match kind {
            Kind::ClientMessage => Some(Happening::ClientMessage {
                window_closes_at: window,
                answered: answered(tx, conversation, at).await?,
            }),
            Kind::PersonReplied => Some(Happening::PersonReplied {
                window_closes_at: window,
            }),
            Kind::Paused => Some(Happening::Paused),
            Kind::Window => Some(Happening::WindowChanged {
                window_closes_at: window,
            }),
            Kind::Resumed => Some(Happening::Resumed),
            Kind::Resolved => Some(Happening::Resolved),
            Kind::Retarget => Some(Happening::Retarget {
                waiting_since: found.waiting_since.filter(|_| found.status == Status::Open),
                resolved: found.status == Status::Resolved,
                answered: answered(tx, conversation, at).await?,
                window_closes_at: window,
            }),
            Kind::Look => None,
        };
        if let Some(happening) = happening {
            clocks = apply(&clocks, &happening, at, policy, &calendar);
        }
        if clocks != found.clocks {
            save_clocks(tx, conversation, &clocks).await?;
        }
        let standing = standings(&clocks, &calendar, at);
        let shown = headline(&standing);
        let shown_text = shown
            .as_ref()
            .map(|s| serde_json::to_string(s).unwrap_or_default());
        let timer_at = next_due(&standing, at);
        // A timer armed for a time gone by has run (or died): arm again.
        let stale = found.timer_at.is_some_and(|armed| armed <= at);
        if shown_text == found.shown && timer_at == found.timer_at && !stale {
            return Ok(());
        }
        save_headline(tx, conversation, shown_text.as_deref(), timer_at).await?;
        if let Some(run_at) = timer_at.filter(|t| Some(*t) != found.timer_at || stale) {
            enqueue(tx, now, &timer(conversation, run_at, false, now)).await?;
        }
        if shown_text != found.shown {
            let payload = json!({ "conversation": conversation, "sla": shown });
            append(
                tx,
                now,
                &[NewEvent::new("conversation.sla", None, payload).in_team(found.team)],
            )
            .await?;
        }
        Ok(())
    }

    /// Records the warnings and breaches `clocks` have reached by `at`
    /// and not recorded: an event each, and a timeline entry for a breach.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        tx: &mut Tx,
        context: &Context,
        conversation: ConversationId,
        team: Option<TeamId>,
        calendar: &TeamCalendar,
        clocks: &mut [crate::sla::Clock],
        at: i64,
    ) -> AppResult<()> {
        let now = context.now;
        for clock in clocks.iter_mut() {
            let due = crossed(clock, &crate::sla::standing(clock, calendar, at), at);
            let policy_name = context
                .policies
                .iter()
                .find(|p| p.id == clock.policy)
                .map(|p| p.name.clone());
            if let Some(warned) = due.warned {
                clock.warned_at = Some(warned);
                let payload = json!({
                    "conversation": conversation,
                    "metric": clock.metric,
                    "policy": clock.policy,
                    "policy_name": policy_name,
                    "due_at": warned + clock.warn_ms,
                });
                append(
                    tx,
                    now,
                    &[NewEvent::new("sla.warning", None, payload).in_team(team)],
                )
                .await?;
            }
            if let Some(breached) = due.breached {
                clock.breached_at = Some(breached);
                keep_breach(tx, conversation, clock.metric, team, breached).await?;
                let minutes = clock.target_ms / MINUTE_MS;
                let fields = json!({
                    "metric": clock.metric,
                    "target_minutes": minutes,
                    "policy_name": policy_name,
                    "breached_at": breached,
                });
                let sentence = format!(
                    "SLA breached: {} target of {minutes} business minutes missed",
                    metric_words(clock.metric)
                );
                let entry = insert_entry(
                    tx,
                    now,
                    conversation,
                    Direction::Activity,
                    "sla_breached",
                    &sentence,
                    &fields,
                    None,
                )
                .await?;
                let payload = json!({
                    "conversation": conversation,
                    "message": entry,
                    "metric": clock.metric,
                    "policy": clock.policy,
                    "policy_name": policy_name,
                    "target_ms": clock.target_ms,
                    "breached_at": breached,
                    "text": sentence,
                });
                append(
                    tx,
                    now,
                    &[NewEvent::new("sla.breached", None, payload).in_team(team)],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// A metric in the English of the event log.
fn metric_words(metric: SlaMetric) -> &'static str {
    match metric {
        SlaMetric::FirstResponse => "first response",
        SlaMetric::NextResponse => "next response",
        SlaMetric::Resolution => "resolution",
    }
}
