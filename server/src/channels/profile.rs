//! The `wechat.profile` job: asks WeChat's `user/info` about a new contact
//! (union id, language, remark, when they followed) and records it.

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
            Err(err) => match err.action() {
                Action::Retry(_) | Action::RefreshToken => {
                    Err(format!("WeChat did not answer user/info ({})", err.code()))
                }
                _ => self
                    .store
                    .finish_profile(now, &target, Err(err.code()))
                    .await
                    .map_err(|e| e.to_string()),
            },
        }
    }
}
