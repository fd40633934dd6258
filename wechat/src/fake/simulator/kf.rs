//! WeCom Customer Service customers for the demo and tests: the same seeded
//! bilingual traffic as the Official Account followers ([`Traffic`]),
//! played against the fake's Customer Service accounts. Each message is
//! announced to the organisation's callback URL by the fake itself, as
//! WeCom does; now and then a customer opens the chat afresh or recalls
//! what they just wrote.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::{Activity, FollowerMedia, Traffic};
use crate::client::MediaType;
use crate::fake::FakeWeChat;
use crate::message::{ExternalUserId, KfMsgId, OpenKfId};

/// Customers writing to a set of Customer Service accounts.
pub struct KfCustomers {
    fake: Arc<FakeWeChat>,
    accounts: Vec<OpenKfId>,
    traffic: Traffic,
    customers: Vec<ExternalUserId>,
    rng: StdRng,
}

impl KfCustomers {
    /// `count` customers (their nicknames from [`Traffic`]; about half with
    /// a unionid, as when the organisation has a bound Official Account)
    /// writing to `accounts`.
    pub fn new(fake: Arc<FakeWeChat>, accounts: Vec<OpenKfId>, count: usize, seed: u64) -> Self {
        let traffic = Traffic::with_followers(seed, count);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x6b66_6b66);
        let customers = traffic
            .followers()
            .iter()
            .enumerate()
            .map(|(n, follower)| {
                let unionid = rng.gen_bool(0.5).then(|| format!("oUnionKf{seed:x}{n:04}"));
                fake.add_kf_customer(&follower.display_name, unionid.as_deref())
            })
            .collect();
        KfCustomers {
            fake,
            accounts,
            traffic,
            customers,
            rng,
        }
    }

    /// The customers.
    pub fn customers(&self) -> &[ExternalUserId] {
        &self.customers
    }

    /// One customer does one thing; returns the msgid of what they wrote,
    /// if they wrote.
    pub fn step(&mut self) -> Option<KfMsgId> {
        let (follower, activity) = self.traffic.next()?;
        let who = self
            .traffic
            .followers()
            .iter()
            .position(|f| f.openid == follower.openid)?;
        let customer = self.customers.get(who)?.clone();
        // A customer sticks to one account, as a client keeps one chat open.
        let account = self.accounts.get(who % self.accounts.len().max(1))?.clone();
        let fake = &self.fake;
        let media = |media_type: MediaType, media: FollowerMedia| {
            fake.kf_customer_sends_media(
                &account,
                &customer,
                media_type,
                &media.filename,
                &media.content_type,
                media.bytes,
            )
            .ok()
        };
        let written = match activity {
            Activity::Text(text) => Some(fake.kf_customer_says(&account, &customer, &text)),
            Activity::Image(picture) => media(MediaType::Image, picture),
            Activity::Voice { media: voice, .. } => media(MediaType::Voice, voice),
            Activity::Location(place) => Some(fake.kf_customer_sends(
                &account,
                &customer,
                "location",
                json!({
                    "latitude": place.latitude.parse::<f64>().unwrap_or_default(),
                    "longitude": place.longitude.parse::<f64>().unwrap_or_default(),
                    "name": place.label,
                    "address": place.label,
                }),
            )),
            Activity::Link(card) => Some(fake.kf_customer_sends(
                &account,
                &customer,
                "link",
                json!({ "title": card.title, "desc": card.description, "url": card.url, "pic_url": "" }),
            )),
            // Following or tapping a menu is, here, opening the chat.
            Activity::Subscribe { .. } | Activity::Unsubscribe | Activity::Click { .. } => {
                fake.kf_enter_session(&account, &customer, "demo");
                None
            }
        };
        if let Some(msgid) = &written {
            // Now and then a customer takes back what they just wrote.
            if self.rng.gen_bool(0.03) {
                fake.kf_recall(&account, &customer, msgid);
            }
        }
        written
    }

    /// Plays traffic at about `per_second` actions a second, for `duration`
    /// or for ever.
    pub async fn run_live(mut self, per_second: f64, duration: Option<Duration>) {
        let gap = Duration::from_secs_f64(1.0 / per_second.max(0.001));
        let started = std::time::Instant::now();
        while duration.is_none_or(|limit| started.elapsed() < limit) {
            self.step();
            let jitter = self.rng.gen_range(0.5..1.5);
            tokio::time::sleep(gap.mul_f64(jitter)).await;
        }
    }
}
