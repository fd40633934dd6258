//! Rows behind the media and profile jobs, and the access tokens every node
//! shares.

use super::Store;
use crate::error::AppResult;
use crate::{on_read, on_tx};
use shared::api::MediaState;
use shared::{ChannelId, ContactId, ConversationId, MessageId, TeamId};

/// An inbound message whose media is to be downloaded or served.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MediaRow {
    #[sqlx(try_from = "String")]
    pub id: MessageId,
    #[sqlx(try_from = "String")]
    pub channel_id: ChannelId,
    #[sqlx(try_from = "String")]
    pub conversation_id: ConversationId,
    pub team_id: Option<String>,
    pub media_id: Option<String>,
    pub media_state: Option<String>,
    pub media_sha256: Option<String>,
    pub media_type: Option<String>,
}

impl MediaRow {
    pub fn team(&self) -> Option<TeamId> {
        self.team_id.as_deref().and_then(|t| t.parse().ok())
    }

    /// Harbour writes only [`MediaState`] words; `None` for a message without media.
    pub fn state(&self) -> Option<MediaState> {
        self.media_state.as_deref().and_then(|s| s.parse().ok())
    }
}

/// A contact whose profile is to be fetched.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProfileTarget {
    #[sqlx(try_from = "String")]
    pub id: ContactId,
    #[sqlx(try_from = "String")]
    pub channel_id: ChannelId,
    pub open_id: String,
    pub team_id: Option<String>,
}

/// What `user/info` (or WeCom's `kf/customer/batchget`) told about a
/// contact.
pub struct Profile<'a> {
    pub subscribed: bool,
    /// The WeChat nickname, where the API gives one (WeCom does): kept as
    /// the contact's name unless someone named them already.
    pub nickname: Option<&'a str>,
    pub union_id: Option<&'a str>,
    pub language: Option<&'a str>,
    pub remark: Option<&'a str>,
    pub subscribed_at: Option<i64>,
}

impl Store {
    pub async fn media_row(&self, message_id: MessageId) -> AppResult<Option<MediaRow>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as(
                "SELECT m.id, m.channel_id, m.conversation_id, c.team_id, m.media_id, m.media_state, m.media_sha256, m.media_type \
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = $1",
            )
            .bind(message_id.to_string())
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records the outcome of a download: `stored` with the file's digest, or `failed` with why.
    pub async fn finish_media(
        &self,
        now: i64,
        row: &MediaRow,
        outcome: Result<(&str, &str, i64), &str>,
    ) -> AppResult<()> {
        let (state, sha, content_type, size, error) = match outcome {
            Ok((sha, content_type, size)) => (
                MediaState::Stored,
                Some(sha),
                Some(content_type),
                Some(size),
                None,
            ),
            Err(why) => (MediaState::Failed, None, None, None, Some(why)),
        };
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE messages SET media_state = $2, media_sha256 = $3, media_type = $4, media_size = $5, media_error = $6 \
                 WHERE id = $1 AND media_state = 'pending'",
            )
            .bind(row.id.to_string())
            .bind(state.as_str())
            .bind(sha)
            .bind(content_type)
            .bind(size)
            .bind(error)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        let payload = serde_json::json!({
            "conversation": row.conversation_id,
            "message": row.id,
            "state": state,
            // The kept file's digest, so the record ties it to the message.
            "sha256": sha,
        });
        super::events::append(
            &mut tx,
            now,
            &[super::events::NewEvent::new("message.media", None, payload).in_team(row.team())],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn profile_target(&self, contact_id: ContactId) -> AppResult<Option<ProfileTarget>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as(
                "SELECT k.id, k.channel_id, k.open_id, c.team_id FROM contacts k \
                 LEFT JOIN conversations c ON c.contact_id = k.id WHERE k.id = $1",
            )
            .bind(contact_id.to_string())
            .fetch_optional(pool)
            .await?
        }))
    }

    pub async fn finish_profile(
        &self,
        now: i64,
        target: &ProfileTarget,
        profile: Result<&Profile<'_>, &str>,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        match profile {
            Ok(p) => on_tx!(&mut tx, c => {
                sqlx::query(
                    "UPDATE contacts SET subscribed = $2, union_id = COALESCE($3, union_id), language = COALESCE($4, language), \
                     remark = COALESCE($5, remark), subscribed_at = COALESCE($6, subscribed_at), \
                     name = COALESCE(name, $8), \
                     profile_state = 'fetched', profile_fetched_at = $7, updated_at = $7 WHERE id = $1",
                )
                .bind(target.id.to_string())
                .bind(p.subscribed)
                .bind(p.union_id)
                .bind(p.language)
                .bind(p.remark)
                .bind(p.subscribed_at)
                .bind(now)
                .bind(p.nickname)
                .execute(&mut *c)
                .await?
                .rows_affected()
            }),
            Err(_) => on_tx!(&mut tx, c => {
                sqlx::query("UPDATE contacts SET profile_state = 'failed', updated_at = $2 WHERE id = $1")
                    .bind(target.id.to_string())
                    .bind(now)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            }),
        };
        let team = target.team_id.as_deref().and_then(|t| t.parse().ok());
        let payload = serde_json::json!({
            "contact": target.id,
            "profile": if profile.is_ok() { "fetched" } else { "failed" },
        });
        let mut events =
            vec![super::events::NewEvent::new("contact.profile", None, payload).in_team(team)];
        // The same person on another channel (an Official Account follower
        // who also chats through WeCom): one client from now on, and the
        // record says when and why.
        if let Some(union_id) = profile.ok().and_then(|p| p.union_id) {
            let others: Vec<String> = on_tx!(&mut tx, c => {
                sqlx::query_scalar(
                    "SELECT id FROM contacts WHERE union_id = $1 AND id <> $2 ORDER BY created_at",
                )
                .bind(union_id)
                .bind(target.id.to_string())
                .fetch_all(&mut *c)
                .await?
            });
            if !others.is_empty() {
                let payload = serde_json::json!({
                    "contact": target.id,
                    "linked": others,
                    "union_id": union_id,
                });
                events.push(
                    super::events::NewEvent::new("contact.linked", None, payload).in_team(team),
                );
            }
        }
        super::events::append(&mut tx, now, &events).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// The sealed access token for an appid, with when it was obtained and its lifetime.
    pub async fn access_token(&self, app_id: &str) -> AppResult<Option<(Vec<u8>, i64, i64)>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as("SELECT sealed, obtained_at, expires_in_ms FROM access_tokens WHERE app_id = $1")
                .bind(app_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn put_access_token(
        &self,
        app_id: &str,
        sealed: &[u8],
        obtained_at: i64,
        expires_in_ms: i64,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO access_tokens (app_id, sealed, obtained_at, expires_in_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (app_id) DO UPDATE SET sealed = $2, obtained_at = $3, expires_in_ms = $4",
            )
            .bind(app_id)
            .bind(sealed)
            .bind(obtained_at)
            .bind(expires_in_ms)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        self.commit(tx).await?;
        Ok(())
    }
}

impl super::Store {
    /// Which of `digests` a message still names.
    pub async fn referenced_media(
        &self,
        digests: &[String],
    ) -> AppResult<std::collections::HashSet<String>> {
        let mut referenced = std::collections::HashSet::new();
        for chunk in digests.chunks(500) {
            let sql = format!(
                "SELECT DISTINCT media_sha256 FROM messages WHERE media_sha256 IN ({})",
                super::marks(chunk.len(), 1)
            );
            let found: Vec<String> = crate::on_read!(self, pool => {
                let mut query = sqlx::query_scalar(&sql);
                for digest in chunk {
                    query = query.bind(digest);
                }
                query.fetch_all(pool).await?
            });
            referenced.extend(found);
        }
        Ok(referenced)
    }
}
