//! The background task that signs checkpoints of the event log and copies
//! them out of the database.
//!
//! Every `HARBOUR_CHECKPOINT_EVENTS` events, or `HARBOUR_CHECKPOINT_SECONDS`
//! after the last checkpoint when anything happened since, and once more
//! when the server stops, it signs (tree size, root, time) and appends the
//! checkpoint as an event. Nodes sharing a database take turns: the one
//! that finds a newer checkpoint already stored (under the head's lock)
//! stands down. Each node appends every checkpoint to its directory, and
//! the witness (when set) is sent every checkpoint it has not
//! acknowledged; neither ever holds up ingest, and both catch up.

use crate::checkpoints::{self, Checkpoint, CheckpointKey, EventTree, CHECKPOINT_KIND};
use crate::clock::Clock;
use crate::shutdown::Shutdown;
use crate::store::events::NewEvent;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Where and how often checkpoints are made.
#[derive(Clone)]
pub struct CheckpointSettings {
    pub every_events: u64,
    pub every_ms: i64,
    pub dir: PathBuf,
    /// Each checkpoint is POSTed here as JSON; a 2xx answer acknowledges it.
    pub witness_url: Option<String>,
    pub key: CheckpointKey,
}

/// Without the witness URL, which may carry the witness's token.
impl std::fmt::Debug for CheckpointSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSettings")
            .field("every_events", &self.every_events)
            .field("every_ms", &self.every_ms)
            .field("dir", &self.dir)
            .field(
                "witness_url",
                &self.witness_url.as_ref().map(|_| "[redacted]"),
            )
            .field("key", &self.key)
            .finish()
    }
}

/// What `/readyz` and `/metrics` say about checkpoints.
#[derive(Debug, Default)]
pub struct CheckpointStatus {
    /// The newest checkpoint's tree size.
    pub tree_size: AtomicI64,
    /// Checkpoints signed by this node.
    pub signed: AtomicI64,
    /// Checkpoints the witness has not acknowledged.
    pub witness_pending: AtomicI64,
    pub witness_failures: AtomicI64,
    /// Checkpoints not yet in the directory.
    pub dir_pending: AtomicI64,
    /// The last error of each sink, cleared when it catches up.
    pub witness_error: Mutex<Option<String>>,
    pub dir_error: Mutex<Option<String>>,
}

impl CheckpointStatus {
    /// Lines for `/readyz` when a sink is behind (it does not make the node unready).
    pub fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let pending = self.witness_pending.load(Ordering::Relaxed);
        if pending > 0 {
            let error = lock(&self.witness_error).clone().unwrap_or_default();
            lines.push(format!(
                "checkpoint witness: {pending} checkpoint(s) not acknowledged yet{}",
                if error.is_empty() {
                    String::new()
                } else {
                    format!(" ({error})")
                }
            ));
        }
        let pending = self.dir_pending.load(Ordering::Relaxed);
        if pending > 0 {
            let error = lock(&self.dir_error).clone().unwrap_or_default();
            lines.push(format!(
                "checkpoint directory: {pending} checkpoint(s) not written yet ({error})"
            ));
        }
        lines
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A fresh checkpoint and inclusion proofs of some events under it.
#[derive(Clone, Debug)]
pub struct Proven {
    pub checkpoint: Checkpoint,
    /// One proof per asked seq, in the order asked (hex hashes).
    pub proofs: Vec<Vec<String>>,
}

struct ProofRequest {
    seqs: Vec<i64>,
    reply: oneshot::Sender<anyhow::Result<Proven>>,
}

/// Asks this node's checkpointer, which holds the tree, to sign a
/// checkpoint now and prove events under it (an export's). Cheap to clone.
#[derive(Clone)]
pub struct Prover(mpsc::Sender<ProofRequest>);

impl std::fmt::Debug for Prover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prover")
    }
}

/// How long an export waits for its checkpoint before giving up.
const PROOF_WAIT: Duration = Duration::from_secs(120);

impl Prover {
    /// The prover and what the checkpointer serves it from.
    pub fn channel() -> (Prover, ProofRequests) {
        let (sender, receiver) = mpsc::channel(16);
        (Prover(sender), ProofRequests(receiver))
    }

    /// A checkpoint signed now, covering every seq in `seqs` (each at most
    /// the log's head), with each one's inclusion proof.
    pub async fn prove(&self, seqs: Vec<i64>) -> anyhow::Result<Proven> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(ProofRequest { seqs, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the checkpointer has stopped"))?;
        match tokio::time::timeout(PROOF_WAIT, answer).await {
            Ok(Ok(proven)) => proven,
            Ok(Err(_)) => anyhow::bail!("the checkpointer stopped before signing"),
            Err(_) => anyhow::bail!("no checkpoint was signed within two minutes"),
        }
    }
}

/// The receiving end of a [`Prover`], given to the checkpointer.
pub struct ProofRequests(mpsc::Receiver<ProofRequest>);

pub struct Checkpointer {
    store: Store,
    clock: Clock,
    settings: CheckpointSettings,
    status: Arc<crate::metrics::Metrics>,
    tree: EventTree,
    /// Every checkpoint in the log, oldest first.
    known: Vec<Checkpoint>,
    /// The seq of the newest checkpoint's own event.
    last_checkpoint_seq: i64,
    /// The seq of the newest event of the checkpoint kind, genuine or not:
    /// a node signs only when no other checkpoint came after it.
    last_seen_checkpoint_seq: i64,
    /// When the last checkpoint was signed (or this node started).
    last_at: i64,
    written_to_dir: u64,
    witnessed: u64,
    /// Real time, not the injectable clock: network retries.
    witness_retry_at: tokio::time::Instant,
    witness_backoff: Duration,
    http: reqwest::Client,
    requests: Option<ProofRequests>,
}

impl Checkpointer {
    pub fn new(
        store: Store,
        clock: Clock,
        settings: CheckpointSettings,
        status: Arc<crate::metrics::Metrics>,
    ) -> Self {
        let now = clock.now();
        Checkpointer {
            store,
            clock,
            settings,
            status,
            tree: EventTree::default(),
            known: Vec::new(),
            last_checkpoint_seq: 0,
            last_seen_checkpoint_seq: 0,
            last_at: now,
            written_to_dir: 0,
            witnessed: 0,
            witness_retry_at: tokio::time::Instant::now(),
            witness_backoff: Duration::from_secs(1),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            requests: None,
        }
    }

    /// Serves `requests` (exports asking for a checkpoint and proofs).
    pub fn serving(mut self, requests: ProofRequests) -> Self {
        self.requests = Some(requests);
        self
    }

    /// Reads how far the directory and the witness got.
    pub async fn prepare(&mut self) {
        match checkpoints::newest_in_dir(&self.settings.dir) {
            Ok(size) => self.written_to_dir = size,
            Err(err) => tracing::warn!(error = %err, "cannot read the checkpoint directory"),
        }
        self.witnessed = match self.store.witnessed_checkpoint().await {
            Ok(size) => size,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read how far the witness got");
                0
            }
        };
    }

    /// Runs until `finish` (given once requests are answered and the job
    /// in hand is done, so their events are in it), then signs a last
    /// checkpoint.
    pub async fn run(mut self, finish: Shutdown) {
        self.prepare().await;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut requests = self.requests.take();
        loop {
            let asked = async {
                match requests.as_mut() {
                    Some(ProofRequests(receiver)) => receiver.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tick.tick() => {}
                request = asked => match request {
                    Some(request) => {
                        let proven = self.prove(&request.seqs).await;
                        let _ = request.reply.send(proven);
                        continue;
                    }
                    None => requests = None,
                },
                () = finish.begun() => break,
            }
            if let Err(err) = self.step(false).await {
                tracing::warn!(error = %err, "checkpoint step failed; trying again");
            }
        }
        if let Err(err) = self.step(true).await {
            tracing::warn!(error = %err, "could not sign the checkpoint at shutdown");
        }
    }

    /// Catches the tree up with the log, signs a checkpoint when one is due
    /// (or `now` is set and anything happened since the last), and feeds
    /// the sinks.
    pub async fn step(&mut self, now: bool) -> anyhow::Result<()> {
        self.catch_up().await?;
        let at = self.clock.now();
        let since = self.tree.len() as i64 - self.last_checkpoint_seq;
        let due = since > 0
            && (now
                || since as u64 >= self.settings.every_events
                || at - self.last_at >= self.settings.every_ms);
        if due {
            self.sign(at, &[]).await?;
        }
        self.write_to_dir();
        self.send_to_witness().await;
        Ok(())
    }

    async fn catch_up(&mut self) -> anyhow::Result<()> {
        loop {
            let leaves = self
                .store
                .leaves_after(self.tree.len() as i64, 10_000)
                .await?;
            let fetched = leaves.len();
            for leaf in leaves {
                if leaf.seq != self.tree.len() as i64 + 1 {
                    anyhow::bail!(
                        "the event log skips from seq {} to {}",
                        self.tree.len(),
                        leaf.seq
                    );
                }
                if leaf.is_checkpoint {
                    self.last_seen_checkpoint_seq = leaf.seq;
                }
                // Judged against the log before it, so before its own leaf.
                let genuine = leaf.checkpoint.filter(|checkpoint| {
                    let genuine = self.genuine(checkpoint);
                    if !genuine {
                        tracing::error!(
                            seq = leaf.seq,
                            "a checkpoint in the log is not one this key signed of this log; it is ignored (run `harbour audit verify`)"
                        );
                    }
                    genuine
                });
                self.tree.push(leaf.leaf);
                if let Some(checkpoint) = genuine {
                    self.last_checkpoint_seq = leaf.seq;
                    self.last_at = self.last_at.max(checkpoint.body.at);
                    self.status
                        .checkpoints
                        .tree_size
                        .store(checkpoint.body.tree_size as i64, Ordering::Relaxed);
                    self.known.push(checkpoint);
                }
            }
            if fetched < 10_000 {
                return Ok(());
            }
        }
    }

    /// Signed by this node's key, extending the last one known, and matching
    /// the log as this node read it (the tree holds the events before it).
    fn genuine(&self, checkpoint: &Checkpoint) -> bool {
        checkpoint.verify_signature(&self.settings.key.public())
            && checkpoint.body.previous_size == self.last_size()
            && self.tree.matches(checkpoint)
    }

    /// The tree size of the newest checkpoint known (0 before the first).
    fn last_size(&self) -> u64 {
        self.known.last().map_or(0, |c| c.body.tree_size)
    }

    /// Signs a checkpoint of everything now (another node's may come
    /// first: then again, over it) and proves `seqs` under it.
    async fn prove(&mut self, seqs: &[i64]) -> anyhow::Result<Proven> {
        let newest = seqs.iter().copied().max().unwrap_or(0);
        for _ in 0..5 {
            self.catch_up().await?;
            if newest > self.tree.len() as i64 {
                anyhow::bail!("event {newest} is not in the log");
            }
            if let Some(proven) = self.sign(self.clock.now(), seqs).await? {
                return Ok(proven);
            }
        }
        anyhow::bail!("other nodes kept signing first; try again")
    }

    /// Signs a checkpoint of the whole tree and appends it; with the
    /// inclusion proofs of `prove` (taken from the tree it signed) when
    /// it was stored, `None` when another node's came first.
    async fn sign(&mut self, at: i64, prove: &[i64]) -> anyhow::Result<Option<Proven>> {
        let checkpoint = self
            .settings
            .key
            .sign(&self.tree.body(at, self.last_size()));
        let proofs = prove
            .iter()
            .map(|&seq| {
                self.tree
                    .prove_inclusion(seq)
                    .ok_or_else(|| anyhow::anyhow!("event {seq} is not in the tree"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let stored = self
            .store
            .append_checkpoint(at, &checkpoint, self.last_seen_checkpoint_seq)
            .await
            .map_err(anyhow::Error::from)?;
        if stored {
            self.status
                .checkpoints
                .signed
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                tree_size = checkpoint.body.tree_size,
                root = %checkpoint.body.root,
                "signed a checkpoint of the event log"
            );
        }
        // Another node's newer checkpoint, or ours: either way the next
        // catch-up reads it from the log.
        self.last_at = at;
        self.catch_up().await?;
        Ok(stored.then_some(Proven { checkpoint, proofs }))
    }

    fn write_to_dir(&mut self) {
        let status = &self.status.checkpoints;
        for checkpoint in &self.known {
            if checkpoint.body.tree_size <= self.written_to_dir {
                continue;
            }
            match checkpoints::append_to_dir(&self.settings.dir, checkpoint) {
                Ok(()) => self.written_to_dir = checkpoint.body.tree_size,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot write a checkpoint to its directory; retrying");
                    *lock(&status.dir_error) = Some(format!("{err:#}"));
                    break;
                }
            }
        }
        let behind = self
            .known
            .iter()
            .filter(|c| c.body.tree_size > self.written_to_dir)
            .count();
        status.dir_pending.store(behind as i64, Ordering::Relaxed);
        if behind == 0 {
            *lock(&status.dir_error) = None;
        }
    }

    async fn send_to_witness(&mut self) {
        let Some(url) = self.settings.witness_url.clone() else {
            return;
        };
        let status = &self.status.checkpoints;
        if tokio::time::Instant::now() >= self.witness_retry_at {
            let pending: Vec<Checkpoint> = self
                .known
                .iter()
                .filter(|c| c.body.tree_size > self.witnessed)
                .cloned()
                .collect();
            for checkpoint in pending {
                let sent = self.http.post(&url).json(&checkpoint).send().await;
                let failure = match sent {
                    Ok(response) if response.status().is_success() => None,
                    Ok(response) => Some(format!("the witness answered {}", response.status())),
                    // Without the URL, which may carry the witness's token.
                    Err(err) => Some(format!(
                        "the witness cannot be reached: {}",
                        err.without_url()
                    )),
                };
                match failure {
                    None => {
                        self.witnessed = checkpoint.body.tree_size;
                        self.witness_backoff = Duration::from_secs(1);
                        if let Err(err) = self.store.set_witnessed_checkpoint(self.witnessed).await
                        {
                            tracing::warn!(error = %err, "cannot record what the witness acknowledged");
                        }
                    }
                    Some(why) => {
                        tracing::warn!(reason = %why, "checkpoint witness failed; retrying later");
                        status.witness_failures.fetch_add(1, Ordering::Relaxed);
                        *lock(&status.witness_error) = Some(why);
                        self.witness_retry_at = tokio::time::Instant::now() + self.witness_backoff;
                        self.witness_backoff =
                            (self.witness_backoff * 2).min(Duration::from_secs(300));
                        break;
                    }
                }
            }
        }
        let behind = self
            .known
            .iter()
            .filter(|c| c.body.tree_size > self.witnessed)
            .count();
        status
            .witness_pending
            .store(behind as i64, Ordering::Relaxed);
        if behind == 0 {
            *lock(&status.witness_error) = None;
        }
    }
}

impl Store {
    /// Appends `checkpoint` unless the log's newest checkpoint is no longer
    /// the one it extends (another node's came first): under the head's
    /// lock, so nodes take turns and the series never forks.
    pub async fn append_checkpoint(
        &self,
        at: i64,
        checkpoint: &Checkpoint,
        newest_seen: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin().await?;
        let newest = crate::store::events::newest_checkpoint_seq(&mut tx).await?;
        if newest != newest_seen {
            drop(tx); // rolls back
            return Ok(false);
        }
        let payload = serde_json::to_value(checkpoint).unwrap_or_default();
        crate::store::events::append(
            &mut tx,
            at,
            &[NewEvent::new(CHECKPOINT_KIND, None, payload)],
        )
        .await?;
        self.commit(tx).await?;
        Ok(true)
    }
}
