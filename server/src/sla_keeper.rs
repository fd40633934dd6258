//! Keeps SLA clocks (issue 14 §4): follows the event log after its own
//! cursor, turns client messages, people's replies and status changes into
//! what `crate::sla` makes of them, and writes the clocks, the warnings and
//! breaches it finds, and the headline the list shows, in the transaction
//! that moves the cursor (a compare-and-set: with two nodes one does a
//! batch, the other rolls back). A durable timer job ([`TIMER_JOB`]) per
//! conversation wakes it when a warning or breach comes due; it reads the
//! clocks again under the conversation's lock, so a rerun or a second node
//! records each warning and breach once. A closure or a policy change
//! looks at every conversation with a clock running.

use crate::calendar::TeamCalendar;
use crate::clock::Clock;
use crate::error::AppResult;
use crate::reply_window::ContactWindow;
use crate::sla::{apply, crossed, headline, next_due, policy_for, Happening};
use crate::store::automation::{advance_log_cursor, lock_conversation};
use crate::store::events::{append, NewEvent};
use crate::store::jobs::{enqueue, Job, NewJob};
use crate::store::sla::{save_clocks, save_headline, timed};
use crate::store::triage::insert_entry;
use crate::store::{Store, Tx};
use serde_json::json;
use shared::api::{Direction, Event};
use shared::sla::{SlaMetric, SlaPolicy, MAX_TARGET_MINUTES};
use shared::{ConversationId, Seq, TeamId};
use std::collections::HashMap;
use std::time::Duration;

/// A conversation's SLA timer: `{conversation}`.
pub const TIMER_JOB: &str = "sla.timer";
/// The keeper's cursor row.
const CURSOR: &str = "sla";
const BATCH: i64 = 200;
const POLL: Duration = Duration::from_millis(250);
const MINUTE_MS: i64 = 60_000;

/// What an event does to the clocks of the conversation it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ClientMessage,
    PersonReplied,
    Paused,
    Resumed,
    Resolved,
    Retarget,
}

/// Whom an event concerns.
enum Touch {
    One(ConversationId, Kind),
    /// Every conversation with a clock running: hours or a closure moved
    /// their due times, or a policy changed.
    EveryTimed {
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
        "message.received" => one(Kind::ClientMessage),
        "message.queued" if event.actor.is_some() && payload.get("automated").is_none() => {
            one(Kind::PersonReplied)
        }
        "conversation.updated" => match payload["action"].as_str()? {
            "resolved" => one(Kind::Resolved),
            "pending" | "snoozed" => one(Kind::Paused),
            "reopened" | "woke" => one(Kind::Resumed),
            "labels" | "transferred" => one(Kind::Retarget),
            _ => None,
        },
        "closure.started"
        | "closure.ended"
        | "team.hours_changed"
        | "team.exception_set"
        | "team.exception_removed"
        | "holiday.added"
        | "holiday.removed"
        | "holiday.imported" => Some(Touch::EveryTimed { retarget: false }),
        "sla_policy.saved" | "sla_policy.deleted" => Some(Touch::EveryTimed { retarget: true }),
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
        loop {
            if shutdown.is_begun() {
                return;
            }
            let more = match self.pass().await {
                Ok(read) => read as i64 == BATCH,
                Err(e) => {
                    tracing::warn!(error = %e, "SLA clocks could not read the log");
                    false
                }
            };
            if !more {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = shutdown.begun() => return,
                }
            }
        }
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
        let idle =
            context.policies.is_empty() && self.store.timed_conversations().await?.is_empty();
        let mut at = from;
        for event in events.iter().filter(|_| !idle) {
            let work = match touch(event) {
                None => continue,
                Some(Touch::One(conversation, kind)) => vec![(conversation, Some(kind))],
                Some(Touch::EveryTimed { retarget }) => {
                    context.calendars.clear();
                    let kind = retarget.then_some(Kind::Retarget);
                    self.store
                        .timed_conversations()
                        .await?
                        .into_iter()
                        .map(|c| (c, kind))
                        .collect()
                }
            };
            let mut tx = self.store.begin().await?;
            if !advance_log_cursor(&mut tx, CURSOR, at, event.seq.0).await? {
                // Another node took these events.
                return Ok(0);
            }
            for (conversation, kind) in work {
                self.reconcile(&mut tx, &mut context, conversation, kind, event.at)
                    .await?;
            }
            self.store.commit(tx).await?;
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

    /// A conversation's timer ran out: record what came due and arm the next.
    pub async fn run_timer(&self, job: Job) -> Result<(), String> {
        let conversation: ConversationId = job.names("conversation")?;
        let mut context = Context {
            policies: self.store.sla_policies().await.map_err(|e| e.to_string())?,
            calendars: HashMap::new(),
            now: self.clock.now(),
        };
        let work = async {
            let mut tx = self.store.begin().await?;
            let now = context.now;
            self.reconcile(&mut tx, &mut context, conversation, None, now)
                .await?;
            self.store.commit(tx).await?;
            AppResult::Ok(())
        };
        work.await.map_err(|e| e.to_string())
    }

    /// Moves `conversation`'s clocks for what happened at `at` (`None`:
    /// nothing, look again), records the warnings and breaches that came
    /// due, and keeps the headline and the timer.
    async fn reconcile(
        &self,
        tx: &mut Tx,
        context: &mut Context,
        conversation: ConversationId,
        kind: Option<Kind>,
        at: i64,
    ) -> AppResult<()> {
        if lock_conversation(tx, conversation).await?.is_none() {
            return Ok(());
        }
        let Some(found) = timed(tx, conversation).await? else {
            return Ok(());
        };
        // Only a message or a reopening starts clocks, and only under a policy.
        let may_start = matches!(kind, Some(Kind::ClientMessage | Kind::Resumed))
            && !context.policies.is_empty();
        if found.clocks.is_empty() && !may_start {
            return Ok(());
        }
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
        if let Some(kind) = kind {
            let window = match kind {
                Kind::ClientMessage | Kind::PersonReplied => {
                    match self.store.reply_target(conversation).await? {
                        Some(target) => window_bound(&target.window(), at),
                        None => None,
                    }
                }
                _ => None,
            };
            let happening = match kind {
                Kind::ClientMessage => Happening::ClientMessage {
                    window_closes_at: window,
                },
                Kind::PersonReplied => Happening::PersonReplied {
                    window_closes_at: window,
                },
                Kind::Paused => Happening::Paused,
                Kind::Resumed => Happening::Resumed,
                Kind::Resolved => Happening::Resolved,
                Kind::Retarget => Happening::Retarget,
            };
            clocks = apply(&clocks, &happening, at, policy, &calendar);
        }
        // What is due by now (the keeper may read the log late).
        self.record(
            tx,
            context,
            conversation,
            found.team,
            &calendar,
            &mut clocks,
            now,
        )
        .await?;
        if clocks != found.clocks {
            save_clocks(tx, conversation, &clocks).await?;
        }
        let shown = headline(&clocks, &calendar, now);
        let shown_text = shown
            .as_ref()
            .map(|s| serde_json::to_string(s).unwrap_or_default());
        let timer_at = next_due(&clocks, &calendar, now);
        if shown_text == found.shown && timer_at == found.timer_at {
            return Ok(());
        }
        save_headline(tx, conversation, shown_text.as_deref(), timer_at).await?;
        if let Some(run_at) = timer_at.filter(|t| Some(*t) != found.timer_at) {
            let job = NewJob {
                run_at,
                ..NewJob::now(TIMER_JOB, json!({ "conversation": conversation }), now)
            };
            enqueue(tx, now, &job).await?;
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
            let due = crossed(clock, calendar, at);
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
