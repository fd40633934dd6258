//! The `wechat.send` job: delivers one queued reply through WeChat's
//! customer-service API at most once. The message is marked `sending` and
//! committed before the call; a crash after that leaves it `unknown`.

use crate::channels::clients::Clients;
use crate::clock::Clock;
use crate::store::jobs::Job;
use crate::store::outbound::{claim_for_sending, finish_sending};
use crate::store::Store;
use wechat::client::{CustomMessage, CustomSend};
use wechat::{Action, OpenId};

/// Sends replies through the channel's shared API client.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    clock: Clock,
    clients: Clients,
}

impl Sender {
    pub fn new(store: Store, clients: Clients, clock: Clock) -> Self {
        Sender {
            store,
            clock,
            clients,
        }
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
        let client = match self.clients.get(&outgoing.channel_id).await {
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
