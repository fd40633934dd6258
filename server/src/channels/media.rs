//! The `wechat.media` job and the content-addressed media store. WeChat
//! keeps inbound media for three days; the job runs as the message arrives
//! (retrying with backoff) and files the bytes under
//! `<data dir>/media/<first two hex>/<sha256>`, so identical files are kept once.
//!
//! What a file is comes from its bytes, never from what WeChat (or whoever
//! answers in its name) claims: a type outside `shared::media::INLINE_TYPES`
//! is kept as `application/octet-stream` and only ever offered as a download.

use crate::channels::clients::Clients;
use crate::clock::Clock;
use crate::store::jobs::Job;
use crate::store::Store;
use sha2::{Digest, Sha256};
use shared::api::MediaState;
use shared::MessageId;
use std::path::{Path, PathBuf};
use wechat::client::DownloadedMedia;
use wechat::message::MediaId;
use wechat::Action;

/// The largest file kept from WeChat (its own limits are 10 MB).
pub const MAX_MEDIA_BYTES: usize = wechat::client::MAX_RESPONSE_BYTES;

/// The type `bytes` are, when it is one Harbour shows inline; anything
/// else (HTML, SVG, scripts, unknown) is a download.
pub fn sniffed_type(bytes: &[u8]) -> &'static str {
    infer::get(bytes)
        .map(|kind| kind.mime_type())
        .filter(|mime| shared::media::is_inline(mime))
        .unwrap_or(shared::media::DOWNLOAD_TYPE)
}

/// The name of a file in the store.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Files named by their sha256.
#[derive(Clone, Debug)]
pub struct MediaStore {
    root: PathBuf,
}

impl MediaStore {
    pub fn new(data_dir: &Path) -> Self {
        MediaStore {
            root: data_dir.join("media"),
        }
    }

    /// Where a digest lives; `None` for anything that is not a sha256 in hex.
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Writes `bytes` (atomically: a temporary file, flushed, then renamed)
    /// unless the same content is already there; returns its sha256.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha256 = sha256_hex(bytes);
        let path = self.path(&sha256).ok_or(std::io::ErrorKind::InvalidInput)?;
        if tokio::fs::try_exists(&path).await? {
            // Kept once, named again: fresh, so the orphan sweep leaves it
            // to the message about to name it.
            let touched = path.clone();
            tokio::task::spawn_blocking(move || {
                std::fs::File::options()
                    .append(true)
                    .open(&touched)
                    .and_then(|file| file.set_modified(std::time::SystemTime::now()))
            })
            .await
            .map_err(std::io::Error::other)??;
            return Ok(sha256);
        }
        let dir = path.parent().ok_or(std::io::ErrorKind::InvalidInput)?;
        tokio::fs::create_dir_all(dir).await?;
        let temporary = dir.join(format!(".{sha256}.{}", uuid::Uuid::new_v4()));
        let written = async {
            let mut file = tokio::fs::File::create(&temporary).await?;
            tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
            file.sync_all().await?;
            tokio::fs::rename(&temporary, &path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&temporary).await;
        }
        written.map(|()| sha256)
    }

    pub async fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path(sha256).ok_or(std::io::ErrorKind::InvalidInput)?;
        tokio::fs::read(path).await
    }

    /// Files (and half-written temporaries) last changed before `before`,
    /// as (digest or `None` for a temporary, path).
    async fn files_before(
        &self,
        before: std::time::SystemTime,
    ) -> std::io::Result<Vec<(Option<String>, PathBuf)>> {
        let mut found = Vec::new();
        let Ok(mut shards) = tokio::fs::read_dir(&self.root).await else {
            return Ok(found); // nothing stored yet
        };
        while let Some(shard) = shards.next_entry().await? {
            if !shard.file_type().await?.is_dir() {
                continue;
            }
            let mut files = tokio::fs::read_dir(shard.path()).await?;
            while let Some(file) = files.next_entry().await? {
                if !changed_before(&file.path(), before).await? {
                    continue;
                }
                let name = file.file_name().to_string_lossy().into_owned();
                let digest = self.path(&name).is_some().then_some(name);
                found.push((digest, file.path()));
            }
        }
        Ok(found)
    }
}

/// Whether the file at `path` was last changed before `before`; a file
/// that is gone (removed meanwhile) was not.
async fn changed_before(path: &Path, before: std::time::SystemTime) -> std::io::Result<bool> {
    match tokio::fs::metadata(path).await {
        Ok(metadata) => Ok(metadata.modified()? < before),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

/// Removes stored files no message names (an upload whose reply was then
/// refused, say) and temporaries a crash left, when last changed before
/// `before`: a file written just now may be about to be named. Returns how
/// many were removed.
pub async fn sweep_orphans(
    store: &Store,
    media: &MediaStore,
    before: std::time::SystemTime,
) -> anyhow::Result<usize> {
    let files = media.files_before(before).await?;
    let digests: Vec<String> = files.iter().filter_map(|(d, _)| d.clone()).collect();
    let referenced = store.referenced_media(&digests).await?;
    let mut removed = 0;
    for (digest, path) in files {
        if digest.is_some_and(|d| referenced.contains(&d)) {
            continue;
        }
        // Uploaded again since the walk: about to be named, so kept.
        if !changed_before(&path, before).await? {
            continue;
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => removed += 1,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(removed)
}

/// Runs `wechat.media` jobs.
#[derive(Clone)]
pub struct MediaFetcher {
    pub store: Store,
    pub clients: Clients,
    pub clock: Clock,
    pub media: MediaStore,
    /// For video, whose download is a link to fetch.
    pub http: reqwest::Client,
}

impl MediaFetcher {
    /// `Err` asks the job queue to try again later.
    pub async fn run(&self, job: Job) -> Result<(), String> {
        let message_id: MessageId = job.names("message")?;
        let Some(row) = self
            .store
            .media_row(message_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(()); // the message is gone (erased)
        };
        let (Some(MediaState::Pending), Some(media_id)) = (row.state(), row.media_id.as_deref())
        else {
            return Ok(()); // already stored or given up
        };
        let client = match self.clients.get(row.channel_id).await {
            Ok(client) => client,
            Err(reason) => {
                let sentence = format!("Harbour could not use this channel: {reason}.");
                return self.finish(&row, Err(&sentence)).await;
            }
        };
        let downloaded = match client.download_media(&MediaId::new(media_id)).await {
            Ok(downloaded) => downloaded,
            Err(err) => {
                return match err.action() {
                    Action::Retry(_) | Action::RefreshToken => Err(format!(
                        "WeChat did not hand over the media ({})",
                        err.code()
                    )),
                    _ => {
                        let sentence =
                            err.agent_sentence().map(str::to_owned).unwrap_or_else(|| {
                                format!("WeChat would not hand over this file ({}).", err.code())
                            });
                        self.finish(&row, Err(&sentence)).await
                    }
                };
            }
        };
        let bytes = match downloaded {
            DownloadedMedia::File { bytes, .. } => bytes,
            DownloadedMedia::VideoUrl(url) => {
                let response = self
                    .http
                    .get(&url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| format!("the video link did not answer: {}", e.without_url()))?;
                let limited = wechat::client::read_at_most(response, MAX_MEDIA_BYTES)
                    .await
                    .map_err(|e| e.without_url().to_string())?;
                match limited {
                    Some(bytes) => bytes,
                    None => {
                        let sentence = format!(
                            "This video is larger than the {} MB Harbour keeps.",
                            MAX_MEDIA_BYTES / (1024 * 1024)
                        );
                        return self.finish(&row, Err(&sentence)).await;
                    }
                }
            }
        };
        let content_type = sniffed_type(&bytes);
        let sha256 = self
            .media
            .put(&bytes)
            .await
            .map_err(|e| format!("cannot write to the media store: {e}"))?;
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.finish(&row, Ok((&sha256, content_type, size))).await
    }

    /// The job ran out of attempts: the file is marked failed, with the
    /// reason, rather than "being fetched" for ever.
    pub async fn give_up(&self, job: Job, reason: &str) -> Result<(), String> {
        let message_id: MessageId = job.names("message")?;
        let Some(row) = self
            .store
            .media_row(message_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        if row.state() != Some(MediaState::Pending) {
            return Ok(());
        }
        let sentence = format!(
            "WeChat did not hand over this file after {} attempts ({reason}).",
            job.attempts
        );
        self.finish(&row, Err(&sentence)).await
    }

    async fn finish(
        &self,
        row: &crate::store::media::MediaRow,
        outcome: Result<(&str, &str, i64), &str>,
    ) -> Result<(), String> {
        self.store
            .finish_media(self.clock.now(), row, outcome)
            .await
            .map_err(|e| e.to_string())
    }
}
