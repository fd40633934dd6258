//! The export bundle's format, and its verifier: `harbour audit
//! verify-export` checks a bundle with nothing but the public key (no
//! database), as an outside party would. `docs/evidence-format.md` §6
//! describes the same format for verifiers written elsewhere.
//!
//! A bundle is a ZIP holding `manifest.json` (who, why, when, the filter,
//! counts, the SHA-256 of every other file, the key id and the signed
//! checkpoint), `manifest.sig` (Ed25519 over the manifest), `events.jsonl`
//! (each of the client's events exactly as stored, with its inclusion proof
//! under the checkpoint), `messages.jsonl`, `transcript.html` and `media/`.

use crate::channels::media::sha256_hex;
use crate::checkpoints::{hong_kong_time, Checkpoint, PublicKey};
use crate::store::events::{is_tombstone, payload_digest, Canonical};
use serde::{Deserialize, Serialize};
use shared::api::{ExportCounts, ExportReason};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

/// `format` in every manifest of this version.
pub const FORMAT: &str = "harbour-export/v1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const EVENTS: &str = "events.jsonl";
pub const MESSAGES: &str = "messages.jsonl";
pub const TRANSCRIPT: &str = "transcript.html";

/// Who asked for the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub role: String,
}

/// Which part of the client's history the bundle holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// The contact asked for; `contacts` are every contact of the same
    /// client (the same WeChat unionid) on any channel.
    pub contact: String,
    pub contacts: Vec<String>,
    /// Unix ms, inclusive; `null` for no bound.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub export: String,
    pub created_at: i64,
    pub requested_by: Person,
    pub reason: ExportReason,
    pub filter: Filter,
    /// The client's contacts as the bundle was made (name, channel, ids).
    pub client: serde_json::Value,
    pub counts: ExportCounts,
    /// Every other file in the bundle (not the signature) and its SHA-256.
    pub files: BTreeMap<String, String>,
    pub key_id: String,
    /// The signed checkpoint every event's inclusion proof leads to.
    pub checkpoint: Checkpoint,
}

/// One line of `events.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub team: Option<String>,
    /// The payload's text exactly as stored (its SHA-256 is the digest).
    pub payload: String,
    pub payload_sha256: String,
    /// `seq - 1`.
    pub leaf_index: u64,
    /// The RFC 6962 audit path to the checkpoint's root, hex.
    pub proof: Vec<String>,
}

impl EventLine {
    /// The digest the canonical bytes carry: the payload's own, or for a
    /// tombstone the one recorded beside it.
    fn digest(&self) -> Result<String, String> {
        if is_tombstone(&self.payload) {
            return Ok(self.payload_sha256.clone());
        }
        let digest = payload_digest(&self.payload);
        if digest == self.payload_sha256 {
            Ok(digest)
        } else {
            Err("its payload does not match its payload_sha256".into())
        }
    }

    /// The event's Merkle leaf value.
    pub fn leaf(&self) -> Result<[u8; 32], String> {
        Ok(Canonical {
            seq: self.seq,
            at: self.at,
            kind: &self.kind,
            actor: self.actor.as_deref(),
            team: self.team.as_deref(),
            payload_sha256: self.digest()?,
        }
        .leaf())
    }
}

/// A media file a message carries, in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// `media/<sha256>.<ext>`.
    pub file: String,
    pub sha256: String,
    pub content_type: String,
    pub size: i64,
}

/// One line of `messages.jsonl`: a message, note or activity line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageLine {
    pub id: String,
    pub conversation: String,
    pub contact: String,
    pub channel: String,
    /// `in`, `out`, `note` or `activity`.
    pub direction: String,
    pub kind: String,
    pub body: Option<String>,
    pub status: Option<String>,
    pub error: Option<String>,
    pub author: Option<String>,
    pub author_name: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub media: Option<MediaRef>,
    /// The event that recorded it.
    pub seq: Option<i64>,
    /// The newest event that states its delivery status.
    pub status_seq: Option<i64>,
}

/// The event kind that records a message of each direction.
pub fn creating_kind(direction: &str) -> &'static str {
    match direction {
        "in" => "message.received",
        "out" => "message.queued",
        "note" => "note.added",
        _ => "conversation.updated",
    }
}

/// The message text an event states: the activity sentence for activity.
pub fn event_body(kind: &str, payload: &serde_json::Value) -> Option<String> {
    let key = if kind == "conversation.updated" {
        "text"
    } else {
        "body"
    };
    payload.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

/// A media file's name in the bundle: its SHA-256 and an extension for
/// its type, so a browser opening the transcript shows it.
pub fn media_file_name(sha256: &str, content_type: &str) -> String {
    let extension = match content_type {
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "audio/wav" | "audio/x-wav" => ".wav",
        "audio/amr" => ".amr",
        "audio/mpeg" => ".mp3",
        "video/mp4" => ".mp4",
        _ => "",
    };
    format!("media/{sha256}{extension}")
}

/// What `verify-export` found.
#[derive(Debug, Default)]
pub struct ExportReport {
    pub manifest: Option<Manifest>,
    pub events: usize,
    pub messages: usize,
    pub media: usize,
    /// Each problem, naming the file and line, seq or message.
    pub problems: Vec<String>,
}

impl ExportReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.manifest.is_some()
    }

    /// The report as `verify-export` prints it.
    pub fn summary(&self) -> String {
        let Some(manifest) = &self.manifest else {
            return format!("FAILED: {}", self.problems.join("; "));
        };
        if self.is_ok() {
            format!(
                "OK: export {} of {} event(s), {} message(s) and {} media file(s), every one proven under {} (key {}), requested by {} at {}.",
                manifest.export,
                self.events,
                self.messages,
                self.media,
                manifest.checkpoint.describe(),
                manifest.key_id,
                manifest.requested_by.name,
                hong_kong_time(manifest.created_at),
            )
        } else {
            let mut text = format!("FAILED: {} problem(s):", self.problems.len());
            for problem in &self.problems {
                text.push_str("\n  - ");
                text.push_str(problem);
            }
            text
        }
    }
}

/// Verifies the bundle at `path` under `key`, with nothing else; with
/// `published` (the checkpoint files), also that its checkpoint is one of
/// them. Reports every problem it finds, not only the first.
pub fn verify(path: &Path, key: &PublicKey, published: Option<&[Checkpoint]>) -> ExportReport {
    let mut report = ExportReport::default();
    let files = match read_zip(path) {
        Ok(files) => files,
        Err(why) => {
            report.problems.push(why);
            return report;
        }
    };
    let Some(manifest_bytes) = files.get(MANIFEST) else {
        report.problems.push(format!("{MANIFEST} is missing"));
        return report;
    };
    match files.get(SIGNATURE) {
        Some(signature)
            if key.verifies_manifest(manifest_bytes, &String::from_utf8_lossy(signature)) => {}
        Some(_) => report.problems.push(format!(
            "{MANIFEST}: its signature ({SIGNATURE}) does not verify under key {}: the manifest was changed or signed by another key",
            key.key_id()
        )),
        None => report.problems.push(format!("{SIGNATURE} is missing")),
    }
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(manifest) => manifest,
        Err(err) => {
            report
                .problems
                .push(format!("{MANIFEST} is not a manifest: {err}"));
            return report;
        }
    };
    check_manifest(&manifest, key, published, &mut report.problems);
    check_file_hashes(&manifest, &files, &mut report.problems);
    let events = check_events(&manifest, files.get(EVENTS), &mut report.problems);
    report.events = events.len();
    report.messages = check_messages(&manifest, files.get(MESSAGES), &events, &mut report);
    report.media = files.keys().filter(|n| n.starts_with("media/")).count();
    let accesses = events
        .values()
        .filter(|(e, _)| e.kind.starts_with("access."))
        .count();
    let found = (report.events, report.messages, report.media, accesses);
    check_counts(&manifest, found, &mut report.problems);
    report.manifest = Some(manifest);
    report
}

/// Whether `name` is one a bundle may hold: the fixed files, or a media
/// file named by a SHA-256 (with an optional extension).
pub fn allowed_name(name: &str) -> bool {
    if [MANIFEST, SIGNATURE, EVENTS, MESSAGES, TRANSCRIPT].contains(&name) {
        return true;
    }
    let Some(file) = name.strip_prefix("media/") else {
        return false;
    };
    let (sha, extension) = file.split_once('.').unwrap_or((file, ""));
    sha.len() == 64
        && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && extension.len() <= 4
        && extension
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// How many entries the ZIP's end-of-central-directory record says it
/// holds (the ZIP64 record's count when there is one). A reader that
/// keeps one entry per name would hide a second entry of the same name;
/// comparing counts catches it.
fn recorded_entries(bytes: &[u8]) -> Option<u64> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const ZIP64_LOCATOR: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
    let start = bytes.len().saturating_sub(22 + 65_535);
    let at = (start..=bytes.len().checked_sub(22)?)
        .rev()
        .find(|&i| bytes[i..i + 4] == EOCD)?;
    let count = u16::from_le_bytes([bytes[at + 10], bytes[at + 11]]);
    if count != u16::MAX {
        return Some(u64::from(count));
    }
    let locator = at.checked_sub(20)?;
    if bytes[locator..locator + 4] != ZIP64_LOCATOR {
        return None;
    }
    let record = usize::try_from(u64::from_le_bytes(
        bytes[locator + 8..locator + 16].try_into().ok()?,
    ))
    .ok()?;
    Some(u64::from_le_bytes(
        bytes.get(record + 32..record + 40)?.try_into().ok()?,
    ))
}

/// Every file of the ZIP by name, or why it cannot be read.
fn read_zip(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let bytes =
        std::fs::read(path).map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    let recorded = recorded_entries(&bytes);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|err| format!("{} is not a ZIP bundle: {err}", path.display()))?;
    if archive.offset() != 0 {
        return Err(format!(
            "{}: something is stored in front of the ZIP archive",
            path.display()
        ));
    }
    if recorded != Some(archive.len() as u64) {
        return Err(format!(
            "{}: an entry name appears more than once (or the archive's directory is damaged)",
            path.display()
        ));
    }
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|err| format!("{}: entry {index} cannot be read: {err}", path.display()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        if !allowed_name(&name) {
            return Err(format!("{name}: not a file a bundle holds"));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .map_err(|err| format!("{name} cannot be read: {err}"))?;
        if files.insert(name.clone(), bytes).is_some() {
            return Err(format!("{name} appears twice in the bundle"));
        }
    }
    Ok(files)
}

fn check_manifest(
    manifest: &Manifest,
    key: &PublicKey,
    published: Option<&[Checkpoint]>,
    problems: &mut Vec<String>,
) {
    if manifest.format != FORMAT {
        problems.push(format!(
            "{MANIFEST}: format {:?} is not {FORMAT:?}",
            manifest.format
        ));
    }
    if manifest.key_id != key.key_id() {
        problems.push(format!(
            "{MANIFEST}: signed by key {}, not the given key {}",
            manifest.key_id,
            key.key_id()
        ));
    }
    if !manifest.checkpoint.verify_signature(key) {
        problems.push(format!(
            "{MANIFEST}: {} is not signed by key {}",
            manifest.checkpoint.describe(),
            key.key_id()
        ));
    }
    if let Some(published) = published {
        if !published.contains(&manifest.checkpoint) {
            problems.push(format!(
                "{MANIFEST}: {} is not among the published checkpoints",
                manifest.checkpoint.describe()
            ));
        }
    }
}

fn check_file_hashes(
    manifest: &Manifest,
    files: &BTreeMap<String, Vec<u8>>,
    problems: &mut Vec<String>,
) {
    for (name, bytes) in files {
        if name == MANIFEST || name == SIGNATURE {
            continue;
        }
        match manifest.files.get(name) {
            None => problems.push(format!("{name}: not listed in the manifest")),
            Some(expected) if *expected != sha256_hex(bytes) => problems.push(format!(
                "{name}: changed (its SHA-256 differs from the manifest's)"
            )),
            Some(_) => {}
        }
        if let Some(sha) = name.strip_prefix("media/") {
            let sha = sha.split('.').next().unwrap_or_default();
            if sha != sha256_hex(bytes) {
                problems.push(format!(
                    "{name}: its content is not the SHA-256 it is named by"
                ));
            }
        }
    }
    for name in manifest.files.keys() {
        if !files.contains_key(name) {
            problems.push(format!("{name}: listed in the manifest but missing"));
        }
    }
}

/// Checks every event line and its inclusion proof; the events by seq.
fn check_events(
    manifest: &Manifest,
    bytes: Option<&Vec<u8>>,
    problems: &mut Vec<String>,
) -> BTreeMap<i64, (EventLine, serde_json::Value)> {
    let mut events = BTreeMap::new();
    let Some(bytes) = bytes else {
        problems.push(format!("{EVENTS} is missing"));
        return events;
    };
    let checkpoint = &manifest.checkpoint.body;
    let mut previous = 0;
    for (number, line) in String::from_utf8_lossy(bytes).lines().enumerate() {
        let at = format!("{EVENTS} line {}", number + 1);
        let event: EventLine = match serde_json::from_str(line) {
            Ok(event) => event,
            Err(err) => {
                problems.push(format!("{at}: not an event ({err})"));
                continue;
            }
        };
        let at = format!("{at} (seq {})", event.seq);
        if event.seq <= previous {
            problems.push(format!(
                "{at}: comes after seq {previous}; lines were reordered or repeated"
            ));
        }
        previous = previous.max(event.seq);
        if event.seq < 1 || event.leaf_index != event.seq as u64 - 1 {
            problems.push(format!("{at}: leaf_index is not seq - 1"));
        }
        if event.seq as u64 > checkpoint.tree_size {
            problems.push(format!(
                "{at}: after the checkpoint's {} events",
                checkpoint.tree_size
            ));
        }
        match event.leaf() {
            Err(why) => problems.push(format!("{at}: {why}")),
            Ok(leaf) if !checkpoint.includes(leaf, event.leaf_index, &event.proof) => {
                problems.push(format!(
                    "{at}: not in the log the checkpoint signs (its inclusion proof fails): the event was altered"
                ))
            }
            Ok(_) => {}
        }
        let payload = serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
        events.insert(event.seq, (event, payload));
    }
    events
}

/// What the events say about each message: which event recorded it, the
/// newest that states its delivery status, and the digest of its file.
#[derive(Default)]
struct MessageFacts<'a> {
    created: BTreeMap<&'a str, i64>,
    newest_status: HashMap<&'a str, i64>,
    file: HashMap<&'a str, &'a str>,
}

impl<'a> MessageFacts<'a> {
    fn new(events: &'a BTreeMap<i64, (EventLine, serde_json::Value)>) -> Self {
        let mut facts = MessageFacts::default();
        for (seq, (event, payload)) in events {
            let Some(message) = payload.get("message").and_then(|m| m.as_str()) else {
                continue;
            };
            let kind = event.kind.as_str();
            if ["in", "out", "note", "activity"]
                .iter()
                .any(|d| creating_kind(d) == kind)
            {
                facts.created.entry(message).or_insert(*seq);
            }
            if matches!(kind, "message.status" | "message.queued") {
                facts.newest_status.insert(message, *seq);
            }
            if matches!(kind, "message.media" | "message.queued") {
                if let Some(sha) = payload.get("sha256").and_then(|s| s.as_str()) {
                    facts.file.insert(message, sha);
                }
            }
        }
        facts
    }
}

/// Checks every message line against the events, and that every message
/// the events record has its line; returns how many lines there were.
fn check_messages(
    manifest: &Manifest,
    bytes: Option<&Vec<u8>>,
    events: &BTreeMap<i64, (EventLine, serde_json::Value)>,
    report: &mut ExportReport,
) -> usize {
    let Some(bytes) = bytes else {
        report.problems.push(format!("{MESSAGES} is missing"));
        return 0;
    };
    let facts = MessageFacts::new(events);
    let mut listed = std::collections::HashSet::new();
    let mut count = 0;
    for (number, line) in String::from_utf8_lossy(bytes).lines().enumerate() {
        count += 1;
        let at = format!("{MESSAGES} line {}", number + 1);
        let message: MessageLine = match serde_json::from_str(line) {
            Ok(message) => message,
            Err(err) => {
                report.problems.push(format!("{at}: not a message ({err})"));
                continue;
            }
        };
        let at = format!("{at} (message {})", message.id);
        for why in message_mismatches(&message, events, &facts) {
            report.problems.push(format!("{at}: {why}"));
        }
        if let Some(media) = &message.media {
            if manifest.files.get(&media.file) != Some(&media.sha256)
                || !media.file.starts_with(&format!("media/{}", media.sha256))
            {
                report.problems.push(format!(
                    "{at}: its media {} is not in the bundle",
                    media.file
                ));
            }
        }
        listed.insert(message.id);
    }
    for (message, seq) in &facts.created {
        if !listed.contains(*message) {
            report.problems.push(format!(
                "{EVENTS} seq {seq} records message {message}, which {MESSAGES} lacks: a message was removed"
            ));
        }
    }
    count
}

/// How a message line differs from its events.
fn message_mismatches(
    message: &MessageLine,
    events: &BTreeMap<i64, (EventLine, serde_json::Value)>,
    facts: &MessageFacts<'_>,
) -> Vec<String> {
    let mut why = Vec::new();
    let Some((event, payload)) = message.seq.and_then(|seq| events.get(&seq)) else {
        why.push(match message.seq {
            Some(seq) => format!("its event (seq {seq}) is not in {EVENTS}"),
            None => "no event in the log records it".into(),
        });
        return why;
    };
    let text = |key: &str| payload.get(key).and_then(|v| v.as_str());
    let direction = message.direction.as_str();
    if event.kind != creating_kind(direction) {
        why.push(format!(
            "its event is {}, not what records a message going {direction}",
            event.kind
        ));
    }
    if text("message") != Some(message.id.as_str()) {
        why.push("its event is about another message".into());
    }
    if text("conversation") != Some(message.conversation.as_str()) {
        why.push("its event is in another conversation".into());
    }
    if message.created_at != event.at {
        why.push("its time differs from its event's".into());
    }
    if matches!(direction, "in" | "out") && text("kind") != Some(&message.kind) {
        why.push("its kind differs from its event's".into());
    }
    if event_body(&event.kind, payload) != message.body {
        why.push("its text differs from its event's: the message was edited".into());
    }
    if direction == "in" {
        if text("contact") != Some(message.contact.as_str())
            || text("channel") != Some(message.channel.as_str())
        {
            why.push("its client or channel differs from its event's".into());
        }
    } else if event.actor != message.author {
        why.push("its author differs from its event's actor".into());
    }
    if direction == "out" {
        let newest = facts.newest_status.get(message.id.as_str()).copied();
        match newest
            .filter(|n| Some(*n) == message.status_seq)
            .and_then(|n| events.get(&n))
        {
            Some((_, stated)) => {
                let said = |key: &str| stated.get(key).and_then(|v| v.as_str());
                if said("status") != message.status.as_deref()
                    || said("error") != message.error.as_deref()
                {
                    why.push("its delivery status differs from its events'".into());
                }
            }
            None => why.push("its delivery status is not the newest its events state".into()),
        }
    }
    if let Some(sha) = facts.file.get(message.id.as_str()) {
        if message.media.as_ref().map(|m| m.sha256.as_str()) != Some(*sha) {
            why.push("its file differs from the one its events name".into());
        }
    }
    why
}

fn check_counts(
    manifest: &Manifest,
    found: (usize, usize, usize, usize),
    problems: &mut Vec<String>,
) {
    let (events, messages, media, accesses) = found;
    let counts = &manifest.counts;
    for (what, said, found) in [
        ("event(s)", counts.events, events),
        ("message(s)", counts.messages, messages),
        ("media file(s)", counts.media, media),
        ("access event(s)", counts.accesses, accesses),
    ] {
        if said != found as u64 {
            problems.push(format!(
                "{MANIFEST}: says {said} {what}, the bundle holds {found}"
            ));
        }
    }
}
