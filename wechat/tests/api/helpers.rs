//! Spawning a fake WeChat with one registered account and a client for it.

use std::sync::Arc;
use std::time::Duration;

use wechat::client::{ApiClient, ApiError, AppSecret, CustomMessage, CustomSend};
use wechat::clock::Clock;
use wechat::fake::FakeWeChat;
use wechat::{AppId, OpenId};

/// The account under test.
pub const APPID: &str = "wx1a2b3c4d5e6f7a8b";
/// Its appsecret: distinctive, so a leak is easy to spot.
pub const SECRET: &str = "SeCrEt0123456789SeCrEt0123456789";

/// A fake WeChat and a client pointed at it.
pub struct World {
    pub fake: FakeWeChat,
    pub client: ApiClient,
    pub appid: AppId,
}

/// A fresh fake on a free port; the client judges token age by the system
/// clock, so only the fake notices when its clock is advanced.
pub async fn spawn_world() -> World {
    let fake = FakeWeChat::start("127.0.0.1:0").await.expect("fake starts");
    let client = client_for(&fake, SECRET, None);
    world(fake, client)
}

/// Like [`spawn_world`], but the client reads the fake's clock too.
pub async fn spawn_world_sharing_the_clock() -> World {
    let fake = FakeWeChat::start("127.0.0.1:0").await.expect("fake starts");
    let clock: Arc<dyn Clock> = Arc::new(fake.clock().clone());
    let client = client_for(&fake, SECRET, Some(clock));
    world(fake, client)
}

fn world(fake: FakeWeChat, client: ApiClient) -> World {
    let appid = AppId::new(APPID);
    fake.register_app(&appid, &AppSecret::new(SECRET));
    World {
        fake,
        client,
        appid,
    }
}

/// A client for [`APPID`] with `secret`, against `fake`.
pub fn client_for(fake: &FakeWeChat, secret: &str, clock: Option<Arc<dyn Clock>>) -> ApiClient {
    let builder = ApiClient::builder(AppId::new(APPID), AppSecret::new(secret))
        .base_url(fake.base_url())
        .timeout(Duration::from_secs(10));
    let builder = match clock {
        Some(clock) => builder.clock(clock),
        None => builder,
    };
    builder.build().expect("client builds")
}

/// The `n`th test follower.
pub fn follower(n: usize) -> OpenId {
    OpenId::new(format!("oFollower{n:04}xxxxxxxxxxxxxxxxxxx"))
}

impl World {
    /// `openid` writes to the account now, opening a window.
    pub fn follower_writes(&self, openid: &OpenId) {
        let now = self.fake.clock().now();
        self.fake.record_follower_message(&self.appid, openid, now);
    }

    /// Moves the fake's clock forward.
    pub fn advance(&self, by: Duration) {
        self.fake.clock().advance(by);
    }

    /// Sends `text` to `openid`.
    pub async fn send_text(&self, openid: &OpenId, text: &str) -> Result<(), ApiError> {
        let send = CustomSend::new(openid.clone(), CustomMessage::text(text));
        self.client.send(&send).await
    }

    /// The texts `openid` received, in order.
    pub fn texts_received(&self, openid: &OpenId) -> Vec<String> {
        self.fake
            .received(openid)
            .iter()
            .map(|m| m.text().unwrap_or_default().to_owned())
            .collect()
    }
}

pub const HOUR: Duration = Duration::from_secs(3600);
