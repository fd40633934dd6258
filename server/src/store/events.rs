//! The append-only, hash-chained event log: append inside a write
//! transaction, read after a `seq`, and verify the whole chain.
//!
//! `hash = sha256(prev_hash || canonical_bytes(event))`, where the canonical
//! bytes cover the payload only through its own sha256, so a later erasure can
//! replace a payload with a tombstone and the chain still verifies.

use super::{Store, Tx};
use crate::{on_read, on_tx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::api::Event;
use shared::{Seq, TeamId, UserId};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be appended.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: &'static str,
    pub actor: Option<UserId>,
    pub team: Option<TeamId>,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: &'static str, actor: Option<UserId>, payload: serde_json::Value) -> Self {
        NewEvent {
            kind,
            actor,
            team: None,
            payload,
        }
    }

    pub fn in_team(mut self, team: Option<TeamId>) -> Self {
        self.team = team;
        self
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: i64,
    kind: String,
    actor: Option<String>,
    team: Option<String>,
    payload: String,
    hash: String,
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    seq: i64,
    hash: String,
}

/// The fields the hash covers, in a fixed order.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: i64,
    kind: &'a str,
    actor: Option<&'a str>,
    team: Option<&'a str>,
    payload_sha256: String,
}

pub fn payload_digest(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

fn chain_hash(prev_hash: &str, c: &Canonical<'_>) -> String {
    let canonical = serde_json::to_vec(c).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(&canonical);
    hex::encode(hasher.finalize())
}

/// Appends events to the log inside `tx`. The head row is locked until
/// commit, so concurrent writers commit in `seq` order with no gaps.
pub async fn append(tx: &mut Tx, at: i64, events: &[NewEvent]) -> Result<Vec<Event>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let head_sql = format!(
        "SELECT seq, hash FROM event_head WHERE id = 1{}",
        tx.backend().for_update()
    );
    let head: HeadRow = on_tx!(tx, c => sqlx::query_as(&head_sql).fetch_one(&mut *c).await?);
    let (mut seq, mut hash) = (head.seq, head.hash);
    let mut appended = Vec::with_capacity(events.len());
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let payload = serde_json::to_string(&event.payload).unwrap_or_else(|_| "null".into());
        let actor = event.actor.map(|a| a.to_string());
        let team = event.team.map(|t| t.to_string());
        hash = chain_hash(
            &hash,
            &Canonical {
                seq,
                at,
                kind: event.kind,
                actor: actor.as_deref(),
                team: team.as_deref(),
                payload_sha256: payload_digest(&payload),
            },
        );
        rows.push((seq, event.kind, actor, team, payload, hash.clone()));
        appended.push(Event {
            seq: Seq(seq),
            at,
            kind: event.kind.to_owned(),
            actor: event.actor,
            team: event.team,
            payload: event.payload.clone(),
        });
    }
    // One statement per 1,000 events (7,000 values, under both backends' limits).
    for chunk in rows.chunks(1000) {
        let sql = format!(
            "INSERT INTO events (seq, at, kind, actor, team, payload, hash) VALUES {}",
            super::value_rows(chunk.len(), 7, 1)
        );
        on_tx!(tx, c => {
            let mut query = sqlx::query(&sql);
            for (seq, kind, actor, team, payload, hash) in chunk {
                query = query.bind(seq).bind(at).bind(kind).bind(actor).bind(team).bind(payload).bind(hash);
            }
            query.execute(&mut *c).await?.rows_affected()
        });
    }
    on_tx!(tx, c => {
        sqlx::query("UPDATE event_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&hash)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    super::dialect::announce_appended(tx, seq).await?;
    Ok(appended)
}

fn to_event(row: EventRow) -> Event {
    Event {
        seq: Seq(row.seq),
        at: row.at,
        kind: row.kind,
        actor: row.actor.and_then(|a| a.parse().ok()),
        team: row.team.and_then(|t| t.parse().ok()),
        payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
    }
}

/// Why `verify` stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainFault {
    /// The row at this position does not carry the expected `seq` (a row was deleted or moved).
    Gap { expected: i64, found: i64 },
    /// The stored hash does not match the recomputed one (a row was altered or reordered).
    HashMismatch { seq: i64 },
    /// The log ends before the head row says it should (rows were removed at the end).
    Truncated { last: i64, head: i64 },
}

impl ChainFault {
    /// The first `seq` that is not trustworthy.
    pub fn first_bad_seq(&self) -> i64 {
        match self {
            ChainFault::Gap { expected, .. } => *expected,
            ChainFault::HashMismatch { seq } => *seq,
            ChainFault::Truncated { last, .. } => last + 1,
        }
    }
}

impl std::fmt::Display for ChainFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainFault::Gap { expected, found } => {
                write!(f, "seq {expected} is missing (the next row is seq {found})")
            }
            ChainFault::HashMismatch { seq } => {
                write!(
                    f,
                    "seq {seq} does not match its hash: the row was altered or reordered"
                )
            }
            ChainFault::Truncated { last, head } => {
                write!(
                    f,
                    "seq {} is missing: the log ends at {last} but its head is {head}",
                    last + 1
                )
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub checked: i64,
    pub fault: Option<ChainFault>,
}

impl Store {
    /// Events with `seq > after`, oldest first, at most `limit`.
    pub async fn events_after(&self, after: Seq, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
        let rows: Vec<EventRow> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT seq, at, kind, actor, team, payload, hash FROM events \
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after.0)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(to_event).collect())
    }

    /// The newest committed `seq`.
    pub async fn head(&self) -> Result<Seq, sqlx::Error> {
        let seq: i64 = on_read!(self, pool => {
            sqlx::query_scalar("SELECT seq FROM event_head WHERE id = 1").fetch_one(pool).await?
        });
        Ok(Seq(seq))
    }

    /// Recomputes the whole chain and reports the first broken link.
    pub async fn verify_chain(&self) -> Result<VerifyReport, sqlx::Error> {
        const PAGE: i64 = 5_000;
        let mut prev_hash = GENESIS_HASH.to_owned();
        let mut expected = 1_i64;
        let mut cursor = 0_i64;
        loop {
            // Ordered by the physical position a reader sees, checked against seq.
            let rows: Vec<EventRow> = on_read!(self, pool => {
                sqlx::query_as(
                    "SELECT seq, at, kind, actor, team, payload, hash FROM events \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(cursor)
                .bind(PAGE)
                .fetch_all(pool)
                .await?
            });
            let page_len = rows.len() as i64;
            for row in rows {
                if row.seq != expected {
                    let fault = ChainFault::Gap {
                        expected,
                        found: row.seq,
                    };
                    return Ok(VerifyReport {
                        checked: expected - 1,
                        fault: Some(fault),
                    });
                }
                let recomputed = chain_hash(
                    &prev_hash,
                    &Canonical {
                        seq: row.seq,
                        at: row.at,
                        kind: &row.kind,
                        actor: row.actor.as_deref(),
                        team: row.team.as_deref(),
                        payload_sha256: payload_digest(&row.payload),
                    },
                );
                if recomputed != row.hash {
                    let fault = ChainFault::HashMismatch { seq: row.seq };
                    return Ok(VerifyReport {
                        checked: expected - 1,
                        fault: Some(fault),
                    });
                }
                prev_hash = row.hash;
                cursor = row.seq;
                expected += 1;
            }
            if page_len < PAGE {
                break;
            }
        }
        let last = expected - 1;
        let head: HeadRow = on_read!(self, pool => {
            sqlx::query_as("SELECT seq, hash FROM event_head WHERE id = 1").fetch_one(pool).await?
        });
        let fault = if head.seq != last {
            Some(ChainFault::Truncated {
                last,
                head: head.seq,
            })
        } else if head.hash != prev_hash {
            // The rows chain up but the head disagrees: the tail was rewritten.
            Some(ChainFault::HashMismatch { seq: last })
        } else {
            None
        };
        Ok(VerifyReport {
            checked: last,
            fault,
        })
    }
}
