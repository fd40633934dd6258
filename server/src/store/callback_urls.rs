//! Signed callback URLs and the body each first came with (see migration
//! `0009_callback_urls.sql`), shared by every node through the database.

use super::{value_rows, Store, Tx};
use crate::error::AppResult;
use crate::on_tx;
use shared::ChannelId;

/// One signed callback URL and the SHA-256 (hex) of the body it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackUrl {
    pub channel_id: ChannelId,
    /// WeChat's `timestamp`, in seconds.
    pub signed_at: i64,
    pub nonce: String,
    pub body_hash: String,
}

impl CallbackUrl {
    fn key(&self) -> (ChannelId, i64, &str) {
        (self.channel_id, self.signed_at, &self.nonce)
    }
}

/// Binds each URL to its body the first time it is seen, in `tx`; `true`
/// for a URL first seen now or seen before with the same body, `false` for
/// one that came before with another body (a replay). Within `urls`, the
/// first body of a URL wins.
pub async fn bind(tx: &mut Tx, urls: &[&CallbackUrl]) -> AppResult<Vec<bool>> {
    use std::collections::{BTreeMap, HashMap};
    // In key order, so two nodes binding the same URLs lock rows in the
    // same order and cannot deadlock.
    let mut first: BTreeMap<(ChannelId, i64, &str), &str> = BTreeMap::new();
    for url in urls {
        first.entry(url.key()).or_insert(&url.body_hash);
    }
    if first.is_empty() {
        return Ok(Vec::new());
    }
    // A URL already stored keeps its body: the no-op update makes RETURNING
    // give the stored hash, also when another node committed it first.
    let sql = format!(
        "INSERT INTO callback_urls (channel_id, signed_at, nonce, body_hash) VALUES {} \
         ON CONFLICT (channel_id, signed_at, nonce) DO UPDATE SET body_hash = callback_urls.body_hash \
         RETURNING channel_id, signed_at, nonce, body_hash",
        value_rows(first.len(), 4, 1)
    );
    let returned: Vec<(String, i64, String, String)> = on_tx!(tx, c => {
        let mut query = sqlx::query_as(&sql);
        for ((channel, signed_at, nonce), hash) in &first {
            query = query.bind(channel.to_string()).bind(*signed_at).bind(*nonce).bind(*hash);
        }
        query.fetch_all(&mut *c).await?
    });
    let stored: HashMap<(String, i64, String), String> = returned
        .into_iter()
        .map(|(channel, signed_at, nonce, hash)| ((channel, signed_at, nonce), hash))
        .collect();
    Ok(urls
        .iter()
        .map(|url| {
            let key = (url.channel_id.to_string(), url.signed_at, url.nonce.clone());
            stored.get(&key) == Some(&url.body_hash)
        })
        .collect())
}

impl Store {
    /// Forgets URLs signed before `before` (seconds): older ones are refused
    /// by the timestamp window anyway.
    pub async fn prune_callback_urls(&self, before: i64) -> AppResult<u64> {
        self.delete_before("DELETE FROM callback_urls WHERE signed_at < $1", before)
            .await
    }
}
