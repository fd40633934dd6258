//! The `wechat.media` job and the content-addressed media store. WeChat
//! keeps inbound media for three days; the job runs as the message arrives
//! (retrying with backoff) and files the bytes under
//! `<data dir>/media/<first two hex>/<sha256>`, so identical files are kept once.

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
        let (content_type, bytes) = match downloaded {
            DownloadedMedia::File {
                content_type,
                bytes,
                ..
            } => (content_type, bytes),
            DownloadedMedia::VideoUrl(url) => {
                let response = self
                    .http
                    .get(&url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| format!("the video link did not answer: {}", e.without_url()))?;
                let content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("video/mp4")
                    .to_owned();
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| e.without_url().to_string())?;
                (content_type, bytes.to_vec())
            }
        };
        let sha256 = self
            .media
            .put(&bytes)
            .await
            .map_err(|e| format!("cannot write to the media store: {e}"))?;
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.finish(&row, Ok((&sha256, &content_type, size))).await
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
