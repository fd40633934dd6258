//! The WeCom Customer Service API client: the same token discipline as the
//! Official Account client (one token per corpid and secret, shared through
//! the [`TokenCache`](crate::client::TokenCache), refreshed by one caller,
//! refreshed once on 40014/42001), over the `kf/` calls.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::message::{SyncMsgPage, SyncMsgRequest};
use super::send::{
    Customers, KfAccount, KfEventSend, KfSend, ServiceState, SessionState, StateChange,
};
use crate::client::{
    paths, ApiClient, ApiClientBuilder, ApiError, CorpSecret, DownloadedMedia, MediaUpload,
    UploadedMedia,
};
use crate::message::{CorpId, ExternalUserId, KfMsgId, MediaId, OpenKfId};

/// `kf/account/list` pages hold at most this many accounts.
const ACCOUNT_PAGE: usize = 100;
/// `kf/customer/batchget` takes at most this many ids per call.
const CUSTOMER_BATCH: usize = 100;

/// A client for one WeCom app's Customer Service accounts. Cheap to clone.
#[derive(Clone, Debug)]
pub struct KfClient {
    api: ApiClient,
    corpid: CorpId,
}

#[derive(Deserialize)]
struct Sent {
    #[serde(default)]
    msgid: Option<KfMsgId>,
}

#[derive(Deserialize)]
struct Transition {
    #[serde(default)]
    msg_code: Option<String>,
}

#[derive(Deserialize)]
struct AccountList {
    #[serde(default)]
    account_list: Vec<KfAccount>,
}

impl ApiClientBuilder {
    /// The client, for a builder from [`KfClient::builder`].
    pub fn build_kf(self) -> Result<KfClient, ApiError> {
        let corpid = match &self.account {
            crate::client::Account::Corp(corpid) => corpid.clone(),
            crate::client::Account::Official => {
                return Err(ApiError::BadResponse {
                    path: String::new(),
                    message: "an Official Account builder cannot build a WeCom client".into(),
                })
            }
        };
        Ok(KfClient {
            api: self.build()?,
            corpid,
        })
    }
}

impl KfClient {
    /// Starts configuring a client for the app with `secret` in `corpid`'s
    /// organisation; finish with [`ApiClientBuilder::build_kf`]. The base
    /// URL defaults to `https://qyapi.weixin.qq.com`.
    pub fn builder(corpid: CorpId, secret: CorpSecret) -> ApiClientBuilder {
        ApiClient::wecom_builder(corpid, secret)
    }

    /// The organisation.
    pub fn corpid(&self) -> &CorpId {
        &self.corpid
    }

    /// The API host.
    pub fn base_url(&self) -> &str {
        self.api.base_url()
    }

    /// The underlying client (token and media calls).
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &'static str,
        body: &impl Serialize,
    ) -> Result<T, ApiError> {
        let reply = self
            .api
            .call(path, |url| self.api.http().post(url).json(body))
            .await?;
        crate::client::parse_json(path, &reply)
    }

    /// One page of messages and events.
    pub async fn sync_msg(&self, request: &SyncMsgRequest) -> Result<SyncMsgPage, ApiError> {
        self.post(paths::KF_SYNC_MSG, request).await
    }

    /// Sends a message; returns the `msgid` WeChat recorded (ours when we
    /// set one). Success means accepted: watch for `msg_send_fail`.
    pub async fn send_msg(&self, send: &KfSend) -> Result<Option<KfMsgId>, ApiError> {
        let sent: Sent = self.post(paths::KF_SEND_MSG, send).await?;
        Ok(sent.msgid.or_else(|| send.msgid.clone()))
    }

    /// Sends the one message an event's code allows.
    pub async fn send_msg_on_event(&self, send: &KfEventSend) -> Result<Option<KfMsgId>, ApiError> {
        let sent: Sent = self.post(paths::KF_SEND_MSG_ON_EVENT, send).await?;
        Ok(sent.msgid.or_else(|| send.msgid.clone()))
    }

    /// A session's state and servicer.
    pub async fn service_state(
        &self,
        open_kfid: &OpenKfId,
        external_userid: &ExternalUserId,
    ) -> Result<ServiceState, ApiError> {
        let body = json!({ "open_kfid": open_kfid, "external_userid": external_userid });
        self.post(paths::KF_SERVICE_STATE_GET, &body).await
    }

    /// Moves a session to `service_state`; returns the `msg_code` WeChat
    /// gives for a notice or closing message, if any.
    pub async fn change_state(&self, change: &StateChange) -> Result<Option<String>, ApiError> {
        let transition: Transition = self.post(paths::KF_SERVICE_STATE_TRANS, change).await?;
        Ok(transition.msg_code.filter(|code| !code.is_empty()))
    }

    /// Ends a session (state 4), returning the closing message's code.
    pub async fn end_session(
        &self,
        open_kfid: &OpenKfId,
        external_userid: &ExternalUserId,
    ) -> Result<Option<String>, ApiError> {
        self.change_state(&StateChange {
            open_kfid: open_kfid.clone(),
            external_userid: external_userid.clone(),
            service_state: SessionState::Ended,
            servicer_userid: None,
        })
        .await
    }

    /// Every Customer Service account of the organisation.
    pub async fn accounts(&self) -> Result<Vec<KfAccount>, ApiError> {
        let mut accounts = Vec::new();
        loop {
            let body = json!({ "offset": accounts.len(), "limit": ACCOUNT_PAGE });
            let page: AccountList = self.post(paths::KF_ACCOUNT_LIST, &body).await?;
            let count = page.account_list.len();
            accounts.extend(page.account_list);
            if count < ACCOUNT_PAGE {
                return Ok(accounts);
            }
        }
    }

    /// Customers' profiles, 100 per call.
    pub async fn customers(&self, ids: &[ExternalUserId]) -> Result<Customers, ApiError> {
        let mut all = Customers::default();
        for chunk in ids.chunks(CUSTOMER_BATCH) {
            let body = json!({ "external_userid_list": chunk, "need_enter_session_context": 0 });
            let page: Customers = self.post(paths::KF_CUSTOMER_BATCHGET, &body).await?;
            all.customer_list.extend(page.customer_list);
            all.invalid_external_userid
                .extend(page.invalid_external_userid);
        }
        Ok(all)
    }

    /// Uploads temporary media (three days) to send.
    pub async fn upload_media(&self, upload: &MediaUpload) -> Result<UploadedMedia, ApiError> {
        self.api.upload_media(upload).await
    }

    /// Downloads a customer's media.
    pub async fn download_media(&self, media_id: &MediaId) -> Result<DownloadedMedia, ApiError> {
        self.api.download_media(media_id).await
    }
}
