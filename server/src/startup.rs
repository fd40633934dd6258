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
use crate::shutdown::{Shutdown, Tasks};
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
        // Hong Kong's general holidays, filled in once.
        store.seed_holidays().await?;
        // Every node of a database must share one key (tokens, sealed secrets).
        config.check_key(
            store
                .check_key_fingerprint(&config.key_fingerprint())
                .await?,
        )?;
        config.check_checkpoint_key(
            store
                .check_checkpoint_key(&config.checkpoints.key.key_id())
                .await?,
        )?;
        if let Some(admin) = create_first_admin(&store, &clock).await? {
            print_first_admin(&admin);
        }
        let hub = Hub::new();
        let tasks = Tasks::default();
        let shutdown = Shutdown::default();
        tasks.add(HUB_TASK, hub.start(store.clone()).await?);
        let roster = crate::roster::Roster::default();
        tasks.add(
            "roster",
            tokio::spawn(
                roster
                    .clone()
                    .run(store.clone(), clock.clone(), shutdown.clone()),
            ),
        );
        if let Some(listening) = roster.listen(&store) {
            tasks.add("roster mirror", listening);
        }
        let secrets = Arc::new(SecretBox::new(config.secret_key.expose()));
        let (prover, proof_requests) = crate::checkpointer::Prover::channel();
        let exports = crate::exports::ExportSettings {
            prover,
            key: config.checkpoints.key.clone(),
            keep_ms: config.export_keep_ms,
        };
        if config.run_workers {
            store.catch_up_kf(clock.now()).await?;
            let handlers = job_handlers(&store, &secrets, &clock, &config.data_dir, &exports)?;
            let mut worker = Worker::new(store.clone(), clock.clone(), handlers);
            worker.lease_ms = config.job_lease_ms;
            worker.shutdown = shutdown.clone();
            tasks.add(
                WORKER_TASK,
                tokio::spawn(worker.run(Duration::from_millis(500))),
            );
            tasks.add(
                "automation",
                tokio::spawn(
                    crate::automator::Automator::new(store.clone(), clock.clone())
                        .run(shutdown.clone()),
                ),
            );
            tasks.add(
                "sla",
                tokio::spawn(
                    crate::sla_keeper::SlaKeeper::new(store.clone(), clock.clone())
                        .run(shutdown.clone()),
                ),
            );
            let dispatcher = crate::dispatcher::Dispatcher::new(
                store.clone(),
                clock.clone(),
                roster.clone(),
                config.offline_grace_ms,
            );
            tasks.add(
                "auto-assignment",
                tokio::spawn(dispatcher.run(hub.clone(), shutdown.clone())),
            );
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
        let metrics = Arc::new(Metrics::default());
        let final_checkpoint = Shutdown::default();
        tasks.add(
            CHECKPOINT_TASK,
            tokio::spawn(
                crate::checkpointer::Checkpointer::new(
                    store.clone(),
                    clock.clone(),
                    config.checkpoints.clone(),
                    metrics.clone(),
                )
                .serving(proof_requests)
                .run(final_checkpoint.clone()),
            ),
        );
        let inbox = crate::ingest::InboxWriter::start(store.clone(), clock.clone());
        let (access, access_writer) = crate::access::AccessLog::start(store.clone(), clock.clone());
        let access = if config.record_reads {
            access
        } else {
            access.disabled()
        };
        tasks.add("access writer", access_writer);
        let presence = crate::presence::Presence::default();
        tasks.add("presence sweeper", presence.start_sweeper(clock.clone()));
        tasks.add(
            "pruner",
            spawn_pruner(
                store.clone(),
                clock.clone(),
                config.callback_max_age_s,
                MediaStore::new(&config.data_dir),
                crate::exports::exports_dir(&config.data_dir),
            ),
        );
        for task in
            crate::hub::spawn_presence_mirror(store.clone(), presence.clone(), clock.clone())
        {
            tasks.add("presence mirror", task);
        }
        let state = AppState {
            store,
            hub,
            inbox,
            accounts: Default::default(),
            estates: Default::default(),
            media: MediaStore::new(&config.data_dir),
            presence,
            roster,
            clock,
            keys: Arc::new(TokenKeys::new(config.secret_key.expose())),
            secrets,
            password_checks: Arc::new(tokio::sync::Semaphore::new(config.max_password_checks)),
            config: Arc::new(config),
            metrics,
            bad_signatures: Default::default(),
            shutdown,
            tasks,
            access,
            final_checkpoint,
            exports,
        };
        Ok(Application {
            listener,
            metrics_listener,
            _demo: demo,
            state,
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
        let state = self.state.clone();
        if let Some(listener) = self.metrics_listener.take() {
            let metrics = routes::metrics_router(state.clone());
            state.tasks.add(
                "metrics listener",
                tokio::spawn(async move {
                    if let Err(err) = axum::serve(listener, metrics).await {
                        tracing::error!(error = %err, "the metrics listener stopped");
                    }
                }),
            );
        }
        let app = routes::router(state.clone());
        let shutdown = state.shutdown.clone();
        let serving = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("stopping: answering what is in flight, then finishing the job in hand");
            shutdown.begin();
        });
        let deadline = state.config.shutdown_deadline;
        // Requests in flight are answered, but not for longer than the deadline.
        let served = tokio::select! {
            served = serving => served,
            () = past_deadline(&state.shutdown, deadline) => {
                tracing::warn!("requests were still in flight at the shutdown deadline; they were cut off");
                Ok(())
            }
        };
        // No request is in flight now: every callback answered `success` is
        // committed. The job in hand may finish, up to the deadline.
        state.shutdown.begin();
        if let Some(mut worker) = state.tasks.take(WORKER_TASK) {
            tokio::select! {
                _ = &mut worker => {}
                () = past_deadline(&state.shutdown, deadline) => {
                    tracing::warn!("a job was still running at the shutdown deadline; it was stopped");
                    worker.abort();
                }
            }
        }
        // Reads answered are recorded, and the last events get a checkpoint,
        // before the database closes.
        let _ = tokio::time::timeout(Duration::from_secs(5), state.access.flush()).await;
        state.final_checkpoint.begin();
        if let Some(mut checkpointer) = state.tasks.take(CHECKPOINT_TASK) {
            tokio::select! {
                _ = &mut checkpointer => {}
                () = past_deadline(&state.shutdown, deadline) => {
                    tracing::warn!("the checkpoint at shutdown was not finished by the deadline");
                    checkpointer.abort();
                }
            }
        }
        // Live sockets were told "server restarting"; let them say it.
        let sockets_closing = async {
            while state
                .metrics
                .ws_connections
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), sockets_closing).await;
        state.tasks.abort_all();
        state.store.close().await;
        served.context("the HTTP server stopped with an error")
    }
}

/// Resolves `deadline` after the stop began (never before it begins).
async fn past_deadline(shutdown: &Shutdown, deadline: Duration) {
    shutdown.begun().await;
    let since = shutdown.since().unwrap_or_else(tokio::time::Instant::now);
    tokio::time::sleep_until(since + deadline).await;
}

/// Names of the tasks `/readyz` watches.
pub const HUB_TASK: &str = "hub";
pub const WORKER_TASK: &str = "job worker";
pub const CHECKPOINT_TASK: &str = "checkpointer";

/// Every ten minutes, forgets sign-in attempts that no longer count, and
/// callback URLs the timestamp window refuses anyway; every hour, removes
/// media files no message names that are over an hour old.
fn spawn_pruner(
    store: Store,
    clock: Clock,
    callback_max_age_s: i64,
    media: MediaStore,
    exports_dir: std::path::PathBuf,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        for round in 0_u64.. {
            tick.tick().await;
            if round % 6 == 5 {
                let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
                match crate::channels::media::sweep_orphans(&store, &media, hour_ago).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "removed media files no message names"),
                    Err(err) => tracing::warn!(error = %err, "could not sweep orphaned media"),
                }
            }
            let now = clock.now();
            if let Err(err) = store
                .prune_login_failures(now - crate::routes::THROTTLE_WINDOW_MS)
                .await
            {
                tracing::warn!(error = %err, "could not prune old sign-in attempts");
            }
            // Kept for twice the window and five minutes more: a node whose
            // clock is behind, or whose window is wider, must still find
            // every URL it could accept.
            let before = now / 1000 - 2 * callback_max_age_s - 300;
            if let Err(err) = store.prune_callback_urls(before).await {
                tracing::warn!(error = %err, "could not prune old callback URLs");
            }
            crate::exports::remove_expired(&store, now, &exports_dir).await;
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
        Ok(user) => {
            // The password was printed to a terminal: the admin chooses
            // their own at first sign-in.
            store.require_password_change(user.id).await?;
            Ok(Some(FirstAdmin {
                email: user.email,
                password,
            }))
        }
        // Another node created it first.
        Err(crate::error::AppError::ConflictBecause {
            reason: "email_taken",
            ..
        }) => Ok(None),
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
    println!("  This password is shown only now; at first sign-in you choose your own.");
    println!();
}

/// Every job kind the worker runs, wired to its handler.
pub fn job_handlers(
    store: &Store,
    secrets: &Arc<SecretBox>,
    clock: &Clock,
    data_dir: &std::path::Path,
    exports: &crate::exports::ExportSettings,
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
        clients: clients.clone(),
        clock: clock.clone(),
    };
    let mut handlers = Handlers::default();
    handlers.register(SEND_JOB, move |job| {
        let sender = sender.clone();
        async move { sender.run(job).await }
    });
    let (dead_store, dead_clock) = (store.clone(), clock.clone());
    handlers.on_dead(SEND_JOB, move |job, reason| {
        let (store, clock) = (dead_store.clone(), dead_clock.clone());
        async move {
            let message = job.names("message")?;
            let sentence = crate::channels::sender::gave_up_sentence(&reason, job.attempts);
            crate::store::outbound::give_up_reply(&store, clock.now(), message, &sentence)
                .await
                .map_err(|e| e.to_string())
        }
    });
    let dead_media = media.clone();
    handlers.register(MEDIA_JOB, move |job| {
        let media = media.clone();
        async move { media.run(job).await }
    });
    handlers.on_dead(MEDIA_JOB, move |job, reason| {
        let media = dead_media.clone();
        async move { media.give_up(job, &reason).await }
    });
    let syncer = crate::channels::kf_sync::KfSyncer {
        store: store.clone(),
        clients: clients.clone(),
        clock: clock.clone(),
    };
    let session = crate::channels::kf_session::KfSession {
        store: store.clone(),
        clients: clients.clone(),
        clock: clock.clone(),
    };
    let ending = session.clone();
    handlers.register(crate::store::kf::EVENT_MESSAGE_JOB, move |job| {
        let session = session.clone();
        async move { session.send_event_message(job).await }
    });
    handlers.register(crate::store::kf::END_JOB, move |job| {
        let ending = ending.clone();
        async move { ending.end(job).await }
    });
    handlers.register(crate::store::kf::SYNC_JOB, move |job| {
        let syncer = syncer.clone();
        async move { syncer.run(job).await }
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
    let (closure_store, closure_clock) = (store.clone(), clock.clone());
    handlers.register(crate::store::calendar::CLOSURE_END_JOB, move |job| {
        let (store, clock) = (closure_store.clone(), closure_clock.clone());
        async move {
            let payload = job.payload_json()?;
            let (Some(id), Some(ends_at)) =
                (payload["closure"].as_str(), payload["ends_at"].as_i64())
            else {
                return Err("the job names no closure and end".to_owned());
            };
            crate::store::calendar::end_closure_on_schedule(&store, clock.now(), id, ends_at)
                .await
                .map_err(|e| e.to_string())
        }
    });
    let keeper = crate::sla_keeper::SlaKeeper::new(store.clone(), clock.clone());
    handlers.register(crate::sla_keeper::TIMER_JOB, move |job| {
        let keeper = keeper.clone();
        async move { keeper.run_timer(job).await }
    });
    let automator = crate::automator::Automator::new(store.clone(), clock.clone());
    handlers.register(crate::automator::TIMER_JOB, move |job| {
        let automator = automator.clone();
        async move { automator.run_timer(job).await }
    });
    let exporter = crate::exports::Exporter::new(store, clock, data_dir, exports);
    let dead_exporter = exporter.clone();
    handlers.register(crate::exports::EXPORT_JOB, move |job| {
        let exporter = exporter.clone();
        async move { exporter.run(job).await }
    });
    handlers.on_dead(crate::exports::EXPORT_JOB, move |job, reason| {
        let exporter = dead_exporter.clone();
        async move { exporter.give_up(job, &reason).await }
    });
    Ok(handlers)
}
