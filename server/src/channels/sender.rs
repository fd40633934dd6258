//! The `wechat.send` job: delivers one queued reply through WeChat's
//! customer-service API at most once. The message is marked `sending` and
//! committed before the call; a crash after that leaves it `unknown`. An
//! image is uploaded to WeChat first, while the reply is still `queued`:
//! an upload reaches nobody, so it is safe to repeat.
//!
//! On WeCom Customer Service the send carries the message's id as its
//! `msgid`, which WeCom treats as the same message however often it comes:
//! there a send whose answer was lost, or that a crash interrupted, is sent
//! again, and the client still receives it once.

use crate::channels::clients::Clients;
use crate::channels::media::MediaStore;
use crate::clock::Clock;
use crate::jobs::Retry;
use crate::store::jobs::Job;
use crate::store::outbound::{claim_for_sending, finish_sending, KfHold, QueuedMedia};
use crate::store::Store;
use shared::api::{DeliveryState, WindowRefusal};
use shared::MessageId;
use wechat::client::{ApiClient, ApiError, CustomMessage, CustomSend, MediaType, MediaUpload};
use wechat::kf::{KfOutbound, KfSend, ServiceState, SessionState};
use wechat::message::{ExternalUserId, KfMsgId, MediaId, OpenKfId};
use wechat::{Action, KfClient, OpenId};

/// Sends replies through the channel's shared API client.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    clock: Clock,
    clients: Clients,
    media: MediaStore,
}

/// Why an image could not be uploaded.
enum UploadFailure {
    /// Try the job again later (when WeChat said); the reply stays queued.
    Later(Retry),
    /// Give up: the reply fails with this sentence for the agent.
    Never(String),
}

impl Sender {
    pub fn new(store: Store, clients: Clients, clock: Clock, media: MediaStore) -> Self {
        Sender {
            store,
            clock,
            clients,
            media,
        }
    }

    /// Runs one send job. `Err` asks the job queue to retry later.
    pub async fn run(&self, job: Job) -> Result<(), Retry> {
        let message_id: MessageId = job.names("message")?;
        let media = self
            .store
            .queued_media(message_id)
            .await
            .map_err(|e| e.to_string())?;
        let uploaded = match &media {
            Some(media) => match self.upload(media, job.attempts).await {
                Ok(media_id) => Some(media_id),
                Err(UploadFailure::Later(retry)) => return Err(retry),
                Err(UploadFailure::Never(sentence)) => {
                    // Claimed only to record the failure; nothing was sent.
                    if claim_for_sending(&self.store, self.clock.now(), message_id)
                        .await
                        .map_err(|e| e.to_string())?
                        .is_some()
                    {
                        return Ok(self
                            .finish(message_id, DeliveryState::Failed, Some(&sentence))
                            .await?);
                    }
                    return Ok(());
                }
            },
            None => None,
        };
        let Some(outgoing) = claim_for_sending(&self.store, self.clock.now(), message_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(()); // already sent, failed, or stranded and now `unknown`
        };
        match self.clients.kf(outgoing.channel_id).await {
            Ok(Some(kf)) => {
                let uploaded = uploaded.map(|media_id| match outgoing.kind.as_str() {
                    "file" => KfOutbound::File { media_id },
                    _ => KfOutbound::Image { media_id },
                });
                return self.send_kf(&kf, &job, &outgoing, uploaded).await;
            }
            Ok(None) => {}
            Err(reason) => {
                let sentence = format!("Harbour could not use this channel: {reason}.");
                return Ok(self
                    .finish(message_id, DeliveryState::Failed, Some(&sentence))
                    .await?);
            }
        }
        let client = match self.clients.get(outgoing.channel_id).await {
            Ok(client) => client,
            Err(reason) => {
                let sentence = format!("Harbour could not use this channel: {reason}.");
                return Ok(self
                    .finish(message_id, DeliveryState::Failed, Some(&sentence))
                    .await?);
            }
        };
        let content = match uploaded {
            Some(_) if outgoing.kind == "file" => {
                // Never queued (the API refuses files here); said, not sent.
                let sentence = "An Official Account cannot send files to a client.";
                return Ok(self
                    .finish(message_id, DeliveryState::Failed, Some(sentence))
                    .await?);
            }
            Some(media_id) => CustomMessage::image(media_id),
            None => CustomMessage::text(outgoing.body.clone().unwrap_or_default()),
        };
        let send = CustomSend::new(OpenId::new(outgoing.open_id.clone()), content);
        let finished = match client.send(&send).await {
            Ok(()) => self.finish(message_id, DeliveryState::Sent, None).await,
            Err(err) if err.is_ambiguous() => {
                // WeChat may have delivered it; never risk a second copy.
                let sentence = "WeChat did not confirm this message in time, so it may or may not have arrived. It was not resent.";
                self.finish(message_id, DeliveryState::Unknown, Some(sentence))
                    .await
            }
            Err(err) => return self.refused(message_id, &job, &err).await,
        };
        Ok(finished?)
    }

    /// Sends through WeCom Customer Service, to the account the client last
    /// wrote to, with the message's id as `msgid`.
    async fn send_kf(
        &self,
        client: &KfClient,
        job: &Job,
        outgoing: &crate::store::outbound::Outgoing,
        uploaded: Option<KfOutbound>,
    ) -> Result<(), Retry> {
        let message_id = outgoing.id;
        let account = self
            .store
            .pin_kf_account(message_id, outgoing.conversation_id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(account) = account else {
            let sentence = "Harbour does not know which Customer Service account this client wrote to, so it cannot answer there.";
            return Ok(self
                .finish(message_id, DeliveryState::Failed, Some(sentence))
                .await?);
        };
        let send = KfSend {
            touser: ExternalUserId::new(outgoing.open_id.clone()),
            open_kfid: OpenKfId::new(account),
            msgid: Some(kf_msgid(message_id)),
            message: uploaded
                .unwrap_or_else(|| KfOutbound::text(outgoing.body.clone().unwrap_or_default())),
        };
        let asked_at = self.clock.now();
        let finished = match client.send_msg(&send).await {
            Ok(_) => {
                // Sent through the API: the session is the inbox's (state 1).
                self.store
                    .record_kf_session(
                        self.clock.now(),
                        outgoing.channel_id,
                        &outgoing.open_id,
                        KfHold::Inbox,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                self.finish(message_id, DeliveryState::Sent, None).await
            }
            // The same msgid again is the same message to WeCom: try again.
            Err(err) if err.is_ambiguous() && !job.is_last_attempt() => {
                self.finish(message_id, DeliveryState::Queued, Some(err.code()))
                    .await?;
                return Err(Retry::from(format!(
                    "WeCom did not confirm the send ({}); it goes again with the same msgid",
                    err.code()
                )));
            }
            // A servicer holds the session in the WeCom client: read who,
            // and tell the agent; never retried.
            Err(err @ ApiError::KfSessionNotOwned { .. }) => {
                let state = client
                    .service_state(&send.open_kfid, &send.touser)
                    .await
                    .ok();
                let refusal = match state {
                    Some(ServiceState {
                        service_state: SessionState::Servicer,
                        servicer_userid: Some(servicer),
                    }) if !servicer.is_empty() => Some(WindowRefusal::HeldInWecom { servicer }),
                    Some(ServiceState {
                        service_state: SessionState::Ended,
                        ..
                    }) => Some(WindowRefusal::SessionEnded),
                    _ => None,
                };
                let hold = match &refusal {
                    Some(WindowRefusal::HeldInWecom { servicer }) => {
                        Some(KfHold::Servicer(servicer))
                    }
                    Some(_) => Some(KfHold::Ended),
                    None => None,
                };
                if let Some(hold) = hold {
                    self.store
                        .record_kf_session(asked_at, outgoing.channel_id, &outgoing.open_id, hold)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let sentence = match refusal {
                    Some(refusal) => refusal.sentence(),
                    None => err.agent_sentence().unwrap_or_default().to_owned(),
                };
                self.finish(message_id, DeliveryState::Failed, Some(&sentence))
                    .await
            }
            Err(err) if err.is_ambiguous() => {
                let sentence = "WeCom did not confirm this message in time, so it may or may not have arrived.";
                self.finish(message_id, DeliveryState::Unknown, Some(sentence))
                    .await
            }
            Err(err) => return self.refused(message_id, job, &err).await,
        };
        Ok(finished?)
    }

    /// WeChat refused before delivering: queued again after the wait it
    /// asks for (as often as it allows), or failed with a sentence.
    async fn refused(&self, message_id: MessageId, job: &Job, err: &ApiError) -> Result<(), Retry> {
        let finished = match err.action() {
            Action::Retry(backoff) => {
                let next = u32::try_from(job.attempts + 1).unwrap_or(u32::MAX);
                match backoff
                    .delay_before(next)
                    .filter(|_| !job.is_last_attempt())
                {
                    Some(wait) => {
                        self.finish(message_id, DeliveryState::Queued, Some(err.code()))
                            .await?;
                        return Err(Retry::after(
                            format!("WeChat asked to retry later ({})", err.code()),
                            wait,
                        ));
                    }
                    None => {
                        let sentence = gave_up_sentence(err.code(), job.attempts);
                        self.finish(message_id, DeliveryState::Failed, Some(&sentence))
                            .await
                    }
                }
            }
            _ => {
                let sentence = err
                    .agent_sentence()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("WeChat refused this message ({}).", err.code()));
                self.finish(message_id, DeliveryState::Failed, Some(&sentence))
                    .await
            }
        };
        Ok(finished?)
    }

    /// Uploads a queued image or file to WeChat as temporary media (valid
    /// three days, far longer than a send takes) and returns its media id.
    async fn upload(&self, media: &QueuedMedia, attempts: i64) -> Result<MediaId, UploadFailure> {
        let client: ApiClient = self.clients.get(media.channel_id).await.map_err(|reason| {
            UploadFailure::Never(format!("Harbour could not use this channel: {reason}."))
        })?;
        let bytes = self.media.read(&media.media_sha256).await.map_err(|err| {
            tracing::error!(error = %err, "a file to send is missing from the media store");
            UploadFailure::Never("Harbour could not read this file to send it.".to_owned())
        })?;
        let upload = match media.kind.as_str() {
            "file" => MediaUpload {
                media_type: MediaType::File,
                filename: media.file_name().unwrap_or_else(|| "file".to_owned()),
                content_type: media.media_type.clone(),
                bytes,
            },
            _ => MediaUpload {
                media_type: MediaType::Image,
                filename: format!(
                    "image.{}",
                    match media.media_type.as_str() {
                        "image/png" => "png",
                        "image/gif" => "gif",
                        _ => "jpg",
                    }
                ),
                content_type: media.media_type.clone(),
                bytes,
            },
        };
        match client.upload_media(&upload).await {
            Ok(uploaded) => Ok(uploaded.media_id),
            Err(err) => Err(upload_failure(&err, attempts)),
        }
    }

    async fn finish(
        &self,
        message_id: MessageId,
        status: DeliveryState,
        error: Option<&str>,
    ) -> Result<(), String> {
        finish_sending(&self.store, self.clock.now(), message_id, status, error)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Why a reply was given up after WeChat kept asking to wait.
pub fn gave_up_sentence(reason: &str, attempts: i64) -> String {
    format!("WeChat kept asking Harbour to wait ({reason}), so after {attempts} attempts this message was not sent. Send it again later.")
}

/// What to do after an upload failed on attempt `attempts` of its job.
fn upload_failure(err: &ApiError, attempts: i64) -> UploadFailure {
    let reason = format!("WeChat did not take the file yet ({})", err.code());
    // An upload that timed out delivered nothing to the client: try again.
    if err.is_ambiguous() {
        return UploadFailure::Later(reason.into());
    }
    if let Action::Retry(backoff) = err.action() {
        let next = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
        return match backoff.delay_before(next) {
            Some(wait) => UploadFailure::Later(Retry::after(reason, wait)),
            None => UploadFailure::Never(gave_up_sentence(err.code(), attempts)),
        };
    }
    UploadFailure::Never(
        err.agent_sentence()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("WeChat refused this file ({}).", err.code())),
    )
}

/// The `msgid` a message is sent under on WeCom: its id, 32 hex digits.
pub fn kf_msgid(message_id: MessageId) -> KfMsgId {
    KfMsgId::new(message_id.0.simple().to_string())
}
