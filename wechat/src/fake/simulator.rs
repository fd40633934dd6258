//! A WeChat simulator: followers whose messages and events are pushed to
//! Harbour's callback URL exactly as the platform does it (XML, signatures,
//! the AES envelope, the 5-second deadline and its retries).
//!
//! [`Simulator::push`] turns what a follower does ([`Activity`]) into a signed
//! [`Push`]; [`Simulator::deliver`] posts it; [`Traffic`] invents a realistic,
//! seeded stream of activity and [`Simulator::run_live`] plays it at a rate.
//! [`KfCustomers`] plays the same traffic as WeCom Customer Service customers.

mod delivery;
mod kf;
mod media;
mod push;
mod traffic;

pub use delivery::{Attempt, AttemptOutcome, DeliveryReport, LiveSummary};
pub use kf::KfCustomers;
pub use media::{sample_picture, sample_voice};
pub use push::{Activity, FollowerMedia, LinkCard, Place, Push, PushContent};
pub use traffic::{Follower, Language, Traffic, DEFAULT_FOLLOWERS};

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use thiserror::Error;

use super::{FakeWeChat, Refusal};
use crate::callback::Mode;
use crate::client::MediaType;
use crate::clock::{Clock, SystemClock};
use crate::crypto::{CryptoError, MessageCrypto};
use crate::message::{AppId, MediaId, MsgId, OpenId, OriginalId};

/// How long WeChat waits for an answer before it gives up on an attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries of one push WeChat makes at most ("three times in total").
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// One account's callback as WeChat sees it, and how to behave.
#[derive(Clone)]
pub struct SimulatorConfig {
    /// Harbour's callback URL, e.g. `http://127.0.0.1:8080/wechat/oa/<channel_id>`.
    pub target_url: String,
    /// The account's original id (`ToUserName`, `gh_…`).
    pub account: OriginalId,
    /// The account's appid, the receive id inside ciphertexts.
    pub appid: AppId,
    /// The callback token.
    pub token: String,
    /// The EncodingAESKey; unused in plain mode.
    pub encoding_aes_key: String,
    /// Which mode the administrator chose.
    pub mode: Mode,
    /// The fake API server, told about follows, messages and media as they
    /// happen so Harbour's replies meet the same rules as on WeChat.
    pub fake: Option<Arc<FakeWeChat>>,
    /// Seeds message ids, nonces, media ids and ciphertext prefixes.
    pub seed: u64,
    /// Per-attempt deadline; [`DEFAULT_TIMEOUT`] unless a test shortens it.
    pub timeout: Duration,
    /// Deliveries per push at most, [`DEFAULT_MAX_ATTEMPTS`] by default.
    pub max_attempts: u32,
    /// Where `CreateTime` and the query `timestamp` come from.
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for SimulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Token and key are secrets: never print them.
        f.debug_struct("SimulatorConfig")
            .field("target_url", &self.target_url)
            .field("account", &self.account)
            .field("appid", &self.appid)
            .field("mode", &self.mode)
            .field("fake", &self.fake.as_ref().map(|fake| fake.base_url()))
            .field("seed", &self.seed)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl SimulatorConfig {
    /// A configuration with no fake, seed 0, WeChat's 5-second deadline and
    /// 3 attempts, and the system clock.
    pub fn new(
        target_url: impl Into<String>,
        account: OriginalId,
        appid: AppId,
        token: impl Into<String>,
        encoding_aes_key: impl Into<String>,
        mode: Mode,
    ) -> Self {
        SimulatorConfig {
            target_url: target_url.into(),
            account,
            appid,
            token: token.into(),
            encoding_aes_key: encoding_aes_key.into(),
            mode,
            fake: None,
            seed: 0,
            timeout: DEFAULT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            clock: Arc::new(SystemClock),
        }
    }

    /// Keeps `fake` informed (follows, windows, media).
    pub fn fake(mut self, fake: Arc<FakeWeChat>) -> Self {
        self.fake = Some(fake);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the per-attempt deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the clock (e.g. the fake's, so `CreateTime` and its windows agree).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// Why the simulator could not start or build a push.
#[derive(Debug, Error)]
pub enum SimulatorError {
    /// The EncodingAESKey of an encrypted-mode account is unusable.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The HTTP client could not be built.
    #[error("the simulator's HTTP client could not be built: {0}")]
    Http(#[source] reqwest::Error),
    /// The fake refused to store a follower's media.
    #[error("the fake WeChat refused the follower's media ({}: {})", .0.code, .0.message)]
    MediaRefused(Refusal),
}

impl SimulatorError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            SimulatorError::Crypto(err) => err.code(),
            SimulatorError::Http(_) => "simulator_http_client",
            SimulatorError::MediaRefused(_) => "simulator_media_refused",
        }
    }
}

/// Plays WeChat towards one account's callback URL. Clones share state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimulatorConfig,
    crypto: Option<MessageCrypto>,
    http: reqwest::Client,
    ids: Mutex<Ids>,
}

/// The seeded source of everything WeChat would make up.
struct Ids {
    rng: StdRng,
    next_msg_id: u64,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Checks the key (for encrypted modes) and prepares the HTTP client.
    pub fn new(config: SimulatorConfig) -> Result<Simulator, SimulatorError> {
        let crypto = match config.mode {
            Mode::Plain => None,
            Mode::Compatible | Mode::Safe => Some(MessageCrypto::new(
                &config.encoding_aes_key,
                config.appid.as_str(),
            )?),
        };
        let http = reqwest::Client::builder()
            // WeChat's pusher announces itself like an old browser.
            .user_agent("Mozilla/4.0")
            .build()
            .map_err(SimulatorError::Http)?;
        let mut rng = StdRng::seed_from_u64(config.seed);
        // Real MsgIds are 17-digit numbers; start somewhere in that range.
        let next_msg_id = rng.gen_range(24_000_000_000_000_000..25_000_000_000_000_000);
        Ok(Simulator {
            inner: Arc::new(Inner {
                config,
                crypto,
                http,
                ids: Mutex::new(Ids { rng, next_msg_id }),
            }),
        })
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimulatorConfig {
        &self.inner.config
    }

    /// A [`Traffic`] generator seeded like this simulator.
    pub fn traffic(&self) -> Traffic {
        Traffic::new(self.inner.config.seed)
    }

    /// What WeChat makes of `activity` by `from`: a push stamped now, with a
    /// fresh `MsgId` for ordinary messages, signed (and encrypted) for the
    /// account's mode. Every delivery of the returned push is byte-identical.
    ///
    /// With a fake, the follower's media is stored there, and the follow,
    /// window or unfollow is recorded at the fake's current time: the
    /// platform learns of it when the follower acts, not when Harbour answers.
    pub fn push(&self, from: &OpenId, activity: Activity) -> Result<Push, SimulatorError> {
        let config = &self.inner.config;
        let create_time = config.clock.now().as_secs();
        let content = self.content(activity)?;
        let msg_id = content.is_message().then(|| self.next_msg_id());
        self.tell_the_fake(from, &content);
        let (nonce, prefix) = {
            let mut ids = self.ids();
            (ids.nonce(), ids.ciphertext_prefix())
        };
        Ok(Push::build(
            push::Sender {
                account: &config.account,
                token: &config.token,
                mode: config.mode,
                crypto: self.inner.crypto.as_ref(),
                timestamp: create_time,
                nonce,
                prefix,
            },
            from.clone(),
            create_time,
            msg_id,
            content,
        )?)
    }

    /// [`Simulator::push`] then [`Simulator::deliver`].
    pub async fn send(
        &self,
        from: &OpenId,
        activity: Activity,
    ) -> Result<DeliveryReport, SimulatorError> {
        let push = self.push(from, activity)?;
        Ok(self.deliver(&push).await)
    }

    fn ids(&self) -> MutexGuard<'_, Ids> {
        self.inner
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn next_msg_id(&self) -> MsgId {
        let mut ids = self.ids();
        let id = ids.next_msg_id;
        ids.next_msg_id = id + ids.rng.gen_range(1..=64);
        MsgId::new(id)
    }

    /// Stores media with the fake (or invents platform-looking ids without
    /// one) and fills in the push's content.
    fn content(&self, activity: Activity) -> Result<PushContent, SimulatorError> {
        Ok(match activity {
            Activity::Text(content) => PushContent::Text { content },
            Activity::Image(media) => {
                let media_id = self.store_media(MediaType::Image, media)?;
                let pic_url = match &self.inner.config.fake {
                    Some(fake) => fake.media_url(&media_id),
                    None => {
                        let path = self.ids().token(22);
                        format!("http://mmbiz.qpic.cn/mmbiz_jpg/{path}/0")
                    }
                };
                PushContent::Image { pic_url, media_id }
            }
            Activity::Voice { media, recognition } => PushContent::Voice {
                media_id: self.store_media(MediaType::Voice, media)?,
                format: "amr".to_owned(),
                recognition,
            },
            Activity::Location(place) => PushContent::Location(place),
            Activity::Link(link) => PushContent::Link(link),
            Activity::Subscribe { scene: None } => PushContent::Subscribe {
                event_key: None,
                ticket: None,
            },
            Activity::Subscribe { scene: Some(scene) } => PushContent::Subscribe {
                event_key: Some(format!("qrscene_{scene}")),
                ticket: Some(format!("gQ{}==", self.ids().token(62))),
            },
            Activity::Unsubscribe => PushContent::Unsubscribe,
            Activity::Click { event_key } => PushContent::Click { event_key },
        })
    }

    fn store_media(
        &self,
        media_type: MediaType,
        media: FollowerMedia,
    ) -> Result<MediaId, SimulatorError> {
        let config = &self.inner.config;
        match &config.fake {
            Some(fake) => fake
                .store_follower_media(
                    &config.appid,
                    media_type,
                    &media.filename,
                    &media.content_type,
                    media.bytes,
                )
                .map_err(SimulatorError::MediaRefused),
            None => Ok(MediaId::new(self.ids().token(64))),
        }
    }

    fn tell_the_fake(&self, from: &OpenId, content: &PushContent) {
        let config = &self.inner.config;
        let Some(fake) = &config.fake else {
            return;
        };
        let now = fake.clock().now();
        match content {
            PushContent::Subscribe { .. } => fake.record_follow(&config.appid, from, now),
            PushContent::Unsubscribe => fake.record_unsubscribe(&config.appid, from),
            // A menu click opens the window like a message does.
            _ => fake.record_follower_message(&config.appid, from, now),
        }
    }
}

impl Ids {
    /// Ten digits, like the platform's nonces.
    fn nonce(&mut self) -> String {
        self.rng
            .gen_range(1_000_000_000u64..2_000_000_000)
            .to_string()
    }

    /// Letters and digits, as senders use for the random prefix.
    fn ciphertext_prefix(&mut self) -> [u8; 16] {
        let mut prefix = [0u8; 16];
        for byte in &mut prefix {
            *byte = self.rng.sample(rand::distributions::Alphanumeric);
        }
        prefix
    }

    /// A platform-looking opaque id.
    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len)
            .map(|_| char::from(ALPHABET[self.rng.gen_range(0..ALPHABET.len())]))
            .collect()
    }
}
