//! `Application::build(config)`: connect and migrate the store, create the
//! first admin on an empty database, start the hub and job workers, bind.

use crate::auth::TokenKeys;
use crate::channels::clients::Clients;
use crate::channels::media::{MediaFetcher, MediaStore};
use crate::channels::profile::ProfileFetcher;
use crate::channels::sender::Sender;
use crate::clock::Clock;
use crate::config::Config;
use crate::hub::Hub;
use crate::jobs::{Handlers, Worker};
use crate::metrics::Metrics;
use crate::routes;
use crate::secrets::SecretBox;
use crate::state::AppState;
use crate::store::inbox::{MEDIA_JOB, PROFILE_JOB};
use crate::store::outbound::SEND_JOB;
use crate::store::triage::{wake, WAKE_JOB};
use crate::store::{Store, StoreOptions};
use anyhow::Context;
use shared::api::CreateUser;
use shared::Role;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    /// `/metrics` on an address of its own, when configured.
    metrics_listener: Option<TcpListener>,
    /// Kept alive while the server runs (the demo's fake WeChat).
    _demo: Option<Arc<wechat::fake::FakeWeChat>>,
    pub state: AppState,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The first admin's sign-in, shown once on first start.
#[derive(Debug)]
pub struct FirstAdmin {
    pub email: String,
    pub password: String,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        Self::build_with_clock(config, Clock::System).await
    }

    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<Application> {
        let store = Store::connect(config.database_url.expose(), &StoreOptions::default()).await?;
        store
            .migrate()
            .await
            .context("database migrations failed")?;
        // Every node of a database must share one key (tokens, sealed secrets).
        config.check_key(
            store
                .check_key_fingerprint(&config.key_fingerprint())
                .await?,
        )?;
        if let Some(admin) = create_first_admin(&store, &clock).await? {
            print_first_admin(&admin);
        }
        let hub = Hub::new();
        let mut tasks = vec![hub.start(store.clone()).await?];
        let secrets = Arc::new(SecretBox::new(config.secret_key.expose()));
        if config.run_workers {
            let handlers = job_handlers(&store, &secrets, &clock, &config.data_dir)?;
            let mut worker = Worker::new(store.clone(), clock.clone(), handlers);
            worker.lease_ms = config.job_lease_ms;
            tasks.push(tokio::spawn(worker.run(Duration::from_millis(500))));
        }
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("HARBOUR_BIND: cannot listen on {}", config.bind))?;
        let metrics_listener =
            match config.metrics_bind {
                Some(address) => Some(TcpListener::bind(address).await.with_context(|| {
                    format!("HARBOUR_METRICS_BIND: cannot listen on {address}")
                })?),
                None => None,
            };
        let demo = match &config.demo {
            Some(options) => {
                let harbour = listener.local_addr()?;
                Some(
                    crate::demo::start(
                        &store,
                        &secrets,
                        &clock,
                        harbour,
                        config.secret_key.expose(),
                        options,
                    )
                    .await?,
                )
            }
            None => None,
        };
        let inbox = crate::ingest::InboxWriter::start(store.clone(), clock.clone());
        let presence = crate::presence::Presence::default();
        tasks.push(presence.start_sweeper(clock.clone()));
        tasks.push(spawn_pruner(
            store.clone(),
            clock.clone(),
            config.callback_max_age_s,
        ));
        tasks.extend(crate::hub::spawn_presence_mirror(
            store.clone(),
            presence.clone(),
            clock.clone(),
        ));
        let state = AppState {
            store,
            hub,
            inbox,
            accounts: Default::default(),
            media: MediaStore::new(&config.data_dir),
            presence,
            clock,
            keys: Arc::new(TokenKeys::new(config.secret_key.expose())),
            secrets,
            password_checks: Arc::new(tokio::sync::Semaphore::new(config.max_password_checks)),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            bad_signatures: Default::default(),
        };
        Ok(Application {
            listener,
            metrics_listener,
            _demo: demo,
            state,
            tasks,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config.bind)
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// The metrics listener's address, when there is one.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref()?.local_addr().ok()
    }

    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        if let Some(listener) = self.metrics_listener.take() {
            let metrics = routes::metrics_router(self.state.clone());
            self.tasks.push(tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, metrics).await {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            }));
        }
        let app = routes::router(self.state.clone());
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await;
        for task in self.tasks {
            task.abort();
        }
        self.state.store.close().await;
        served.context("the HTTP server stopped with an error")
    }
}

/// Every ten minutes, forgets sign-in attempts that no longer count, and
/// callback URLs the timestamp window refuses anyway.
fn spawn_pruner(
    store: Store,
    clock: Clock,
    callback_max_age_s: i64,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = clock.now();
            if let Err(err) = store
                .prune_login_failures(now - crate::routes::THROTTLE_WINDOW_MS)
                .await
            {
                tracing::warn!(error = %err, "could not prune old sign-in attempts");
            }
            // A minute's grace past the window, for clocks a little apart.
            let before = now / 1000 - callback_max_age_s - 60;
            if let Err(err) = store.prune_callback_urls(before).await {
                tracing::warn!(error = %err, "could not prune old callback URLs");
            }
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// On an empty database, creates an admin with a random password.
pub async fn create_first_admin(
    store: &Store,
    clock: &Clock,
) -> anyhow::Result<Option<FirstAdmin>> {
    if store.user_count().await? > 0 {
        return Ok(None);
    }
    let password = random_password();
    let input = CreateUser {
        email: "admin@harbour.local".into(),
        name: "Administrator".into(),
        role: Role::Admin,
        password: password.clone(),
        teams: vec![],
    };
    match crate::accounts::create_user(store, clock.now(), None, &input).await {
        Ok(user) => Ok(Some(FirstAdmin {
            email: user.email,
            password,
        })),
        // Another node created it first.
        Err(crate::error::AppError::Conflict(_)) => Ok(None),
        Err(err) => Err(anyhow::anyhow!("cannot create the first admin: {err}")),
    }
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn print_first_admin(admin: &FirstAdmin) {
    // Printed to the terminal once, deliberately not through the logger.
    println!();
    println!("  Harbour created the first admin account. Sign in with:");
    println!("    email:    {}", admin.email);
    println!("    password: {}", admin.password);
    println!("  This password is shown only now. Change it under Admin → Users.");
    println!();
}

/// Every job kind the worker runs, wired to its handler.
pub fn job_handlers(
    store: &Store,
    secrets: &Arc<SecretBox>,
    clock: &Clock,
    data_dir: &std::path::Path,
) -> anyhow::Result<Handlers> {
    let clients = Clients::new(store.clone(), secrets.clone(), clock.clone());
    let sender = Sender::new(
        store.clone(),
        clients.clone(),
        clock.clone(),
        MediaStore::new(data_dir),
    );
    let media = MediaFetcher {
        store: store.clone(),
        clients: clients.clone(),
        clock: clock.clone(),
        media: MediaStore::new(data_dir),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot start an HTTP client")?,
    };
    let profiles = ProfileFetcher {
        store: store.clone(),
        clients,
        clock: clock.clone(),
    };
    let mut handlers = Handlers::default();
    handlers.register(SEND_JOB, move |job| {
        let sender = sender.clone();
        async move { sender.run(job).await }
    });
    handlers.register(MEDIA_JOB, move |job| {
        let media = media.clone();
        async move { media.run(job).await }
    });
    handlers.register(PROFILE_JOB, move |job| {
        let profiles = profiles.clone();
        async move { profiles.run(job).await }
    });
    let (wake_store, wake_clock) = (store.clone(), clock.clone());
    handlers.register(WAKE_JOB, move |job| {
        let (store, clock) = (wake_store.clone(), wake_clock.clone());
        async move {
            let payload = job.payload_json()?;
            let conversation = crate::store::jobs::named(&payload, "conversation")?;
            let until = payload["until"]
                .as_i64()
                .ok_or("the job names no time to wake")?;
            wake(&store, clock.now(), conversation, until)
                .await
                .map_err(|e| e.to_string())
        }
    });
    Ok(handlers)
}
