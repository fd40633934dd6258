//! The `wechat.profile` job: asks WeChat's `user/info` about a new contact
//! (union id, language, remark, when they followed), or for a WeCom
//! Customer Service customer `kf/customer/batchget` (nickname, union id),
//! and records it.

use crate::channels::clients::Clients;
use crate::clock::Clock;
use crate::store::jobs::Job;
use crate::store::media::Profile;
use crate::store::Store;
use shared::ContactId;
use wechat::{Action, OpenId};

#[derive(Clone)]
pub struct ProfileFetcher {
    pub store: Store,
    pub clients: Clients,
    pub clock: Clock,
}

impl ProfileFetcher {
    /// `Err` asks the job queue to try again later.
    pub async fn run(&self, job: Job) -> Result<(), String> {
        let contact_id: ContactId = job.names("contact")?;
        let Some(target) = self
            .store
            .profile_target(contact_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        let now = self.clock.now();
        if let Ok(Some(kf)) = self.clients.kf(target.channel_id).await {
            let asked = kf
                .customers(&[wechat::message::ExternalUserId::new(target.open_id.clone())])
                .await;
            return match asked {
                Ok(found) => {
                    let customer = found.customer_list.first();
                    let profile = customer.map(|c| Profile {
                        subscribed: true,
                        nickname: Some(c.nickname.as_str()).filter(|n| !n.is_empty()),
                        union_id: c.unionid.as_deref().filter(|u| !u.is_empty()),
                        language: None,
                        remark: None,
                        subscribed_at: None,
                    });
                    let outcome = profile.as_ref().ok_or("invalid_external_userid");
                    self.store
                        .finish_profile(now, &target, outcome)
                        .await
                        .map_err(|e| e.to_string())
                }
                Err(err) => {
                    self.failed(now, &target, &err, "kf/customer/batchget")
                        .await
                }
            };
        }
        let client = match self.clients.get(target.channel_id).await {
            Ok(client) => client,
            Err(reason) => {
                return self
                    .store
                    .finish_profile(now, &target, Err(&reason))
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        match client.user_info(&OpenId::new(target.open_id.clone())).await {
            Ok(info) => {
                let profile = Profile {
                    subscribed: info.subscribe,
                    nickname: None,
                    union_id: info.unionid.as_deref(),
                    language: info.language.as_deref(),
                    remark: info.remark.as_deref().filter(|r| !r.is_empty()),
                    subscribed_at: info.subscribe_time.map(|s| s.saturating_mul(1000)),
                };
                self.store
                    .finish_profile(now, &target, Ok(&profile))
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(err) => self.failed(now, &target, &err, "user/info").await,
        }
    }

    /// A failed lookup: retried when WeChat may answer later, else recorded.
    async fn failed(
        &self,
        now: i64,
        target: &crate::store::media::ProfileTarget,
        err: &wechat::ApiError,
        call: &str,
    ) -> Result<(), String> {
        match err.action() {
            Action::Retry(_) | Action::RefreshToken => {
                Err(format!("WeChat did not answer {call} ({})", err.code()))
            }
            _ => self
                .store
                .finish_profile(now, target, Err(err.code()))
                .await
                .map_err(|e| e.to_string()),
        }
    }
}
