//! Runs automation (issue 14 §2): reads the event log after its cursor,
//! turns client messages and conversation changes into moments, reads each
//! moment's facts (the team's calendar at that instant, the reply window),
//! lets `crate::automation` decide, and writes the plans in the same
//! transaction that moves the cursor. Moving the cursor is a compare-and-set,
//! so with two nodes on PostgreSQL one of them does a batch and the other
//! rolls back; `rule_runs` keeps each rule's run on a moment once even so.
//! Time-based rules arm durable timer jobs ([`TIMER_JOB`]) that check, when
//! they run, that the client is still waiting.

use crate::automation::{evaluate, ClosureNow, Facts, Fired, Plan};
use crate::calendar::{Status as Hours, TeamCalendar};
use crate::clock::Clock;
use crate::error::AppResult;
use crate::store::automation::{advance_cursor, apply_plan, lock_conversation};
use crate::store::calendar::closure_of;
use crate::store::jobs::{enqueue, Job, NewJob};
use crate::store::Store;
use serde_json::json;
use shared::api::{ClosureView, Event};
use shared::automation::{DryRun, DryRunHit, RuleView, Trigger};
use shared::{ConversationId, MessageId, Seq, TeamId};
use std::collections::HashMap;
use std::time::Duration;

/// A time-based rule's timer: `{rule, conversation, message, waiting_since}`.
pub const TIMER_JOB: &str = "automation.timer";
/// Events a log follower reads per pass.
pub const BATCH: i64 = 200;
/// How often the log is looked at when idle.
const POLL: Duration = Duration::from_millis(250);
const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;
/// How far back a dry run looks, and how much it reads and reports.
const DRY_RUN_DAYS: i64 = 7;
const DRY_RUN_EVENTS: i64 = 20_000;
const DRY_RUN_HITS: usize = 200;

/// Something that happened to a conversation that rules may act on.
struct Moment {
    /// The event's seq.
    seq: i64,
    conversation: ConversationId,
    fired: Fired,
    /// The moment's key in `rule_runs`.
    key: String,
    at: i64,
    /// The client's message, for a message moment.
    message: Option<MessageId>,
    /// The rule whose own change this is.
    caused_by: Option<String>,
}

/// The moment an event is, if rules may act on it.
fn moment(event: &Event) -> Option<Moment> {
    let payload = &event.payload;
    let conversation: ConversationId = payload["conversation"].as_str()?.parse().ok()?;
    if event.kind == "sla.warning" {
        // Once per clock's warning: the metric and its due time name it.
        let key = format!("sla:{}:{}", payload["metric"].as_str()?, payload["due_at"]);
        return Some(Moment {
            seq: event.seq.0,
            conversation,
            fired: Fired::Change {
                action: "sla_warning".into(),
            },
            key,
            at: event.at,
            message: None,
            caused_by: None,
        });
    }
    let entry = payload["message"].as_str()?;
    match event.kind.as_str() {
        "message.received" => Some(Moment {
            seq: event.seq.0,
            conversation,
            // Filled in from the message's facts.
            fired: Fired::Message {
                first: false,
                reopened: false,
            },
            key: format!("msg:{entry}"),
            at: event.at,
            message: entry.parse().ok(),
            caused_by: None,
        }),
        "conversation.updated" => Some(Moment {
            seq: event.seq.0,
            conversation,
            fired: Fired::Change {
                action: payload["action"].as_str()?.to_owned(),
            },
            key: format!("entry:{entry}"),
            at: event.at,
            message: None,
            caused_by: payload["fields"]["rule"].as_str().map(str::to_owned),
        }),
        _ => None,
    }
}

/// Whether any rule (or a closure's reply) could act on `fired`: when none
/// can, the moment's facts are not read at all.
fn interesting(rules: &[RuleView], closures: &[ClosureView], fired: &Fired) -> bool {
    let message = matches!(fired, Fired::Message { .. });
    (message
        && closures
            .iter()
            .any(|c| c.reply_en.is_some() || c.reply_zh.is_some()))
        || rules.iter().filter(|r| r.enabled).any(|r| {
            matches!(
                (&r.trigger, fired),
                (
                    Trigger::MessageReceived { .. }
                        | Trigger::ConversationCreated
                        | Trigger::Reopened
                        | Trigger::NoAgentReply { .. }
                        | Trigger::WaitingOver { .. },
                    Fired::Message { .. },
                ) | (
                    Trigger::Reopened
                        | Trigger::Assigned
                        | Trigger::Resolved
                        | Trigger::SnoozeEnded
                        | Trigger::SlaAtRisk,
                    Fired::Change { .. },
                )
            )
        })
}

/// Runs `pass` (one batch of the log after a follower's cursor; how many
/// events it read) until the node stops: at once again after a full batch,
/// else after a short wait. `who` names the follower in warnings.
pub async fn follow_log<F, Fut>(who: &str, shutdown: &crate::shutdown::Shutdown, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = AppResult<usize>>,
{
    loop {
        if shutdown.is_begun() {
            return;
        }
        let more = match pass().await {
            Ok(read) => read as i64 == BATCH,
            Err(e) => {
                tracing::warn!(error = %e, follower = who, "could not read the log");
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

#[derive(Clone)]
pub struct Automator {
    pub store: Store,
    pub clock: Clock,
}

/// What one moment comes to: the plans to write and the timers to arm.
struct Decided {
    seq: i64,
    conversation: ConversationId,
    key: String,
    plans: Vec<Plan>,
    timers: Vec<NewJob>,
}

impl Automator {
    pub fn new(store: Store, clock: Clock) -> Self {
        Automator { store, clock }
    }

    /// Follows the log until the node stops.
    pub async fn run(self, shutdown: crate::shutdown::Shutdown) {
        follow_log("automation", &shutdown, || self.pass()).await;
    }

    /// Reads one batch of events after the cursor and writes what rules do
    /// with them; returns how many events it read (0: none, or another node
    /// took the batch).
    pub async fn pass(&self) -> AppResult<usize> {
        let from = self.store.automation_cursor().await?;
        let events = self.store.events_after(Seq(from), BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq.0) else {
            return Ok(0);
        };
        let now = self.clock.now();
        let moments: Vec<Moment> = events.iter().filter_map(moment).collect();
        let mut decided = Vec::new();
        if !moments.is_empty() {
            let rules: Vec<RuleView> = self.store.rules().await?;
            let closures = self.store.closures(now).await?;
            let mut calendars = HashMap::new();
            for mut moment in moments {
                if !interesting(&rules, &closures, &moment.fired) {
                    continue;
                }
                if let Some(done) = self
                    .decide(&rules, &mut moment, &mut calendars, now)
                    .await?
                {
                    decided.push(done);
                }
            }
        }
        // One transaction per moment that does something, each moving the
        // cursor up to its event: locks are held for one conversation at a
        // time, never across the batch.
        let mut at = from;
        for done in &decided {
            if done.plans.is_empty() && done.timers.is_empty() {
                continue;
            }
            let mut tx = self.store.begin().await?;
            if !advance_cursor(&mut tx, at, done.seq).await? {
                // Another node took these events.
                return Ok(0);
            }
            if let Some(team_now) = lock_conversation(&mut tx, done.conversation).await? {
                for plan in &done.plans {
                    apply_plan(&mut tx, now, done.conversation, team_now, &done.key, plan).await?;
                }
            }
            for timer in &done.timers {
                enqueue(&mut tx, now, timer).await?;
            }
            self.store.commit(tx).await?;
            at = done.seq;
        }
        if at < last {
            let mut tx = self.store.begin().await?;
            if !advance_cursor(&mut tx, at, last).await? {
                return Ok(0);
            }
            tx.commit_quietly().await?;
        }
        Ok(events.len())
    }

    /// The facts of a moment and what the rules make of it.
    async fn decide(
        &self,
        rules: &[RuleView],
        moment: &mut Moment,
        calendars: &mut HashMap<Option<TeamId>, (TeamCalendar, Vec<ClosureView>)>,
        now: i64,
    ) -> AppResult<Option<Decided>> {
        let text = match moment.message {
            Some(message) => {
                let Some(found) = self.store.message_facts(message).await? else {
                    return Ok(None);
                };
                moment.fired = Fired::Message {
                    first: found.first,
                    reopened: found.reopened,
                };
                found.body
            }
            None => None,
        };
        let Some((mut facts, waiting_since)) = self
            .facts(moment.conversation, moment.at, text, calendars, now)
            .await?
        else {
            return Ok(None);
        };
        facts.caused_by = moment.caused_by.clone();
        let plans = evaluate(rules, &moment.fired, &facts, now);
        let timers = match (&moment.fired, moment.message) {
            (Fired::Message { .. }, Some(message)) => {
                arm_timers(rules, &facts, moment, message, waiting_since)
            }
            _ => Vec::new(),
        };
        Ok(Some(Decided {
            seq: moment.seq,
            conversation: moment.conversation,
            key: moment.key.clone(),
            plans,
            timers,
        }))
    }

    /// What a rule decides from, about `conversation` at instant `at`,
    /// with when the client began to wait (as read now).
    async fn facts(
        &self,
        conversation: ConversationId,
        at: i64,
        text: Option<String>,
        calendars: &mut HashMap<Option<TeamId>, (TeamCalendar, Vec<ClosureView>)>,
        now: i64,
    ) -> AppResult<Option<(Facts, Option<i64>)>> {
        let Some(found) = self
            .store
            .conversation_facts(conversation, now - HOUR_MS)
            .await?
        else {
            return Ok(None);
        };
        let target = &found.target;
        let team = found.team();
        if let std::collections::hash_map::Entry::Vacant(slot) = calendars.entry(team) {
            slot.insert(self.store.calendar_of(team, now).await?);
        }
        let (calendar, views) = &calendars[&team];
        let hours = calendar.status(at);
        let closure = views
            .iter()
            .filter(|c| c.starts_at <= at && c.ends_at.is_none_or(|end| at < end))
            .find(|_| matches!(hours, Hours::Closed { .. }))
            .map(|c| ClosureNow {
                id: c.id.clone(),
                reason: closure_of(c).reason,
                reply_en: c.reply_en.clone(),
                reply_zh: c.reply_zh.clone(),
            });
        let waiting_since = found.waiting_since;
        Ok(Some((
            Facts {
                channel_kind: target.channel_kind.clone(),
                team,
                team_name: found.team_name.clone(),
                contact_name: found.contact_name.clone(),
                status: found.status,
                priority: found.priority(),
                assignee: found.assignee(),
                tags: found.tags(),
                text,
                closed_since: calendar.closed_since(at),
                hours,
                closure,
                auto_replied_at: target.auto_replied_at,
                window_refusal: target.window().refusal(now),
                recent_runs: found.recent_runs,
                caused_by: None,
            },
            waiting_since,
        )))
    }

    /// A time-based rule's timer ran out: when the client still waits as
    /// it did, the rule decides and acts, once per message it waited on.
    pub async fn run_timer(&self, job: Job) -> Result<(), String> {
        let payload = job.payload_json()?;
        let rule_id = payload["rule"].as_str().ok_or("the timer names no rule")?;
        let conversation: ConversationId = job.names("conversation")?;
        let message: MessageId = job.names("message")?;
        let now = self.clock.now();
        let fail = |e: crate::error::AppError| e.to_string();
        let Some(rule) = self.store.rule(rule_id).await.map_err(fail)? else {
            return Ok(());
        };
        let Some(waiting) = self
            .store
            .conversation_facts(conversation, now)
            .await
            .map_err(fail)?
        else {
            return Ok(());
        };
        let Some(found) = self.store.message_facts(message).await.map_err(fail)? else {
            return Ok(());
        };
        let still = match rule.trigger {
            // Nobody has answered, and the client has not written since.
            Trigger::NoAgentReply { .. } => waiting.waiting_since.is_some() && found.latest,
            // The same wait goes on.
            Trigger::WaitingOver { .. } => {
                waiting.waiting_since.is_some()
                    && waiting.waiting_since == payload["waiting_since"].as_i64()
            }
            _ => false,
        };
        if !still {
            return Ok(());
        }
        let mut calendars = HashMap::new();
        let Some((facts, _)) = self
            .facts(conversation, now, found.body, &mut calendars, now)
            .await
            .map_err(fail)?
        else {
            return Ok(());
        };
        let fired = Fired::Timer {
            rule: rule.id.clone(),
        };
        let plans = evaluate(std::slice::from_ref(&rule), &fired, &facts, now);
        let mut tx = self.store.begin().await.map_err(|e| e.to_string())?;
        let Some(team_now) = lock_conversation(&mut tx, conversation)
            .await
            .map_err(fail)?
        else {
            return Ok(());
        };
        let key = format!("timer:{message}");
        for plan in &plans {
            apply_plan(&mut tx, now, conversation, team_now, &key, plan)
                .await
                .map_err(fail)?;
        }
        self.store.commit(tx).await.map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Automator {
    /// What `rule` would have done on the conversations of the last
    /// [`DRY_RUN_DAYS`] days: each client message and change replayed
    /// against the calendar as it stood then and the conversation as it is
    /// now, without the guards that depend on what automation did (a dry
    /// run has not replied). A time-based rule is judged at its timer's end.
    pub async fn dry_run(&self, rule: &RuleView) -> AppResult<DryRun> {
        let now = self.clock.now();
        let since = now - DRY_RUN_DAYS * 24 * HOUR_MS;
        let events = self
            .store
            .events_since(
                since,
                &["message.received", "conversation.updated"],
                DRY_RUN_EVENTS,
            )
            .await?;
        let rules = std::slice::from_ref(rule);
        let mut calendars = HashMap::new();
        let mut examined = 0;
        let mut hits = Vec::new();
        for event in &events {
            let Some(mut moment) = moment(event) else {
                continue;
            };
            if !interesting(rules, &[], &moment.fired) {
                continue;
            }
            examined += 1;
            let mut at = moment.at;
            let text = match moment.message {
                Some(message) => match self.store.message_facts(message).await? {
                    Some(found) => {
                        moment.fired = match rule.trigger.delay_minutes() {
                            Some(minutes) => {
                                at += minutes * MINUTE_MS;
                                if at > now {
                                    continue;
                                }
                                Fired::Timer {
                                    rule: rule.id.clone(),
                                }
                            }
                            None => Fired::Message {
                                first: found.first,
                                reopened: found.reopened,
                            },
                        };
                        found.body
                    }
                    None => continue,
                },
                None => None,
            };
            let Some((mut facts, _)) = self
                .facts(moment.conversation, at, text, &mut calendars, now)
                .await?
            else {
                continue;
            };
            facts.auto_replied_at = None;
            facts.window_refusal = None;
            facts.recent_runs = 0;
            facts.closure = None;
            for plan in evaluate(rules, &moment.fired, &facts, at) {
                if plan.rule != rule.id {
                    continue;
                }
                if hits.len() < DRY_RUN_HITS {
                    hits.push(DryRunHit {
                        conversation: moment.conversation,
                        at,
                        why: plan.why.sentence(),
                        actions: plan.steps.iter().map(crate::automation::describe).collect(),
                    });
                }
            }
        }
        Ok(DryRun { examined, hits })
    }
}

/// Timers for the time-based rules a client's message starts: "no reply
/// for N minutes" from every message, "waiting over N minutes" from the
/// message that began the wait.
fn arm_timers(
    rules: &[RuleView],
    facts: &Facts,
    moment: &Moment,
    message: MessageId,
    waiting_since: Option<i64>,
) -> Vec<NewJob> {
    rules
        .iter()
        .filter(|r| r.enabled && r.team.is_none_or(|t| Some(t) == facts.team))
        .filter_map(|rule| {
            let minutes = rule.trigger.delay_minutes()?;
            if matches!(rule.trigger, Trigger::WaitingOver { .. })
                && waiting_since != Some(moment.at)
            {
                return None;
            }
            let payload = json!({
                "rule": rule.id,
                "conversation": moment.conversation,
                "message": message,
                "waiting_since": waiting_since,
            });
            Some(NewJob {
                run_at: moment.at + minutes * MINUTE_MS,
                ..NewJob::now(TIMER_JOB, payload, moment.at)
            })
        })
        .collect()
}
