//! Signed checkpoints of the event log, which an outsider can check.
//!
//! Beside the hash chain, the events form an RFC 6962 Merkle tree (leaf
//! `i` is event `seq = i + 1`; see `docs/evidence-format.md`). Every so
//! often Harbour signs the tree's size, root and time with an Ed25519 key
//! kept outside the database, stores the checkpoint as an event, and
//! copies it out of the database (files for WORM storage, and a witness).
//! With those copies `harbour audit verify` detects a deleted tail, a
//! rewritten and re-chained log, and a replaced key, even after someone
//! had full write access to the database.

use anyhow::{bail, Context};
use base64::Engine;
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The event kind a checkpoint is stored as.
pub const CHECKPOINT_KIND: &str = "audit.checkpoint";

/// The first line of the bytes a checkpoint signature covers.
const SIGNED_HEADER: &str = "harbour-checkpoint/v1";

/// What an export manifest's signature covers before the manifest's own
/// bytes, so it can never pass for a checkpoint's (or the reverse).
pub const MANIFEST_HEADER: &str = "harbour-export-manifest/v1\n";

fn manifest_signed_bytes(manifest: &[u8]) -> Vec<u8> {
    let mut bytes = MANIFEST_HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(manifest);
    bytes
}

/// The Ed25519 key that signs checkpoints. Never printed.
#[derive(Clone)]
pub struct CheckpointKey(SigningKey);

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey({})", self.key_id())
    }
}

impl CheckpointKey {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        CheckpointKey(SigningKey::from_bytes(&seed))
    }

    pub fn generate() -> Self {
        Self::from_seed(rand::random())
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub fn key_id(&self) -> String {
        self.public().key_id()
    }

    pub fn sign(&self, body: &CheckpointBody) -> Checkpoint {
        let signature = self.0.sign(&body.signed_bytes());
        Checkpoint {
            body: body.clone(),
            key_id: self.key_id(),
            signature: base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()),
        }
    }

    /// The detached signature of an export bundle's `manifest.json`:
    /// Ed25519 over [`MANIFEST_HEADER`] and the manifest's bytes, base64.
    pub fn sign_manifest(&self, manifest: &[u8]) -> String {
        let signature = self.0.sign(&manifest_signed_bytes(manifest));
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
    }

    /// The seed, as written to `checkpoint.key`.
    fn seed_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }
}

/// A checkpoint public key: `ed25519:` and the 32 bytes in base64.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes());
        write!(f, "ed25519:{b64}")
    }
}

impl PublicKey {
    /// The first 16 hex digits of the SHA-256 of the 32 key bytes.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }

    /// `ed25519:BASE64`, or a file holding it (what `harbour audit
    /// public-key` printed, saved).
    pub fn parse(text: &str) -> anyhow::Result<PublicKey> {
        let text = text.trim();
        let from_file;
        let text = if Path::new(text).is_file() {
            from_file = std::fs::read_to_string(text)
                .with_context(|| format!("cannot read the public key file {text}"))?;
            from_file
                .split_whitespace()
                .find(|word| word.starts_with("ed25519:"))
                .unwrap_or_default()
        } else {
            text
        };
        let bytes = text
            .strip_prefix("ed25519:")
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
        match bytes.map(|b| VerifyingKey::from_bytes(&b)) {
            Some(Ok(key)) => Ok(PublicKey(key)),
            _ => bail!(
                "the public key must be `ed25519:` and 32 bytes in base64, as `harbour audit public-key` prints it, or a file holding that"
            ),
        }
    }

    /// Whether `signature` is this key's over an export manifest.
    pub fn verifies_manifest(&self, manifest: &[u8], signature: &str) -> bool {
        self.verify(&manifest_signed_bytes(manifest), signature.trim())
    }

    fn verify(&self, bytes: &[u8], signature: &str) -> bool {
        let Some(signature) = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        self.0
            .verify_strict(bytes, &ed25519_dalek::Signature::from_bytes(&signature))
            .is_ok()
    }
}

/// What a checkpoint says about the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointBody {
    /// How many events the tree holds: events `1..=tree_size`.
    pub tree_size: u64,
    /// The tree's root hash, hex.
    pub root: String,
    /// When it was signed, Unix ms.
    pub at: i64,
    /// The size of the checkpoint before this one (0 for the first).
    pub previous_size: u64,
    /// The RFC 6962 consistency proof from `previous_size` to `tree_size`,
    /// hex hashes (empty for the first).
    pub consistency: Vec<String>,
}

impl CheckpointBody {
    /// The bytes the signature covers: four lines, each ending in `\n`.
    /// The consistency proof is not signed: it is checked against the two
    /// signed roots.
    pub fn signed_bytes(&self) -> Vec<u8> {
        format!(
            "{SIGNED_HEADER}\n{}\n{}\n{}\n",
            self.tree_size, self.root, self.at
        )
        .into_bytes()
    }
}

/// A signed checkpoint, as stored in its event, its file line and the
/// witness's request body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    #[serde(flatten)]
    pub body: CheckpointBody,
    /// The signing key's id (see [`PublicKey::key_id`]).
    pub key_id: String,
    /// Ed25519 over [`CheckpointBody::signed_bytes`], base64.
    pub signature: String,
}

impl Checkpoint {
    pub fn verify_signature(&self, key: &PublicKey) -> bool {
        self.key_id == key.key_id() && key.verify(&self.body.signed_bytes(), &self.signature)
    }

    /// A name for messages: its size and time.
    pub fn describe(&self) -> String {
        format!(
            "the checkpoint of {} events signed at {}",
            self.body.tree_size,
            hong_kong_time(self.body.at)
        )
    }

    /// Checks this checkpoint's consistency proof against `previous`.
    pub fn consistent_with(&self, previous: &Checkpoint) -> bool {
        self.body.extends(&previous.body)
    }
}

impl CheckpointBody {
    /// Whether this tree extends `previous`'s: `previous_size` names it and
    /// the consistency proof takes its root to this one.
    pub fn extends(&self, previous: &CheckpointBody) -> bool {
        if self.previous_size != previous.tree_size {
            return false;
        }
        let (Some(old), Some(new)) = (previous.root_hash(), self.root_hash()) else {
            return false;
        };
        if old.num_leaves() == new.num_leaves() {
            return old.as_bytes() == new.as_bytes() && self.consistency.is_empty();
        }
        let Some(proof) = decode_hashes(&self.consistency)
            .and_then(|bytes| ConsistencyProof::<Sha256>::try_from_bytes(bytes).ok())
        else {
            return false;
        };
        new.verify_consistency(&old, &proof).is_ok()
    }

    /// Whether `leaf` (an event's leaf value) is leaf `index` of this
    /// checkpoint's tree, by the inclusion proof `proof` (hex hashes).
    pub fn includes(&self, leaf: [u8; 32], index: u64, proof: &[String]) -> bool {
        let (Some(root), Some(bytes)) = (self.root_hash(), decode_hashes(proof)) else {
            return false;
        };
        let Ok(proof) = InclusionProof::<Sha256>::try_from_bytes(bytes) else {
            return false;
        };
        root.verify_inclusion(&leaf, index, &proof).is_ok()
    }

    fn root_hash(&self) -> Option<RootHash<Sha256>> {
        let bytes = <[u8; 32]>::try_from(hex::decode(&self.root).ok()?).ok()?;
        Some(RootHash::new(bytes.into(), self.tree_size))
    }
}

/// `2026-12-07 10:15:00 HKT` for a Unix time in ms.
pub fn hong_kong_time(at: i64) -> String {
    let hk = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000)) {
        Ok(t) => {
            let t = t.to_offset(hk);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} HKT",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
        Err(_) => format!("{at} ms"),
    }
}

fn decode_hashes(hashes: &[String]) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(hashes.len() * 32);
    for hash in hashes {
        let hash = hex::decode(hash).ok()?;
        if hash.len() != 32 {
            return None;
        }
        bytes.extend(hash);
    }
    Some(bytes)
}

/// The Merkle tree over the event log. Leaf `i` is the SHA-256 of event
/// `i + 1`'s canonical bytes, hashed RFC 6962 style (`0x00` prefix for
/// leaves, `0x01` for nodes). Held in memory: about 100 bytes an event.
#[derive(Default)]
pub struct EventTree(MemoryBackedTree<Sha256, [u8; 32]>);

impl EventTree {
    pub fn push(&mut self, leaf: [u8; 32]) {
        self.0.push(leaf);
    }

    pub fn len(&self) -> u64 {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The root, hex (the SHA-256 of nothing for an empty tree).
    pub fn root_hex(&self) -> String {
        hex::encode(self.0.root().as_bytes())
    }

    /// The consistency proof from the tree's first `old_size` leaves to all
    /// of it, hex hashes; empty when `old_size` is 0 or the whole tree.
    pub fn consistency_from(&self, old_size: u64) -> Vec<String> {
        if old_size == 0 || old_size >= self.len() {
            return Vec::new();
        }
        let additions = usize::try_from(self.len() - old_size).unwrap_or(usize::MAX);
        self.0
            .prove_consistency(additions)
            .as_bytes()
            .chunks(32)
            .map(hex::encode)
            .collect()
    }

    /// The RFC 6962 inclusion proof (audit path) of event `seq` in the
    /// whole tree, hex hashes; `None` for a seq the tree does not hold.
    pub fn prove_inclusion(&self, seq: i64) -> Option<Vec<String>> {
        let index = usize::try_from(seq.checked_sub(1)?).ok()?;
        if index as u64 >= self.len() {
            return None;
        }
        Some(
            self.0
                .prove_inclusion(index)
                .as_bytes()
                .chunks(32)
                .map(hex::encode)
                .collect(),
        )
    }

    /// Whether the tree's first `tree_size` leaves have the checkpoint's
    /// root: directly for the whole tree, else by a consistency proof from
    /// the checkpoint to the whole tree.
    pub fn matches(&self, checkpoint: &Checkpoint) -> bool {
        let size = checkpoint.body.tree_size;
        if size == 0 || size > self.len() {
            return false;
        }
        if size == self.len() {
            return checkpoint.body.root == self.root_hex();
        }
        self.body(checkpoint.body.at, size)
            .extends(&checkpoint.body)
    }

    /// The unsigned body of a checkpoint of the whole tree.
    pub fn body(&self, at: i64, previous_size: u64) -> CheckpointBody {
        CheckpointBody {
            tree_size: self.len(),
            root: self.root_hex(),
            at,
            previous_size,
            consistency: self.consistency_from(previous_size),
        }
    }
}

/// Reads the checkpoint key from `HARBOUR_CHECKPOINT_KEY` (`raw`), or
/// from `checkpoint.key` in the data dir, creating it (0600) on first run.
pub fn load_or_create_key(raw: Option<&str>, data_dir: &Path) -> anyhow::Result<CheckpointKey> {
    if let Some(raw) = raw {
        let seed = crate::config::parse_secret_key(raw)
            .map_err(|_| {
                anyhow::anyhow!(
                    "HARBOUR_CHECKPOINT_KEY must be 32 bytes written as 64 hex characters or base64."
                )
            })?
            .expose()
            .to_owned();
        return Ok(CheckpointKey::from_seed(seed));
    }
    let path = data_dir.join("checkpoint.key");
    if path.exists() {
        let seed = crate::config::read_private_key_file(&path)?;
        return Ok(CheckpointKey::from_seed(seed));
    }
    crate::config::ensure_data_dir(data_dir)?;
    let key = CheckpointKey::generate();
    crate::config::write_private(&path, key.seed_hex().as_bytes())
        .with_context(|| format!("HARBOUR_DATA_DIR: cannot write {}", path.display()))?;
    Ok(key)
}

/// The file a checkpoint is appended to: one per month (UTC) of its time.
fn file_for(dir: &Path, at: i64) -> PathBuf {
    let month = time::OffsetDateTime::from_unix_timestamp(at / 1000)
        .map(|t| format!("{:04}-{:02}", t.year(), u8::from(t.month())))
        .unwrap_or_else(|_| "undated".into());
    dir.join(format!("checkpoints-{month}.jsonl"))
}

/// Appends `checkpoint` as one JSON line and waits until it is on disk.
pub fn append_to_dir(dir: &Path, checkpoint: &Checkpoint) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("HARBOUR_CHECKPOINT_DIR: cannot create {}", dir.display()))?;
    let path = file_for(dir, checkpoint.body.at);
    let mut line = serde_json::to_vec(checkpoint)?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("HARBOUR_CHECKPOINT_DIR: cannot open {}", path.display()))?;
    file.write_all(&line)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("HARBOUR_CHECKPOINT_DIR: cannot write {}", path.display()))
}

/// Every checkpoint in the directory's `*.jsonl` files, by tree size. A
/// line that is not a checkpoint is an error naming the file and line.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<Checkpoint>> {
    let mut checkpoints = Vec::new();
    if !dir.exists() {
        return Ok(checkpoints);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the checkpoint directory {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let checkpoint: Checkpoint = serde_json::from_str(line).with_context(|| {
                format!("{} line {} is not a checkpoint", path.display(), number + 1)
            })?;
            checkpoints.push(checkpoint);
        }
    }
    checkpoints.sort_by_key(|c| c.body.tree_size);
    checkpoints.dedup();
    Ok(checkpoints)
}

/// The largest tree size the directory holds a checkpoint of.
pub fn newest_in_dir(dir: &Path) -> anyhow::Result<u64> {
    Ok(read_dir(dir)?
        .last()
        .map_or(0, |checkpoint| checkpoint.body.tree_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(n: u64) -> EventTree {
        let mut tree = EventTree::default();
        for i in 0..n {
            tree.push(Sha256::digest(i.to_be_bytes()).into());
        }
        tree
    }

    #[test]
    fn a_signed_checkpoint_verifies_only_with_its_key_and_its_bytes() {
        let key = CheckpointKey::from_seed([7; 32]);
        let checkpoint = key.sign(&tree(5).body(1_700_000_000_000, 0));
        assert!(checkpoint.verify_signature(&key.public()));
        let other = CheckpointKey::from_seed([8; 32]);
        assert!(!checkpoint.verify_signature(&other.public()));
        let mut forged = checkpoint.clone();
        forged.body.tree_size = 4;
        assert!(!forged.verify_signature(&key.public()));
        let parsed = PublicKey::parse(&key.public().to_string()).expect("parse");
        assert_eq!(parsed, key.public());
        assert!(PublicKey::parse("ed25519:nope").is_err());
    }

    #[test]
    fn consecutive_checkpoints_prove_the_log_only_grew() {
        let key = CheckpointKey::from_seed([1; 32]);
        let mut log = tree(0);
        let mut previous: Option<Checkpoint> = None;
        for i in 0..23_u64 {
            log.push(Sha256::digest(i.to_be_bytes()).into());
            if i % 5 == 4 || i == 22 {
                let size = previous.as_ref().map_or(0, |p| p.body.tree_size);
                let next = key.sign(&log.body(i as i64, size));
                if let Some(previous) = &previous {
                    assert!(next.consistent_with(previous), "at {i}");
                }
                previous = Some(next);
            }
        }
        // A tree that differs in one early leaf is not consistent.
        let five = key.sign(&tree(5).body(0, 0));
        let mut other = tree(0);
        for i in 0..10_u64 {
            other.push(Sha256::digest((i + u64::from(i == 2)).to_be_bytes()).into());
        }
        let ten = key.sign(&other.body(1, 5));
        assert!(!ten.consistent_with(&five));
    }

    #[test]
    fn checkpoints_round_trip_through_their_files() {
        let dir = tempfile::tempdir().expect("dir");
        let key = CheckpointKey::from_seed([3; 32]);
        let first = key.sign(&tree(3).body(1_700_000_000_000, 0));
        let second = key.sign(&tree(9).body(1_702_000_000_000, 3));
        append_to_dir(dir.path(), &second).expect("write");
        append_to_dir(dir.path(), &first).expect("write");
        assert_eq!(read_dir(dir.path()).expect("read"), vec![first, second]);
        assert_eq!(newest_in_dir(dir.path()).expect("newest"), 9);
        std::fs::write(dir.path().join("checkpoints-bad.jsonl"), "not json\n").expect("write");
        let err = read_dir(dir.path()).expect_err("bad line").to_string();
        assert!(err.contains("checkpoints-bad.jsonl line 1"), "{err}");
    }
}
