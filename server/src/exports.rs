//! The export job: builds one client's evidence bundle (see
//! `crate::bundle` for the format). It gathers the client's contacts on
//! every channel, the events filed under them and their messages; asks
//! this node's checkpointer for a checkpoint signed now and the inclusion
//! proof of each event under it; and writes the ZIP into
//! `<data dir>/exports`, where its requester (and compliance) can download
//! it until it expires.

use crate::bundle::{self, EventLine, Filter, Manifest, MediaRef, MessageLine, Person};
use crate::channels::media::{sha256_hex, MediaStore};
use crate::checkpointer::{Proven, Prover};
use crate::checkpoints::CheckpointKey;
use crate::clock::Clock;
use crate::jobs::Retry;
use crate::store::exports::{ClientContact, StoredEvent, StoredMessage};
use crate::store::jobs::Job;
use crate::store::Store;
use crate::transcript::{AccessLine, Transcript};
use anyhow::Context;
use serde_json::Value;
use shared::api::{ExportCounts, ExportStatus, ExportView};
use shared::ExportId;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const EXPORT_JOB: &str = "export.build";

/// The export job's settings, from the node: cheap to clone.
#[derive(Clone, Debug)]
pub struct ExportSettings {
    pub prover: Prover,
    pub key: CheckpointKey,
    pub keep_ms: i64,
}

#[derive(Clone)]
pub struct Exporter {
    pub store: Store,
    pub clock: Clock,
    pub prover: Prover,
    pub media: MediaStore,
    pub key: CheckpointKey,
    /// `<data dir>/exports`.
    pub dir: PathBuf,
    /// How long a bundle can be downloaded.
    pub keep_ms: i64,
}

impl Exporter {
    pub fn new(store: &Store, clock: &Clock, data_dir: &Path, settings: &ExportSettings) -> Self {
        Exporter {
            store: store.clone(),
            clock: clock.clone(),
            prover: settings.prover.clone(),
            media: MediaStore::new(data_dir),
            key: settings.key.clone(),
            dir: exports_dir(data_dir),
            keep_ms: settings.keep_ms,
        }
    }
}

/// Where bundles are written: `<data dir>/exports`.
pub fn exports_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("exports")
}

/// Where an export's bundle lives.
pub fn bundle_path(dir: &Path, id: ExportId) -> PathBuf {
    dir.join(format!("{id}.zip"))
}

/// The client's history, gathered and proven, ready to write.
struct Gathered {
    contacts: Vec<ClientContact>,
    events: Vec<StoredEvent>,
    messages: Vec<MessageLine>,
    proven: Proven,
    users: HashMap<String, (String, String)>,
}

impl Exporter {
    pub async fn run(&self, job: Job) -> Result<(), Retry> {
        let id: ExportId = job.names("export")?;
        let export = self
            .store
            .export(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the export is no longer there")?;
        if !matches!(export.status, ExportStatus::Queued | ExportStatus::Building) {
            return Ok(());
        }
        self.build(&export)
            .await
            .map_err(|err| Retry::from(format!("{err:#}")))
    }

    /// The job gave up: the export says why.
    pub async fn give_up(&self, job: Job, reason: &str) -> Result<(), String> {
        let id: ExportId = job.names("export")?;
        self.store
            .fail_export(self.clock.now(), id, reason)
            .await
            .map_err(|e| e.to_string())
    }

    async fn build(&self, export: &ExportView) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        self.store.export_progress(export.id, 5).await?;
        let gathered = self.gather(export).await?;
        self.store.export_progress(export.id, 60).await?;
        let now = self.clock.now();
        let checkpoint_size = gathered.proven.checkpoint.body.tree_size;
        let (exporter, view) = (self.clone(), export.clone());
        let (sha256, size, counts) =
            tokio::task::spawn_blocking(move || exporter.write(&view, now, &gathered))
                .await
                .context("the bundle writer stopped")??;
        self.store
            .finish_export(
                now,
                export,
                &sha256,
                size,
                counts,
                checkpoint_size,
                now + self.keep_ms,
            )
            .await?;
        tracing::info!(
            export = %export.id,
            events = counts.events,
            messages = counts.messages,
            ms = started.elapsed().as_millis() as u64,
            "export bundle written"
        );
        Ok(())
    }

    async fn gather(&self, export: &ExportView) -> anyhow::Result<Gathered> {
        let contacts = self.store.client_contacts(export.contact).await?;
        let conversations: Vec<String> = contacts
            .iter()
            .filter_map(|c| c.conversation.clone())
            .collect();
        let subjects: Vec<String> = contacts
            .iter()
            .map(|c| c.id.clone())
            .chain(conversations.iter().cloned())
            .collect();
        // Messages first, then the log up to its head: every message read
        // has its events in the log by then (they commit together), and
        // events of messages written since are left out below.
        let stored = self.store.messages_of_conversations(&conversations).await?;
        let head = self.store.head().await?.0;
        let events = self.store.subject_events(&subjects, head).await?;
        self.store.export_progress(export.id, 20).await?;
        let read: std::collections::HashSet<&str> = stored.iter().map(|m| m.id.as_str()).collect();
        let in_range = |at: i64| {
            export.from.is_none_or(|from| at >= from) && export.to.is_none_or(|to| at <= to)
        };
        let (events, payloads): (Vec<StoredEvent>, Vec<Value>) = events
            .into_iter()
            .map(|e| {
                let payload = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
                (e, payload)
            })
            .filter(|(_, payload)| {
                payload
                    .get("message")
                    .and_then(|m| m.as_str())
                    .is_none_or(|m| read.contains(m))
            })
            .unzip();
        drop(read);
        let links = MessageLinks::new(&events, &payloads);
        let messages: Vec<MessageLine> = stored
            .into_iter()
            .filter(|m| in_range(m.created_at))
            .map(|m| links.line(m))
            .collect();
        // The events in the period, and every event a listed message rests on.
        let mut keep: BTreeSet<i64> = events
            .iter()
            .filter(|e| in_range(e.at))
            .map(|e| e.seq)
            .collect();
        keep.extend(
            messages
                .iter()
                .flat_map(|m| m.seq.into_iter().chain(m.status_seq)),
        );
        let events: Vec<StoredEvent> = events
            .into_iter()
            .filter(|e| keep.contains(&e.seq))
            .collect();
        self.store.export_progress(export.id, 35).await?;
        let proven = self
            .prover
            .prove(events.iter().map(|e| e.seq).collect())
            .await?;
        let users = self.store.user_names().await?;
        Ok(Gathered {
            contacts,
            events,
            messages,
            proven,
            users,
        })
    }

    /// Writes the ZIP (to a temporary name, synced, checked with the
    /// verifier an outsider runs, then renamed); its SHA-256, size and
    /// counts.
    fn write(
        &self,
        export: &ExportView,
        now: i64,
        gathered: &Gathered,
    ) -> anyhow::Result<(String, i64, ExportCounts)> {
        let path = bundle_path(&self.dir, export.id);
        let partial = self
            .dir
            .join(format!(".{}.{}.part", export.id, uuid::Uuid::new_v4()));
        let written = self
            .write_to(&partial, export, now, gathered)
            .and_then(|counts| {
                let report = bundle::verify(&partial, &self.key.public(), None);
                anyhow::ensure!(
                    report.is_ok(),
                    "the bundle did not pass its own check: {}",
                    report.summary()
                );
                std::fs::rename(&partial, &path)?;
                Ok(counts)
            });
        let counts = match written {
            Ok(counts) => counts,
            Err(err) => {
                let _ = std::fs::remove_file(&partial);
                return Err(err);
            }
        };
        let bytes = std::fs::read(&path)?;
        Ok((sha256_hex(&bytes), bytes.len() as i64, counts))
    }

    fn write_to(
        &self,
        partial: &Path,
        export: &ExportView,
        now: i64,
        gathered: &Gathered,
    ) -> anyhow::Result<ExportCounts> {
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut events_jsonl = Vec::new();
        for (event, proof) in gathered.events.iter().zip(&gathered.proven.proofs) {
            let line = EventLine {
                seq: event.seq,
                at: event.at,
                kind: event.kind.clone(),
                actor: event.actor.clone(),
                team: event.team.clone(),
                payload: event.payload.clone(),
                payload_sha256: event
                    .payload_sha256
                    .clone()
                    .unwrap_or_else(|| crate::store::events::payload_digest(&event.payload)),
                leaf_index: event.seq as u64 - 1,
                proof: proof.clone(),
            };
            serde_json::to_writer(&mut events_jsonl, &line)?;
            events_jsonl.push(b'\n');
        }
        let mut messages_jsonl = Vec::new();
        let mut media_files: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut messages = Vec::with_capacity(gathered.messages.len());
        for message in &gathered.messages {
            let mut message = message.clone();
            // Only media the store still holds is listed (and shipped).
            if let Some(media) = &message.media {
                match self.media.path(&media.sha256).filter(|p| p.is_file()) {
                    Some(path) => {
                        media_files.insert(media.file.clone(), path);
                    }
                    None => message.media = None,
                }
            }
            serde_json::to_writer(&mut messages_jsonl, &message)?;
            messages_jsonl.push(b'\n');
            messages.push(message);
        }
        let accesses: Vec<AccessLine> = gathered
            .events
            .iter()
            .filter(|e| e.kind.starts_with("access."))
            .map(|e| {
                let payload: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
                let field = |key: &str| payload[key].as_str().unwrap_or_default().to_owned();
                AccessLine {
                    at: e.at,
                    reader: e
                        .actor
                        .as_ref()
                        .and_then(|a| gathered.users.get(a))
                        .map_or_else(|| e.actor.clone().unwrap_or_default(), |u| u.0.clone()),
                    role: field("role"),
                    kind: e.kind.clone(),
                    address: field("address"),
                }
            })
            .collect();
        let counts = ExportCounts {
            events: gathered.events.len() as u64,
            messages: messages.len() as u64,
            media: media_files.len() as u64,
            accesses: accesses.len() as u64,
        };
        let requester = gathered.users.get(&export.requested_by.to_string());
        let mut manifest = Manifest {
            format: bundle::FORMAT.into(),
            export: export.id.to_string(),
            created_at: now,
            requested_by: Person {
                id: export.requested_by.to_string(),
                name: requester.map(|u| u.0.clone()).unwrap_or_default(),
                role: requester.map(|u| u.1.clone()).unwrap_or_default(),
            },
            reason: export.reason.clone(),
            filter: Filter {
                contact: export.contact.to_string(),
                contacts: gathered.contacts.iter().map(|c| c.id.clone()).collect(),
                from: export.from,
                to: export.to,
            },
            client: serde_json::to_value(&gathered.contacts)?,
            counts,
            files: BTreeMap::new(),
            key_id: self.key.key_id(),
            checkpoint: gathered.proven.checkpoint.clone(),
        };
        let channels: HashMap<String, String> = gathered
            .contacts
            .iter()
            .map(|c| (c.channel.clone(), c.channel_name.clone()))
            .collect();
        let transcript = Transcript {
            manifest: &manifest,
            messages: &messages,
            accesses: &accesses,
            channels: &channels,
        }
        .render();
        files.insert(bundle::EVENTS.into(), events_jsonl);
        files.insert(bundle::MESSAGES.into(), messages_jsonl);
        files.insert(bundle::TRANSCRIPT.into(), transcript.into_bytes());
        for (name, bytes) in &files {
            manifest.files.insert(name.clone(), sha256_hex(bytes));
        }
        for name in media_files.keys() {
            // Named by its content's SHA-256 (the verifier checks both).
            let sha = name
                .trim_start_matches("media/")
                .split('.')
                .next()
                .unwrap_or_default();
            manifest.files.insert(name.clone(), sha.to_owned());
        }
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
        let signature = self.key.sign_manifest(&manifest_bytes);

        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let file = std::fs::File::create(partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file(bundle::MANIFEST, deflated)?;
        zip.write_all(&manifest_bytes)?;
        zip.start_file(bundle::SIGNATURE, stored)?;
        zip.write_all(signature.as_bytes())?;
        for (name, bytes) in &files {
            zip.start_file(name.as_str(), deflated)?;
            zip.write_all(bytes)?;
        }
        for (name, path) in &media_files {
            zip.start_file(name.as_str(), stored)?;
            let mut source = std::fs::File::open(path)
                .with_context(|| format!("cannot read the media file {}", path.display()))?;
            std::io::copy(&mut source, &mut zip)?;
        }
        let file = zip
            .finish()?
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot flush the bundle: {}", e.error()))?;
        file.sync_all()?;
        Ok(counts)
    }
}

/// Which events record each message, and the newest that states its
/// delivery status (with its error).
struct MessageLinks {
    created: HashMap<String, i64>,
    status: HashMap<String, (i64, Option<String>, Option<String>)>,
}

impl MessageLinks {
    fn new(events: &[StoredEvent], payloads: &[Value]) -> Self {
        let mut created = HashMap::new();
        let mut status = HashMap::new();
        for (event, payload) in events.iter().zip(payloads) {
            let Some(message) = payload.get("message").and_then(|m| m.as_str()) else {
                continue;
            };
            if matches!(
                event.kind.as_str(),
                "message.received" | "message.queued" | "note.added" | "conversation.updated"
            ) {
                created.entry(message.to_owned()).or_insert(event.seq);
            }
            if matches!(event.kind.as_str(), "message.queued" | "message.status") {
                let said = |key: &str| payload.get(key).and_then(|s| s.as_str()).map(str::to_owned);
                status.insert(
                    message.to_owned(),
                    (event.seq, said("status"), said("error")),
                );
            }
        }
        MessageLinks { created, status }
    }

    fn line(&self, m: StoredMessage) -> MessageLine {
        let seq = self.created.get(&m.id).copied();
        // A reply's delivery as the log states it (the row may have moved
        // on since, or be `sending`, which the log does not record).
        let stated = (m.direction == "out")
            .then(|| self.status.get(&m.id))
            .flatten();
        let status_seq = stated.map(|(seq, ..)| *seq);
        let (status, error) = match stated {
            Some((_, status, error)) => (status.clone(), error.clone()),
            None => (m.status, m.error),
        };
        let media = match (&m.media_sha256, &m.media_type) {
            (Some(sha256), content_type) => {
                let content_type = content_type
                    .clone()
                    .unwrap_or_else(|| shared::media::DOWNLOAD_TYPE.to_owned());
                Some(MediaRef {
                    file: bundle::media_file_name(sha256, &content_type),
                    sha256: sha256.clone(),
                    content_type,
                    size: m.media_size.unwrap_or(0),
                })
            }
            _ => None,
        };
        MessageLine {
            seq,
            status_seq,
            id: m.id,
            conversation: m.conversation_id,
            contact: m.contact_id,
            channel: m.channel_id,
            direction: m.direction,
            kind: m.kind,
            body: m.body,
            status,
            error,
            author: m.author,
            author_name: m.author_name,
            created_at: m.created_at,
            sent_at: m.sent_at,
            media,
        }
    }
}

/// Marks bundles past their time expired and removes their files.
pub async fn remove_expired(store: &Store, now: i64, dir: &Path) {
    match store.expire_exports(now).await {
        Ok(expired) => {
            for id in expired {
                match tokio::fs::remove_file(bundle_path(dir, id)).await {
                    Ok(()) => tracing::info!(export = %id, "removed an expired export bundle"),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => {
                        tracing::warn!(export = %id, error = %err, "could not remove an expired export bundle")
                    }
                }
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not expire old exports"),
    }
    remove_abandoned_partials(dir, PARTIAL_GRACE).await;
}

/// How old a bundle still being written may get before it counts as
/// abandoned: no export takes anywhere near this long, so a `.part` file
/// this old was left by a node that died mid-write.
const PARTIAL_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes temporary bundle files (`.{id}.{nonce}.part`) older than `grace`.
/// A job that fails removes its own; these are what a crash leaves behind.
async fn remove_abandoned_partials(dir: &Path, grace: std::time::Duration) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with('.') && name.ends_with(".part")) {
            continue;
        }
        let abandoned = entry
            .metadata()
            .await
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age >= grace);
        if abandoned {
            match tokio::fs::remove_file(entry.path()).await {
                Ok(()) => {
                    tracing::info!(file = %name, "removed an abandoned partial export bundle")
                }
                Err(err) => {
                    tracing::warn!(file = %name, error = %err, "could not remove an abandoned partial export bundle")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn abandoned_partials_are_swept_and_bundles_are_not() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let partial = dir.path().join(".7.0f9e.part");
        let bundle = dir.path().join("7.zip");
        std::fs::write(&partial, b"half a zip").expect("writes");
        std::fs::write(&bundle, b"a whole zip").expect("writes");

        remove_abandoned_partials(dir.path(), PARTIAL_GRACE).await;
        assert!(
            partial.exists(),
            "a bundle still being written is left alone"
        );

        remove_abandoned_partials(dir.path(), std::time::Duration::ZERO).await;
        assert!(!partial.exists(), "an abandoned partial bundle is removed");
        assert!(
            bundle.exists(),
            "a finished bundle is never swept as a partial"
        );
    }
}
