//! `harbour audit verify`: the chain, the Merkle tree and every signed
//! checkpoint, in the database and (with `--checkpoints DIR`) outside it.
//!
//! The chain alone catches a changed, removed or reordered row; the signed
//! checkpoints catch what someone with write access to the whole database
//! could hide from the chain: a deleted tail with the head moved back, a
//! rewritten and re-chained log, and checkpoints re-signed with another key.

use crate::checkpoints::{Checkpoint, EventTree, PublicKey, CHECKPOINT_KIND};
use crate::store::Store;
use std::path::PathBuf;

pub struct AuditOptions {
    /// A directory of checkpoint files kept outside the database.
    pub checkpoints_dir: Option<PathBuf>,
    /// The key every checkpoint must be signed with.
    pub public_key: PublicKey,
}

#[derive(Debug)]
pub struct AuditReport {
    /// Events that chain up.
    pub events: i64,
    /// Checkpoints found in the log.
    pub in_log: usize,
    /// Checkpoints found in the directory.
    pub in_dir: usize,
    /// The first problem, as a sentence naming the seq or the checkpoint.
    pub fault: Option<String>,
}

/// A checkpoint and where it was found.
struct Found {
    checkpoint: Checkpoint,
    place: String,
}

pub async fn verify(store: &Store, options: &AuditOptions) -> anyhow::Result<AuditReport> {
    let from_dir = match &options.checkpoints_dir {
        Some(dir) if !dir.is_dir() => anyhow::bail!(
            "--checkpoints: {} is not a directory; give the checkpoint directory (HARBOUR_CHECKPOINT_DIR) or its copy",
            dir.display()
        ),
        Some(dir) => crate::checkpoints::read_dir(dir)?,
        None => Vec::new(),
    };
    let mut tree = EventTree::default();
    let mut in_log: Vec<Found> = Vec::new();
    let mut unreadable: Option<i64> = None;
    // Each event's subject as the log says it (a digest of it), to hold
    // the index of events by client against; `None` for a tombstone,
    // whose subject the log no longer says.
    let mut subjects: Vec<(i64, Option<u64>)> = Vec::new();
    let chain = store
        .scan_log(|event| {
            tree.push(event.leaf);
            if crate::store::events::is_tombstone(event.payload) {
                subjects.push((event.seq, None));
            } else if let Some(subject) = serde_json::from_str::<serde_json::Value>(event.payload)
                .ok()
                .as_ref()
                .and_then(crate::store::events::subject)
            {
                subjects.push((event.seq, Some(subject_digest(subject))));
            }
            if event.kind == CHECKPOINT_KIND {
                match serde_json::from_str::<Checkpoint>(event.payload) {
                    Ok(checkpoint) => in_log.push(Found {
                        checkpoint,
                        place: format!("in the log at seq {}", event.seq),
                    }),
                    Err(_) => {
                        unreadable.get_or_insert(event.seq);
                    }
                }
            }
        })
        .await?;
    let mut report = AuditReport {
        events: chain.checked,
        in_log: in_log.len(),
        in_dir: from_dir.len(),
        fault: None,
    };
    if let Some(fault) = chain.fault {
        report.fault = Some(format!(
            "The event log is broken at seq {}: {fault}.",
            fault.first_bad_seq()
        ));
        return Ok(report);
    }
    if let Some(seq) = unreadable {
        report.fault = Some(format!(
            "The event at seq {seq} is a checkpoint that cannot be read: it was altered."
        ));
        return Ok(report);
    }
    let dir_name = options
        .checkpoints_dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let in_dir: Vec<Found> = from_dir
        .into_iter()
        .map(|checkpoint| Found {
            checkpoint,
            place: format!("in {dir_name}"),
        })
        .collect();
    report.fault = check_series(&in_dir, &options.public_key, &tree)
        .or_else(|| check_series(&in_log, &options.public_key, &tree))
        .or_else(|| {
            options
                .checkpoints_dir
                .as_ref()
                .and_then(|_| compare(&in_log, &in_dir, &dir_name))
        });
    if report.fault.is_none() {
        report.fault = check_subjects(store, &subjects, chain.checked).await?;
    }
    Ok(report)
}

fn subject_digest(subject: &str) -> u64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(subject.as_bytes());
    u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
}

/// The index of events by client (which a client's history and export
/// read) must file every event of the log under the subject its payload
/// names, and nothing else: a row removed would hide an event from them.
async fn check_subjects(
    store: &Store,
    from_log: &[(i64, Option<u64>)],
    checked: i64,
) -> anyhow::Result<Option<String>> {
    let mut expected = from_log.iter().peekable();
    let mut fault: Option<i64> = None;
    store
        .each_event_subject(|seq, subject| {
            if fault.is_some() || seq > checked {
                return;
            }
            // Events before this row that the log files under a subject
            // are missing from the index (a tombstone's may be missing).
            while let Some(&&(next, want)) = expected.peek() {
                if next >= seq {
                    break;
                }
                if want.is_some() {
                    fault.get_or_insert(next);
                }
                expected.next();
            }
            match expected.next() {
                Some(&(next, want)) if next == seq => {
                    if want.is_some_and(|want| want != subject_digest(subject)) {
                        fault.get_or_insert(seq);
                    }
                }
                _ => {
                    fault.get_or_insert(seq);
                }
            }
        })
        .await?;
    if fault.is_none() {
        fault = expected
            .find(|(_, want)| want.is_some())
            .map(|&(seq, _)| seq);
    }
    Ok(fault.map(|seq| {
        format!(
            "The index of events by client does not match the log at seq {seq}: a row was removed, added or changed, so a client's history or export could leave an event out."
        )
    }))
}

/// Checks one series of checkpoints (the log's, or the directory's):
/// each is signed by `key`, covers no more events than the log holds,
/// matches the log, and extends the one before it.
fn check_series(series: &[Found], key: &PublicKey, tree: &EventTree) -> Option<String> {
    let mut previous: Option<&Found> = None;
    for found in series {
        let c = &found.checkpoint;
        let name = format!("{} ({})", c.describe(), found.place);
        if !c.verify_signature(key) {
            return Some(format!(
                "{name} is not signed by key {}: it was forged, or the signing key was replaced (it names key {}).",
                key.key_id(),
                c.key_id
            ));
        }
        if previous.is_none() && c.body.previous_size != 0 {
            return Some(format!(
                "{name} follows a checkpoint of {} events that is missing: the oldest checkpoints were removed.",
                c.body.previous_size
            ));
        }
        if let Some(previous) = previous {
            if !c.consistent_with(&previous.checkpoint) {
                return Some(format!(
                    "{name} does not extend {} ({}): a checkpoint between them is missing, or the log was rewritten between them.",
                    previous.checkpoint.describe(),
                    previous.place
                ));
            }
        }
        let logged = tree.len();
        if c.body.tree_size > logged {
            return Some(format!(
                "The event log ends at seq {logged} but {name} covers {} events: seq {} to {} were deleted.",
                c.body.tree_size,
                logged + 1,
                c.body.tree_size
            ));
        }
        if !tree.matches(c) {
            let after = previous.map_or(0, |p| p.checkpoint.body.tree_size);
            return Some(format!(
                "The event log does not match {name}: an event from seq {} to {} was altered, removed or reordered and the chain rebuilt (the first bad seq is in that range).",
                after + 1,
                c.body.tree_size
            ));
        }
        previous = Some(found);
    }
    None
}

/// The log's checkpoints and the directory's must be the same ones: one
/// in the log but not in the directory was removed from it (or not copied
/// yet), one in the directory but not in the log was removed from the log.
fn compare(in_log: &[Found], in_dir: &[Found], dir_name: &str) -> Option<String> {
    for found in in_log {
        let twin = in_dir
            .iter()
            .find(|d| d.checkpoint.body.tree_size == found.checkpoint.body.tree_size);
        match twin {
            None => {
                return Some(format!(
                    "{} ({}) is not in {dir_name}: a checkpoint file or line was removed (or the copy is behind).",
                    found.checkpoint.describe(),
                    found.place
                ))
            }
            Some(twin) if twin.checkpoint != found.checkpoint => {
                return Some(format!(
                    "{} differs between the log ({}) and {dir_name}.",
                    found.checkpoint.describe(),
                    found.place
                ))
            }
            Some(_) => {}
        }
    }
    in_dir
        .iter()
        .find(|d| {
            !in_log
                .iter()
                .any(|l| l.checkpoint.body.tree_size == d.checkpoint.body.tree_size)
        })
        .map(|missing| {
            format!(
                "{} ({}) is missing from the log: its event was removed.",
                missing.checkpoint.describe(),
                missing.place
            )
        })
}
