//! The append-only, hash-chained event log: append inside a write
//! transaction, read after a `seq`, and verify the whole chain.
//!
//! `hash = sha256(prev_hash || canonical_bytes(event))`, where the canonical
//! bytes cover the payload only through its own sha256 (kept in
//! `payload_sha256`), so a later erasure can replace a payload with a
//! tombstone and the chain still verifies. The same bytes are the leaves of
//! the Merkle tree that signed checkpoints cover (`crate::checkpoints`).

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
    payload_sha256: Option<String>,
}

impl EventRow {
    /// The payload's digest as the chain covers it: the one recorded
    /// beside a tombstone, else the payload's own.
    fn digest(&self) -> String {
        match &self.payload_sha256 {
            Some(recorded) if is_tombstone(&self.payload) => recorded.clone(),
            _ => payload_digest(&self.payload),
        }
    }

    /// The fields the chain and the tree cover, with the payload's digest.
    fn canonical_with(&self, payload_sha256: String) -> Canonical<'_> {
        Canonical {
            seq: self.seq,
            at: self.at,
            kind: &self.kind,
            actor: self.actor.as_deref(),
            team: self.team.as_deref(),
            payload_sha256,
        }
    }
}

/// A payload that replaced an erased one: exactly
/// `{"tombstone":{"reason":"…"}}` (the database refuses any other).
pub fn is_tombstone(payload: &str) -> bool {
    if !payload.contains("tombstone") {
        return false;
    }
    let Ok(serde_json::Value::Object(outer)) = serde_json::from_str(payload) else {
        return false;
    };
    match (outer.len(), outer.get("tombstone")) {
        (1, Some(serde_json::Value::Object(inner))) => {
            inner.len() == 1 && inner.get("reason").is_some_and(|r| r.is_string())
        }
        _ => false,
    }
}

const EVENT_COLUMNS: &str = "seq, at, kind, actor, team, payload, hash, payload_sha256";

#[derive(sqlx::FromRow)]
struct HeadRow {
    seq: i64,
    hash: String,
}

/// The fields the hash covers, in a fixed order: their JSON (serde_json,
/// no spaces, fields in this order) is an event's canonical bytes.
#[derive(Serialize)]
pub struct Canonical<'a> {
    pub seq: i64,
    pub at: i64,
    pub kind: &'a str,
    pub actor: Option<&'a str>,
    pub team: Option<&'a str>,
    pub payload_sha256: String,
}

impl Canonical<'_> {
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The Merkle tree's leaf value: the SHA-256 of the canonical bytes.
    pub fn leaf(&self) -> [u8; 32] {
        Sha256::digest(self.bytes()).into()
    }
}

pub fn payload_digest(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

/// `sha256(prev_hash || canonical bytes)`, hex: the chain's link.
pub fn chain_hash(prev_hash: &str, c: &Canonical<'_>) -> String {
    chain_link(prev_hash, &c.bytes())
}

fn chain_link(prev_hash: &str, canonical_bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_bytes);
    hex::encode(hasher.finalize())
}

/// Locks the head row until the transaction ends: appends are serialised.
async fn lock_head(tx: &mut Tx) -> Result<HeadRow, sqlx::Error> {
    let head_sql = format!(
        "SELECT seq, hash FROM event_head WHERE id = 1{}",
        tx.backend().for_update()
    );
    Ok(on_tx!(tx, c => sqlx::query_as(&head_sql).fetch_one(&mut *c).await?))
}

/// Appends events to the log inside `tx`. The head row is locked until
/// commit, so concurrent writers commit in `seq` order with no gaps.
pub async fn append(tx: &mut Tx, at: i64, events: &[NewEvent]) -> Result<Vec<Event>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let head = lock_head(tx).await?;
    let (mut seq, mut hash) = (head.seq, head.hash);
    let mut appended = Vec::with_capacity(events.len());
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let payload = serde_json::to_string(&event.payload).unwrap_or_else(|_| "null".into());
        let actor = event.actor.map(|a| a.to_string());
        let team = event.team.map(|t| t.to_string());
        let digest = payload_digest(&payload);
        hash = chain_hash(
            &hash,
            &Canonical {
                seq,
                at,
                kind: event.kind,
                actor: actor.as_deref(),
                team: team.as_deref(),
                payload_sha256: digest.clone(),
            },
        );
        rows.push((seq, event.kind, actor, team, payload, hash.clone(), digest));
        appended.push(Event {
            seq: Seq(seq),
            at,
            kind: event.kind.to_owned(),
            actor: event.actor,
            team: event.team,
            payload: event.payload.clone(),
        });
    }
    // As many events per statement as the backend takes well.
    for chunk in rows.chunks(tx.backend().batch_rows(8)) {
        let sql = format!(
            "INSERT INTO events ({EVENT_COLUMNS}) VALUES {}",
            super::value_rows(chunk.len(), 8, 1)
        );
        on_tx!(tx, c => {
            let mut query = sqlx::query(&sql);
            for (seq, kind, actor, team, payload, hash, digest) in chunk {
                query = query.bind(seq).bind(at).bind(kind).bind(actor).bind(team).bind(payload).bind(hash).bind(digest);
            }
            query.execute(&mut *c).await?.rows_affected()
        });
    }
    file_subjects(tx, &appended).await?;
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

/// The id an event is filed under: the conversation its payload names,
/// else the contact (a conversation belongs to one contact, so one
/// client's history is the events filed under their contacts and
/// conversations).
pub fn subject(payload: &serde_json::Value) -> Option<&str> {
    ["conversation", "contact"]
        .into_iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
}

/// Files each event under its subject, in the same transaction.
async fn file_subjects(tx: &mut Tx, events: &[Event]) -> Result<(), sqlx::Error> {
    let rows: Vec<(&str, i64)> = events
        .iter()
        .filter_map(|event| subject(&event.payload).map(|subject| (subject, event.seq.0)))
        .collect();
    for chunk in rows.chunks(tx.backend().batch_rows(2)) {
        let sql = format!(
            "INSERT INTO event_subjects (subject, seq) VALUES {}",
            super::value_rows(chunk.len(), 2, 1)
        );
        on_tx!(tx, c => {
            let mut query = sqlx::query(&sql);
            for (subject, seq) in chunk {
                query = query.bind(*subject).bind(*seq);
            }
            query.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

/// The seq of the newest event of the checkpoint kind (0 without one),
/// read under the head's lock so the caller may append the next.
pub async fn newest_checkpoint_seq(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    lock_head(tx).await?;
    let seq: Option<i64> = on_tx!(tx, c => {
        sqlx::query_scalar("SELECT seq FROM events WHERE kind = $1 ORDER BY seq DESC LIMIT 1")
            .bind(crate::checkpoints::CHECKPOINT_KIND)
            .fetch_optional(&mut *c)
            .await?
    });
    Ok(seq.unwrap_or(0))
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
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows: Vec<EventRow> = on_read!(self, pool => {
            sqlx::query_as(&sql)
            .bind(after.0)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(to_event).collect())
    }

    /// Events of the given kinds at or after `since` (Unix ms), oldest
    /// first: the newest `limit` of them. What a rule's dry run replays.
    pub async fn events_since(
        &self,
        since: i64,
        kinds: &[&str],
        limit: i64,
    ) -> Result<Vec<Event>, sqlx::Error> {
        let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE at >= $1 AND kind IN ({}) ORDER BY seq DESC LIMIT $2",
            placeholders.join(", ")
        );
        let rows: Vec<EventRow> = on_read!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(since).bind(limit);
            for kind in kinds {
                query = query.bind(*kind);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows.into_iter().rev().map(to_event).collect())
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
        self.scan_log(|_| {}).await
    }

    /// [`Store::verify_chain`], handing `each` every event that chains up,
    /// in `seq` order (the Merkle tree and checkpoints are built from them).
    pub async fn scan_log(
        &self,
        mut each: impl FnMut(LoggedEvent<'_>),
    ) -> Result<VerifyReport, sqlx::Error> {
        const PAGE: i64 = 5_000;
        // The head first: events appended while the check runs are after
        // it and are left for the next check (commit order is seq order).
        let head: HeadRow = on_read!(self, pool => {
            sqlx::query_as("SELECT seq, hash FROM event_head WHERE id = 1").fetch_one(pool).await?
        });
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2"
        );
        let mut prev_hash = GENESIS_HASH.to_owned();
        let mut expected = 1_i64;
        let mut cursor = 0_i64;
        loop {
            // Ordered by the physical position a reader sees, checked against seq.
            let rows: Vec<EventRow> = on_read!(self, pool => {
                sqlx::query_as(&sql).bind(cursor).bind(PAGE).bind(head.seq).fetch_all(pool).await?
            });
            let page_len = rows.len() as i64;
            for row in rows {
                // Each row's digest and canonical bytes, once.
                let digest = row.digest();
                let recorded_differs = row
                    .payload_sha256
                    .as_ref()
                    .is_some_and(|recorded| *recorded != digest);
                let bytes = row.canonical_with(digest).bytes();
                let fault = if row.seq != expected {
                    Some(ChainFault::Gap {
                        expected,
                        found: row.seq,
                    })
                } else if chain_link(&prev_hash, &bytes) != row.hash || recorded_differs {
                    Some(ChainFault::HashMismatch { seq: row.seq })
                } else {
                    None
                };
                if let Some(fault) = fault {
                    return Ok(VerifyReport {
                        checked: expected - 1,
                        fault: Some(fault),
                    });
                }
                each(LoggedEvent {
                    seq: row.seq,
                    kind: &row.kind,
                    payload: &row.payload,
                    leaf: Sha256::digest(&bytes).into(),
                });
                prev_hash = row.hash;
                cursor = row.seq;
                expected += 1;
            }
            if page_len < PAGE {
                break;
            }
        }
        let last = expected - 1;
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

    /// The Merkle leaves of events `after + 1 ..`, at most `limit`, in
    /// order, with each event's kind and (for checkpoints) payload. Reads
    /// no payload an event's recorded digest makes unnecessary.
    pub async fn leaves_after(&self, after: i64, limit: i64) -> Result<Vec<Leaf>, sqlx::Error> {
        let rows: Vec<EventRow> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT seq, at, kind, actor, team, hash, payload_sha256, \
                 CASE WHEN payload_sha256 IS NULL OR kind = $3 THEN payload ELSE '' END AS payload \
                 FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .bind(crate::checkpoints::CHECKPOINT_KIND)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| {
                // The recorded digest stands for the payload (not read).
                let digest = row
                    .payload_sha256
                    .clone()
                    .unwrap_or_else(|| payload_digest(&row.payload));
                let is_checkpoint = row.kind == crate::checkpoints::CHECKPOINT_KIND;
                Leaf {
                    seq: row.seq,
                    leaf: row.canonical_with(digest).leaf(),
                    is_checkpoint,
                    checkpoint: is_checkpoint
                        .then(|| serde_json::from_str(&row.payload).ok())
                        .flatten(),
                }
            })
            .collect())
    }

    /// Replaces event `seq`'s payload with a tombstone, keeping its digest
    /// so the chain and the tree still verify: the one change the event
    /// table allows.
    pub async fn tombstone_event(&self, seq: i64, reason: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin().await?;
        let row: Option<(String, Option<String>, String)> = on_tx!(&mut tx, c => {
            sqlx::query_as("SELECT payload, payload_sha256, kind FROM events WHERE seq = $1")
                .bind(seq)
                .fetch_optional(&mut *c)
                .await?
        });
        let Some((payload, recorded, kind)) = row else {
            return Ok(false);
        };
        if is_tombstone(&payload) {
            return Ok(false);
        }
        if kind == crate::checkpoints::CHECKPOINT_KIND {
            return Ok(false);
        }
        if recorded.is_none() {
            on_tx!(&mut tx, c => {
                sqlx::query("UPDATE events SET payload_sha256 = $2 WHERE seq = $1")
                    .bind(seq)
                    .bind(payload_digest(&payload))
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            });
        }
        let tombstone = serde_json::json!({ "tombstone": { "reason": reason } }).to_string();
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE events SET payload = $2 WHERE seq = $1")
                .bind(seq)
                .bind(tombstone)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        self.commit(tx).await?;
        Ok(true)
    }
}

/// An event [`Store::scan_log`] found chained.
pub struct LoggedEvent<'a> {
    pub seq: i64,
    pub kind: &'a str,
    pub payload: &'a str,
    /// Its Merkle leaf value ([`Canonical::leaf`]).
    pub leaf: [u8; 32],
}

/// One leaf of the Merkle tree, from [`Store::leaves_after`].
pub struct Leaf {
    pub seq: i64,
    pub leaf: [u8; 32],
    /// Whether the event is of the checkpoint kind.
    pub is_checkpoint: bool,
    /// The checkpoint this event stores, if it is one and parses.
    pub checkpoint: Option<crate::checkpoints::Checkpoint>,
}
