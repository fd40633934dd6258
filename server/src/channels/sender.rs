//! The `wechat.send` job: delivers one queued reply through WeChat's
//! customer-service API at most once. The message is marked `sending` and
//! committed before the call; a crash after that leaves it `unknown`.

use crate::channels::official_account;
use crate::clock::Clock;
use crate::secrets::SecretBox;
use crate::store::jobs::Job;
use crate::store::outbound::{claim_for_sending, finish_sending};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wechat::client::{AppSecret, CustomMessage, CustomSend};
use wechat::{Action, ApiClient, AppId, OpenId};

/// Sends replies; keeps one API client (and so one access token) per channel.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    secrets: Arc<SecretBox>,
    clock: Clock,
    clients: Arc<Mutex<HashMap<String, ApiClient>>>,
}

impl Sender {
    pub fn new(store: Store, secrets: Arc<SecretBox>, clock: Clock) -> Self {
        Sender {
            store,
            secrets,
            clock,
            clients: Arc::default(),
        }
    }

    async fn client(&self, channel_id: &str) -> Result<ApiClient, String> {
        if let Some(client) = self
            .clients
            .lock()
            .ok()
            .and_then(|c| c.get(channel_id).cloned())
        {
            return Ok(client);
        }
        let account = official_account::load(&self.store, &self.secrets, channel_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the channel no longer exists")?;
        let client = ApiClient::builder(
            AppId::new(account.channel.app_id.clone()),
            AppSecret::new(account.secrets.app_secret.clone()),
        )
        .base_url(account.channel.api_base.clone())
        .build()
        .map_err(|e| e.code().to_owned())?;
        if let Ok(mut clients) = self.clients.lock() {
            clients.insert(channel_id.to_owned(), client.clone());
        }
        Ok(client)
    }

    /// Runs one send job. `Err` asks the job queue to retry later.
    pub async fn run(&self, job: Job) -> Result<(), String> {
        let payload: serde_json::Value =
            serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
        let message_id = payload["message"]
            .as_str()
            .ok_or("the job names no message")?;
        let Some(outgoing) = claim_for_sending(&self.store, self.clock.now(), message_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(()); // already sent, failed, or stranded and now `unknown`
        };
        let client = match self.client(&outgoing.channel_id).await {
            Ok(client) => client,
            Err(reason) => {
                let sentence = format!("Harbour could not use this channel: {reason}.");
                return self.finish(message_id, "failed", Some(&sentence)).await;
            }
        };
        let send = CustomSend::new(
            OpenId::new(outgoing.open_id.clone()),
            CustomMessage::text(outgoing.body.clone().unwrap_or_default()),
        );
        match client.send(&send).await {
            Ok(()) => self.finish(message_id, "sent", None).await,
            Err(err) if err.is_ambiguous() => {
                // WeChat may have delivered it; never risk a second copy.
                let sentence = "WeChat did not confirm this message in time, so it may or may not have arrived. It was not resent.";
                self.finish(message_id, "unknown", Some(sentence)).await
            }
            Err(err) => match err.action() {
                Action::Retry(_) => {
                    // WeChat refused before delivering: safe to queue again.
                    self.finish(message_id, "queued", Some(err.code())).await?;
                    Err(format!("WeChat asked to retry later ({})", err.code()))
                }
                _ => {
                    let sentence = err.agent_sentence().map(str::to_owned).unwrap_or_else(|| {
                        format!("WeChat refused this message ({}).", err.code())
                    });
                    self.finish(message_id, "failed", Some(&sentence)).await
                }
            },
        }
    }

    async fn finish(
        &self,
        message_id: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), String> {
        finish_sending(&self.store, self.clock.now(), message_id, status, error)
            .await
            .map_err(|e| e.to_string())
    }
}
