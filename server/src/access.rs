//! Every read of client data is itself recorded: an `access.*` event
//! saying who (and in which role) read what, when, from which address.
//!
//! Handlers hand an [`Access`] to the [`AccessLog`] and answer at once; a
//! writer task appends what has gathered in one transaction (as the inbox
//! writer does for callbacks), so a read never waits for a flush. Each
//! access also lands in the `accesses` table, keyed by the client, which
//! answers "who looked at this client, and when" without reading the log.
//! Access events belong to no team: live sockets show them only to the
//! reader and to admins and compliance.

use crate::auth::AuthUser;
use crate::clock::Clock;
use crate::state::AppState;
use crate::store::events::NewEvent;
use crate::store::Store;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use serde_json::{json, Value};
use shared::{ContactId, ConversationId, MessageId};
use std::net::SocketAddr;
use tokio::sync::{mpsc, oneshot};

/// What was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// A conversation's header and facts.
    Conversation,
    /// One page of a conversation's timeline.
    Timeline,
    /// An image, voice note or file of a message.
    Media,
    /// A contact's profile.
    Contact,
    /// A search, with its query and number of hits.
    Search,
    /// The event log itself.
    EventLog,
    /// The audit chain check.
    AuditVerify,
    /// Who looked at a client.
    AccessHistory,
    /// A client's complete history (the compliance workspace).
    History,
    /// An evidence bundle asked for (with its reason).
    Export,
    /// An evidence bundle downloaded.
    ExportDownload,
}

impl Read {
    pub fn kind(self) -> &'static str {
        match self {
            Read::Conversation => "access.conversation",
            Read::Timeline => "access.timeline",
            Read::Media => "access.media",
            Read::Contact => "access.contact",
            Read::Search => "access.search",
            Read::EventLog => "access.events",
            Read::AuditVerify => "access.audit_verify",
            Read::AccessHistory => "access.accesses",
            Read::History => "access.history",
            Read::Export => "access.export",
            Read::ExportDownload => "access.export_download",
        }
    }
}

/// One read, as recorded.
#[derive(Clone, Debug)]
pub struct Access {
    pub read: Read,
    pub reader: shared::UserId,
    pub role: shared::Role,
    pub address: String,
    pub conversation: Option<ConversationId>,
    pub contact: Option<ContactId>,
    /// The read's own facts: the page asked for, the query and hits, the message.
    pub detail: Value,
}

impl Access {
    pub fn new(read: Read, user: &AuthUser, from: &ClientIp) -> Self {
        Access {
            read,
            reader: user.id,
            role: user.role,
            address: from.0.clone(),
            conversation: None,
            contact: None,
            detail: json!({}),
        }
    }

    pub fn conversation(mut self, id: ConversationId) -> Self {
        self.conversation = Some(id);
        self
    }

    pub fn contact(mut self, id: ContactId) -> Self {
        self.contact = Some(id);
        self
    }

    pub fn message(self, id: MessageId) -> Self {
        self.detail(json!({ "message": id }))
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    pub(crate) fn payload(&self) -> Value {
        let mut payload = json!({
            "role": self.role,
            "address": self.address,
        });
        if let Some(conversation) = self.conversation {
            payload["conversation"] = json!(conversation);
        }
        if let Some(contact) = self.contact {
            payload["contact"] = json!(contact);
        }
        if let (Some(map), Value::Object(detail)) = (payload.as_object_mut(), &self.detail) {
            for (key, value) in detail {
                map.insert(key.clone(), value.clone());
            }
        }
        payload
    }
}

/// The address a request came from (see `crate::client_address`).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                state
                    .config
                    .trusted_proxies
                    .client(peer.ip(), &parts.headers)
                    .to_string()
            })
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(address))
    }
}

enum Message {
    Record(Access, i64),
    Flush(oneshot::Sender<()>),
}

/// Where handlers hand their reads; cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    sender: mpsc::UnboundedSender<Message>,
    clock: Clock,
    /// Off only in the benchmark that measures what recording costs.
    enabled: bool,
}

/// Accesses written in one transaction at most.
const BATCH: usize = 500;

impl AccessLog {
    pub fn start(store: Store, clock: Clock) -> (AccessLog, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(write(store, receiver));
        let log = AccessLog {
            sender,
            clock,
            enabled: true,
        };
        (log, task)
    }

    /// A log that records nothing (`Config::record_reads` off: benchmarks only).
    pub fn disabled(mut self) -> Self {
        self.enabled = false;
        self
    }

    /// Records `access` at the current time; never waits.
    pub fn record(&self, access: Access) {
        if !self.enabled {
            return;
        }
        if self
            .sender
            .send(Message::Record(access, self.clock.now()))
            .is_err()
        {
            tracing::error!("the access writer has stopped; an access went unrecorded");
        }
    }

    /// Waits until every access recorded before it is committed.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write(store: Store, mut receiver: mpsc::UnboundedReceiver<Message>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = Vec::new();
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Record(access, at) => batch.push((access, at)),
                Message::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH {
                next = receiver.try_recv().ok();
            }
        }
        // Retried until stored: a lost access would be a hole in the record.
        let mut delay = std::time::Duration::from_millis(100);
        while let Err(err) = store.append_accesses(&batch).await {
            tracing::warn!(error = %err, accesses = batch.len(), "could not record accesses; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(10));
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

impl Store {
    /// Appends a batch of accesses as events, and to `accesses` by client.
    async fn append_accesses(&self, batch: &[(Access, i64)]) -> Result<(), sqlx::Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let mut appended = Vec::with_capacity(batch.len());
        // Events of one transaction share its time; group by time to keep each read's own.
        let mut start = 0;
        while start < batch.len() {
            let at = batch[start].1;
            let end = batch[start..]
                .iter()
                .position(|(_, t)| *t != at)
                .map_or(batch.len(), |n| start + n);
            let events: Vec<NewEvent> = batch[start..end]
                .iter()
                .map(|(access, _)| {
                    NewEvent::new(access.read.kind(), Some(access.reader), access.payload())
                })
                .collect();
            appended.extend(crate::store::events::append(&mut tx, at, &events).await?);
            start = end;
        }
        for ((access, at), event) in batch.iter().zip(&appended) {
            crate::store::accesses::insert(&mut tx, event.seq.0, *at, access).await?;
        }
        self.commit(tx).await
    }
}
