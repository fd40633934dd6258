//! Group commit for inbound pushes. Each callback hands its push to one
//! writer task and waits; the writer stores every push waiting at that
//! moment in one transaction, with a handful of multi-row statements for
//! the whole batch, and commits once. If that fails, the batch is written
//! again with each push inside its own savepoint, so one bad push cannot
//! sink the others. A push that came through a signed callback URL is bound
//! to that URL in the same transaction (see `store::callback_urls`), so a
//! replayed URL with another body is refused, and a binding exists exactly
//! when its push was committed. The callback answers `success` only after that commit,
//! so durability is unchanged; the cost of a flush and of each round trip
//! to the database is shared by the whole batch.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::store::callback_urls::{self, CallbackUrl};
use crate::store::events::append;
use crate::store::inbox::{store_inbound_batch, Inbound, StoredInbound, Written};
use crate::store::{Store, Tx};
use tokio::sync::{mpsc, oneshot};

/// Most pushes in one transaction; bounds the latency of a batch.
const MAX_BATCH: usize = 512;
/// Pushes that may wait for the writer before callers are slowed down.
const QUEUE: usize = 4096;

/// What became of one push.
#[derive(Clone, Debug)]
pub enum Stored {
    New(StoredInbound),
    /// A retry of a push already stored: nothing written.
    Retry,
    /// Its callback URL came before with another body: refused, nothing written.
    Replayed,
}

type Answer = AppResult<Stored>;

/// A push waiting for the writer, the URL it came by, and who waits for it.
struct Pending {
    push: Inbound,
    url: Option<CallbackUrl>,
    reply: oneshot::Sender<Answer>,
}

#[derive(Clone)]
pub struct InboxWriter {
    queue: mpsc::Sender<Pending>,
}

impl InboxWriter {
    /// Starts the writer task; it ends when every `InboxWriter` is dropped.
    pub fn start(store: Store, clock: Clock) -> InboxWriter {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, clock, pending));
        InboxWriter { queue }
    }

    /// Stores one push, which came by the signed callback `url`, and returns
    /// once it is committed. An error means nothing of it was committed.
    pub async fn store(&self, push: Inbound, url: Option<CallbackUrl>) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { push, url, reply })
            .await
            .map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
    }
}

async fn run(store: Store, clock: Clock, mut pending: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&store, clock.now(), &mut batch).await;
    }
}

async fn write_batch(store: &Store, now: i64, batch: &mut Vec<Pending>) {
    // Fast path: the whole batch in one transaction without savepoints. If a
    // push fails or loses a race to another node (which aborts the whole
    // transaction on PostgreSQL), the batch is rolled back and written again
    // with each push in its own savepoint, so one bad push sinks nothing else.
    let outcomes = match attempt(store, now, batch, false).await {
        Some(outcomes) => outcomes,
        None => attempt(store, now, batch, true).await.unwrap_or_default(),
    };
    let mut outcomes = outcomes.into_iter();
    for pending in batch.drain(..) {
        let _ = pending
            .reply
            .send(outcomes.next().unwrap_or(Err(AppError::Unavailable)));
    }
}

/// Writes and commits the batch; one answer per push. `None` (only when not
/// `isolated`) means: roll back and try again isolated.
async fn attempt(
    store: &Store,
    now: i64,
    batch: &[Pending],
    isolated: bool,
) -> Option<Vec<Answer>> {
    let unavailable = || Some(batch.iter().map(|_| Err(AppError::Unavailable)).collect());
    let mut tx = match store.begin().await {
        Ok(tx) => tx,
        Err(err) => {
            tracing::error!(error = %err, "cannot open a transaction for inbound pushes");
            return unavailable();
        }
    };
    let mut events = Vec::new();
    let results = if isolated {
        let mut results = Vec::with_capacity(batch.len());
        for pending in batch {
            let written = store_isolated(&mut tx, now, pending).await;
            results.push(written.map(|w| answer(w, &mut events)));
        }
        results
    } else {
        let bound = match bind_urls(&mut tx, batch).await {
            Ok(bound) => bound,
            Err(err) => {
                tracing::debug!(error = %err, "binding callback URLs failed; the batch goes again one by one");
                return None;
            }
        };
        let pushes: Vec<&Inbound> = batch
            .iter()
            .zip(&bound)
            .filter(|(_, bound)| **bound)
            .map(|(pending, _)| &pending.push)
            .collect();
        let mut written = match store_inbound_batch(&mut tx, now, &pushes).await {
            Ok(Some(written)) => written.into_iter(),
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
        };
        bound
            .iter()
            .map(|bound| match bound {
                true => Ok(written
                    .next()
                    .map_or(Stored::Retry, |w| answer(Some(w), &mut events))),
                false => Ok(Stored::Replayed),
            })
            .collect()
    };
    // One head read and one head write for the whole batch; a batch of
    // retries still commits the URLs it bound.
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

/// Binds the callback URLs of the batch: `true` for each push that may be
/// stored (no URL, or its URL's first body).
async fn bind_urls(tx: &mut Tx, batch: &[Pending]) -> AppResult<Vec<bool>> {
    let urls: Vec<&CallbackUrl> = batch.iter().filter_map(|p| p.url.as_ref()).collect();
    let mut bound = callback_urls::bind(tx, &urls).await?.into_iter();
    Ok(batch
        .iter()
        .map(|p| p.url.is_none() || bound.next().unwrap_or(false))
        .collect())
}

/// What a written push means to its caller; a new one's event joins `events`.
/// `None`: its callback URL came before with another body.
fn answer(written: Option<Written>, events: &mut Vec<crate::store::events::NewEvent>) -> Stored {
    match written {
        Some(Written::New(stored, event)) => {
            events.push(event);
            Stored::New(stored)
        }
        Some(Written::Seen) => Stored::Retry,
        None => Stored::Replayed,
    }
}

/// One push inside its own savepoint: on any failure, a replay or a lost
/// race the transaction goes back to where it was before this push.
/// `None`: a replay.
async fn store_isolated(tx: &mut Tx, now: i64, pending: &Pending) -> AppResult<Option<Written>> {
    tx.savepoint("push").await?;
    let result = match bind_urls(tx, std::slice::from_ref(pending)).await {
        Ok(bound) if bound.first() == Some(&false) => Ok(None),
        Ok(_) => store_inbound_batch(tx, now, &[&pending.push])
            .await
            .map(|written| Some(written.and_then(|mut w| w.pop()))),
        Err(err) => Err(err),
    };
    match result {
        Ok(Some(Some(written))) => {
            tx.release("push").await?;
            Ok(Some(written))
        }
        // Another writer committed a copy first: this one is a retry.
        Ok(Some(None)) => {
            tx.rollback_to("push").await?;
            Ok(Some(Written::Seen))
        }
        Ok(None) => {
            tx.rollback_to("push").await?;
            Ok(None)
        }
        Err(err) => {
            tx.rollback_to("push").await?;
            Err(err)
        }
    }
}
