//! The demo: a fake WeChat beside Harbour, a demo Official Account and a
//! demo WeCom Customer Service estate connected to it, and simulated
//! followers and customers writing in live, so a newcomer sees
//! conversations arrive within seconds on both channels and can watch
//! replies land.

use crate::channels::create_official_account;
use crate::clock::Clock;
use crate::demo_portal::{PortalPerson, PortalSigner};
use crate::secrets::SecretBox;
use crate::store::Store;
use anyhow::Context;
use shared::api::{CallbackMode, CreateOfficialAccount, CreateWecomKf};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use wechat::client::{AppSecret, CorpSecret};
use wechat::clock::{Clock as _, ManualClock, SystemClock};
use wechat::fake::simulator::{KfCustomers, Simulator, SimulatorConfig};
use wechat::fake::FakeWeChat;
use wechat::kf::KfCallbackConfig;
use wechat::message::{CorpId, OpenKfId};
use wechat::{AppId, Mode, OriginalId};

pub const DEMO_APP_ID: &str = "wxd3e40d3e40d3e40d";
const DEMO_ORIGINAL_ID: &str = "gh_d3e40d3e40d3";
const DEMO_TOKEN: &str = "harbourDemoToken";
const DEMO_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const DEMO_CORP_ID: &str = "wwd3e40d3e40d3e40d";
const DEMO_OPEN_KFID: &str = "wkDemoHarbourDesk0001";

/// Demo settings; the fake WeChat listens on its own port.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub fake_bind: SocketAddr,
    /// Simulated follower messages per second.
    pub rate: f64,
    /// The example portal, unless a real one is configured.
    pub portal: Option<DemoPortal>,
}

/// The example intranet portal: where it listens and how it signs.
#[derive(Clone)]
pub struct DemoPortal {
    pub bind: SocketAddr,
    pub signer: Arc<PortalSigner>,
}

impl std::fmt::Debug for DemoPortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoPortal")
            .field("bind", &self.bind)
            .finish_non_exhaustive()
    }
}

/// The team the demo account's conversations and the portal's agent belong to.
const DEMO_TEAM: &str = "Demo desk 示範組";

/// Sets Harbour up for the example portal at `bind`, unless a real portal
/// is configured: portal sign-in with the example's key (creating its agent
/// in the demo team) and the portal's origin allowed to frame Harbour.
pub fn example_portal(
    config: &mut crate::config::Config,
    bind: SocketAddr,
) -> anyhow::Result<Option<DemoPortal>> {
    use crate::portal::{JitRule, KeySource, PortalConfig};
    if config.portal.is_some() {
        return Ok(None);
    }
    // `localhost` rather than the address: another site than Harbour's
    // 127.0.0.1, as a real portal is, so third-party rules apply.
    let origin = format!("http://localhost:{}", bind.port());
    let audience = config
        .public_url
        .clone()
        .unwrap_or_else(|| "harbour".into());
    let signer = PortalSigner::generate(&origin, &audience)?;
    let jit = JitRule {
        role: shared::Role::Agent,
        team: Some(DEMO_TEAM.into()),
    };
    config.portal = Some(PortalConfig::new(
        &origin,
        &audience,
        KeySource::Jwks(signer.jwks()),
        Some(jit),
    )?);
    config.frame_ancestors = if config.frame_ancestors == "'none'" {
        origin
    } else {
        format!("{} {origin}", config.frame_ancestors)
    };
    Ok(Some(DemoPortal {
        bind,
        signer: Arc::new(signer),
    }))
}

/// Who the example portal signs in.
fn demo_person() -> PortalPerson {
    PortalPerson {
        subject: "portal-staff-0042".into(),
        email: "amy.chan@example.com".into(),
        name: "Amy Chan 陳美儀".into(),
    }
}

/// Serves the example portal's page; Harbour is at `harbour`.
async fn start_portal(
    portal: &DemoPortal,
    harbour: SocketAddr,
    clock: &Clock,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(portal.bind)
        .await
        .with_context(|| {
            format!(
                "the demo's example portal cannot listen on {}; pass --demo-portal-bind or free the port",
                portal.bind
            )
        })?;
    let router = crate::demo_portal::router(
        &format!("http://{harbour}"),
        portal.signer.clone(),
        demo_person(),
        clock.clone(),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    println!(
        "Demo: an example intranet portal frames Harbour at http://localhost:{} (signs in {}).",
        portal.bind.port(),
        demo_person().name
    );
    Ok(())
}

/// The demo AppSecret: not secret, it only opens the local fake.
fn demo_secret(key: &[u8; 32]) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest([b"harbour-demo".as_slice(), key].concat())[..16])
}

/// The demo team, made on first use.
async fn demo_team(store: &Store, clock: &Clock) -> anyhow::Result<shared::TeamId> {
    match store.team_by_name(DEMO_TEAM).await? {
        Some(team) => Ok(team),
        None => Ok(
            crate::accounts::create_team(store, clock.now(), None, DEMO_TEAM)
                .await
                .map_err(|e| anyhow::anyhow!("cannot make the demo team: {e}"))?
                .id,
        ),
    }
}

/// Connects the demo WeCom Customer Service estate (once) and starts its
/// customers writing to its account in the fake.
async fn start_wecom_kf(
    store: &Store,
    secrets: &SecretBox,
    clock: &Clock,
    harbour: SocketAddr,
    key: &[u8; 32],
    fake: &Arc<FakeWeChat>,
    rate: f64,
) -> anyhow::Result<()> {
    let corp = CorpId::new(DEMO_CORP_ID);
    // Not secret: it only opens the local fake.
    let secret = format!("kf{}", demo_secret(key));
    fake.register_corp(&corp, &CorpSecret::new(secret.clone()));
    let account = OpenKfId::new(DEMO_OPEN_KFID);
    fake.add_kf_account_as(&corp, &account, "Harbour 客服");
    let channel = match store
        .list_channels()
        .await?
        .into_iter()
        .find(|c| c.app_id == DEMO_CORP_ID)
    {
        Some(channel) => channel,
        None => {
            let input = CreateWecomKf {
                name: "Demo WeCom Customer Service 示範微信客服".into(),
                corp_id: DEMO_CORP_ID.into(),
                corp_secret: secret,
                token: DEMO_TOKEN.into(),
                encoding_aes_key: DEMO_AES_KEY.into(),
                api_base: Some(fake.base_url().to_owned()),
                team: Some(demo_team(store, clock).await?),
            };
            crate::channels::wecom_kf::create_wecom_kf(store, secrets, clock.now(), None, &input)
                .await
                .map_err(|e| anyhow::anyhow!("cannot connect the demo WeCom estate: {e}"))?
                .channel
        }
    };
    let config = KfCallbackConfig::new(DEMO_TOKEN, DEMO_AES_KEY, &corp)
        .map_err(|e| anyhow::anyhow!("the demo WeCom key is invalid: {}", e.code()))?;
    fake.set_kf_callback(
        &corp,
        format!("http://{harbour}{}", channel.callback_path),
        config,
    );
    let customers = KfCustomers::new(fake.clone(), vec![account], 20, rand::random());
    // Half the Official Account's pace: the demo shows both, neither floods.
    tokio::spawn(customers.run_live(rate / 2.0, None));
    println!(
        "Demo: simulated WeCom customers write to \"{}\".",
        channel.name
    );
    Ok(())
}

/// Starts the fake WeChat and the followers; returns once traffic is flowing.
pub async fn start(
    store: &Store,
    secrets: &SecretBox,
    clock: &Clock,
    harbour: SocketAddr,
    key: &[u8; 32],
    options: &DemoOptions,
) -> anyhow::Result<Arc<FakeWeChat>> {
    // The fake follows Harbour's clock, so the 48-hour window and token
    // expiry agree with Harbour's: wall time in life, a test's jumps in tests.
    let fake_clock = match clock.manual_millis() {
        Some(shared) => ManualClock::from_shared(shared),
        None => {
            let fake_clock = ManualClock::new(SystemClock.now());
            let ticking = fake_clock.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    ticking.set(SystemClock.now());
                }
            });
            fake_clock
        }
    };
    let fake = FakeWeChat::start_with_clock(options.fake_bind, fake_clock)
        .await
        .with_context(|| {
            format!(
                "the demo's fake WeChat cannot listen on {}; pass --no-demo or free the port",
                options.fake_bind
            )
        })?;
    let fake = Arc::new(fake);
    let secret = demo_secret(key);
    fake.register_app(&AppId::new(DEMO_APP_ID), &AppSecret::new(secret.clone()));

    let channel = match store
        .list_channels()
        .await?
        .into_iter()
        .find(|c| c.app_id == DEMO_APP_ID)
    {
        Some(channel) => channel,
        None => {
            let team = demo_team(store, clock).await?;
            let input = CreateOfficialAccount {
                name: "Demo Official Account 示範公眾號".into(),
                app_id: DEMO_APP_ID.into(),
                app_secret: secret,
                token: DEMO_TOKEN.into(),
                encoding_aes_key: DEMO_AES_KEY.into(),
                mode: CallbackMode::Safe,
                api_base: Some(fake.base_url().to_owned()),
                team: Some(team),
            };
            create_official_account(store, secrets, clock.now(), None, &input)
                .await
                .map_err(|e| anyhow::anyhow!("cannot connect the demo account: {e}"))?
                .channel
        }
    };
    let target = format!("http://{harbour}{}", channel.callback_path);
    let config = SimulatorConfig::new(
        target,
        OriginalId::new(DEMO_ORIGINAL_ID),
        AppId::new(DEMO_APP_ID),
        DEMO_TOKEN,
        DEMO_AES_KEY,
        Mode::Safe,
    )
    .fake(fake.clone())
    // Pushes are signed at Harbour's "now", inside its timestamp window.
    .clock(Arc::new(fake.clock().clone()))
    .seed(rand::random());
    let simulator = Simulator::new(config)
        .map_err(|e| anyhow::anyhow!("the demo simulator cannot start: {}", e.code()))?;
    let rate = options.rate;
    tokio::spawn(async move {
        simulator.run_live(rate, None).await;
    });
    println!(
        "Demo: a fake WeChat runs on {} and simulated followers write to \"{}\".",
        fake.base_url(),
        channel.name
    );
    start_wecom_kf(store, secrets, clock, harbour, key, &fake, rate).await?;
    if let Some(portal) = &options.portal {
        start_portal(portal, harbour, clock).await?;
    }
    Ok(fake)
}
