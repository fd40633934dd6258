//! Group commit for inbound pushes. Each callback hands its push to one
//! writer task and waits; the writer stores every push waiting at that
//! moment in one transaction, with a handful of multi-row statements for
//! the whole batch, and commits once. If that fails, the batch is written
//! again with each push inside its own savepoint, so one bad push cannot
//! sink the others. The callback answers `success` only after that commit,
//! so durability is unchanged; the cost of a flush and of each round trip
//! to the database is shared by the whole batch.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::store::events::append;
use crate::store::inbox::{store_inbound_batch, Inbound, StoredInbound, Written};
use crate::store::{Store, Tx};
use tokio::sync::{mpsc, oneshot};

/// Most pushes in one transaction; bounds the latency of a batch.
const MAX_BATCH: usize = 512;
/// Pushes that may wait for the writer before callers are slowed down.
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<AppResult<Option<StoredInbound>>>;

#[derive(Clone)]
pub struct InboxWriter {
    queue: mpsc::Sender<(Inbound, Reply)>,
}

impl InboxWriter {
    /// Starts the writer task; it ends when every `InboxWriter` is dropped.
    pub fn start(store: Store, clock: Clock) -> InboxWriter {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, clock, pending));
        InboxWriter { queue }
    }

    /// Stores one push and returns once it is committed (`None`: a retry of
    /// a push already stored). An error means nothing of it was committed.
    pub async fn store(&self, push: Inbound) -> AppResult<Option<StoredInbound>> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((push, reply))
            .await
            .map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
    }
}

async fn run(store: Store, clock: Clock, mut pending: mpsc::Receiver<(Inbound, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&store, clock.now(), &mut batch).await;
    }
}

async fn write_batch(store: &Store, now: i64, batch: &mut Vec<(Inbound, Reply)>) {
    // Fast path: the whole batch in one transaction without savepoints. If a
    // push fails or loses a race to another node (which aborts the whole
    // transaction on PostgreSQL), the batch is rolled back and written again
    // with each push in its own savepoint, so one bad push sinks nothing else.
    let outcomes = match attempt(store, now, batch, false).await {
        Some(outcomes) => outcomes,
        None => attempt(store, now, batch, true).await.unwrap_or_default(),
    };
    let mut outcomes = outcomes.into_iter();
    for (_, reply) in batch.drain(..) {
        let _ = reply.send(outcomes.next().unwrap_or(Err(AppError::Unavailable)));
    }
}

/// Writes and commits the batch; one answer per push. `None` (only when not
/// `isolated`) means: roll back and try again isolated.
async fn attempt(
    store: &Store,
    now: i64,
    batch: &[(Inbound, Reply)],
    isolated: bool,
) -> Option<Vec<AppResult<Option<StoredInbound>>>> {
    let unavailable = || Some(batch.iter().map(|_| Err(AppError::Unavailable)).collect());
    let mut tx = match store.begin().await {
        Ok(tx) => tx,
        Err(err) => {
            tracing::error!(error = %err, "cannot open a transaction for inbound pushes");
            return unavailable();
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    let mut events = Vec::new();
    let written = if isolated {
        let mut written = Vec::with_capacity(batch.len());
        for (push, _) in batch {
            written.push(store_isolated(&mut tx, now, push).await);
        }
        written
    } else {
        let pushes: Vec<&Inbound> = batch.iter().map(|(push, _)| push).collect();
        match store_inbound_batch(&mut tx, now, &pushes).await {
            Ok(Some(written)) => written.into_iter().map(Ok).collect(),
            Ok(None) => {
                tracing::debug!(
                    "a copy of a push was stored elsewhere; the batch goes again one by one"
                );
                return None;
            }
            Err(err) => {
                tracing::debug!(error = %err, "a batch of pushes goes again one by one");
                return None;
            }
        }
    };
    for outcome in written {
        results.push(match outcome {
            Ok(Written::New(stored, event)) => {
                events.push(event);
                Ok(Some(stored))
            }
            Ok(Written::Seen) => Ok(None),
            Err(err) => Err(err),
        });
    }
    if events.is_empty() {
        return Some(results); // nothing new: every push was a retry or refused
    }
    // One head read and one head write for the whole batch.
    let committed = match append(&mut tx, now, &events).await {
        Ok(_) => store.commit(tx).await,
        Err(err) => Err(err),
    };
    match committed {
        Ok(()) => Some(results),
        Err(err) => {
            tracing::error!(error = %err, pushes = batch.len(), "cannot commit inbound pushes");
            unavailable()
        }
    }
}

/// One push inside its own savepoint: on any failure (or a lost race) the
/// transaction goes back to where it was before this push.
async fn store_isolated(tx: &mut Tx, now: i64, push: &Inbound) -> AppResult<Written> {
    tx.savepoint("push").await?;
    let result = match store_inbound_batch(tx, now, &[push]).await {
        Ok(Some(mut written)) => Ok(written.pop().unwrap_or(Written::Seen)),
        // Another writer committed a copy first: this one is a retry.
        Ok(None) => Ok(Written::Seen),
        Err(err) => Err(err),
    };
    match &result {
        Ok(Written::New(..)) => tx.release("push").await?,
        _ => tx.rollback_to("push").await?,
    }
    result
}
