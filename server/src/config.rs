//! Typed configuration from flags and `HARBOUR_*` environment variables.
//! Secrets are wrapped so `Debug` and logs never show them.

use anyhow::{bail, Context};
use base64::Engine;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// 32 bytes that sign access tokens and (later) encrypt secrets at rest.
pub type SecretKey = Secret<[u8; 32]>;

#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: Secret<String>,
    pub data_dir: PathBuf,
    pub secret_key: SecretKey,
    /// Where the key was read or generated, when it came from the data dir
    /// rather than `HARBOUR_SECRET_KEY`.
    pub secret_key_file: Option<PathBuf>,
    /// Where the built app lives; served with an SPA fallback.
    pub dist_dir: PathBuf,
    /// Access-token lifetime in seconds.
    pub access_ttl_secs: i64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: i64,
    /// Whether to mark the refresh cookie `Secure` (on by default; browsers
    /// accept Secure cookies from a loopback http address too).
    pub secure_cookies: bool,
    /// However active, a sign-in ends this long after it began (ms).
    pub session_max_ms: i64,
    /// Whether to start the job workers in this process.
    pub run_workers: bool,
    /// How long a claimed job is leased to its worker, in milliseconds.
    pub job_lease_ms: i64,
    /// Run the demo (fake WeChat and simulated followers) beside the server.
    pub demo: Option<crate::demo::DemoOptions>,
    /// Where people reach Harbour, e.g. `https://harbour.example.com`; an
    /// https URL turns on HSTS.
    pub public_url: Option<String>,
    /// Who may frame Harbour: the CSP `frame-ancestors` sources, `'none'`
    /// by default.
    pub frame_ancestors: String,
    /// `/metrics` on the main listener answers only with this bearer token.
    pub metrics_token: Option<Secret<String>>,
    /// `/metrics` without a token on a listener of its own (a private network).
    pub metrics_bind: Option<SocketAddr>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// Password checks (about 19 MiB each) that may run at once; more wait
    /// for none and get 429.
    pub max_password_checks: usize,
    /// A WeChat callback signed further than this from now (seconds) is refused.
    pub callback_max_age_s: i64,
    /// A live socket further behind than this many events is told to
    /// reload its views instead of replaying the log.
    pub max_replay: i64,
    /// How long a stopping server waits for the job in hand.
    pub shutdown_deadline: std::time::Duration,
    /// Portal sign-in for the iframe, when a portal is configured.
    pub portal: Option<crate::portal::PortalConfig>,
    /// How long a finished export can be downloaded (ms).
    pub export_keep_ms: i64,
    /// Whether reads of client data are recorded: always, except in the
    /// benchmark that measures what recording them costs (not a setting).
    pub record_reads: bool,
    /// Signed checkpoints of the event log.
    pub checkpoints: crate::checkpointer::CheckpointSettings,
    /// How long an agent may be disconnected before auto-assignment hands
    /// their waiting conversations back (ms).
    pub offline_grace_ms: i64,
}

/// Raw settings as given on the command line or in the environment, before checking.
#[derive(Clone, Default, clap::Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "HARBOUR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    #[arg(long, env = "HARBOUR_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory for the SQLite database, the generated secret key and media.
    #[arg(long, env = "HARBOUR_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// 32 bytes as 64 hex characters or base64; generated into the data dir when absent.
    #[arg(long, env = "HARBOUR_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Directory of the built web app.
    #[arg(long, env = "HARBOUR_DIST_DIR", default_value = "dist")]
    pub dist_dir: PathBuf,
    /// Seconds a worker holds a job before another worker may take it over.
    #[arg(long, env = "HARBOUR_JOB_LEASE_SECS", default_value_t = 60)]
    pub job_lease_secs: u32,
    /// Mark cookies Secure. Turn off only for a deployment reached over
    /// plain http from another machine.
    #[arg(long, env = "HARBOUR_SECURE_COOKIES", default_value_t = true, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    /// Hours after signing in when a session ends, however active it is.
    #[arg(long, env = "HARBOUR_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: u32,
    /// Where people reach Harbour, e.g. `https://harbour.example.com`.
    #[arg(long, env = "HARBOUR_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Origins allowed to show Harbour in a frame, space-separated (e.g.
    /// `https://portal.example.com`), or `'self'`; `'none'` by default.
    #[arg(long, env = "HARBOUR_FRAME_ANCESTORS", default_value = "'none'")]
    pub frame_ancestors: String,
    /// Serve `/metrics`, without a token, on this address of its own.
    #[arg(long, env = "HARBOUR_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// The bearer token `/metrics` asks for on the main address. A secret:
    /// read from the environment only, never from the command line.
    #[arg(skip = std::env::var("HARBOUR_METRICS_TOKEN").ok())]
    pub metrics_token: Option<String>,
    /// Proxies (addresses or networks, comma-separated) whose
    /// X-Forwarded-For header names the client; none by default.
    #[arg(long, env = "HARBOUR_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Seconds a WeChat callback's signed timestamp may be from now.
    #[arg(long, env = "HARBOUR_CALLBACK_MAX_AGE_S", default_value_t = 300)]
    pub callback_max_age_s: u32,
    /// Seconds a stopping server (SIGTERM) waits for running jobs.
    #[arg(long, env = "HARBOUR_SHUTDOWN_DEADLINE_S", default_value_t = 25)]
    pub shutdown_deadline_s: u32,
    /// The intranet portal that may sign people in to Harbour in its
    /// iframe: the `iss` its tokens carry. Portal sign-in is off without it.
    #[arg(long, env = "HARBOUR_PORTAL_ISSUER")]
    pub portal_issuer: Option<String>,
    /// The `aud` portal tokens must carry; `HARBOUR_PUBLIC_URL`, or
    /// `harbour`, by default.
    #[arg(long, env = "HARBOUR_PORTAL_AUDIENCE")]
    pub portal_audience: Option<String>,
    /// A PEM file with the portal's public key (RSA for RS256, P-256 for ES256).
    #[arg(long, env = "HARBOUR_PORTAL_PUBLIC_KEY")]
    pub portal_public_key: Option<PathBuf>,
    /// A JWKS file with the portal's public keys (RS256, ES256).
    #[arg(long, env = "HARBOUR_PORTAL_JWKS")]
    pub portal_jwks: Option<PathBuf>,
    /// A shared secret for HS256 portal tokens. A secret: read from the
    /// environment only, never from the command line.
    #[arg(skip = std::env::var("HARBOUR_PORTAL_SECRET").ok())]
    pub portal_secret: Option<String>,
    /// Create a portal user Harbour does not know yet, with this role
    /// (agent, supervisor or compliance); unknown users are refused without it.
    #[arg(long, env = "HARBOUR_PORTAL_JIT_ROLE")]
    pub portal_jit_role: Option<String>,
    /// The team (by name) users created through the portal join.
    #[arg(long, env = "HARBOUR_PORTAL_JIT_TEAM")]
    pub portal_jit_team: Option<String>,
    /// Sign a checkpoint of the event log after this many events.
    #[arg(long, env = "HARBOUR_CHECKPOINT_EVENTS", default_value_t = 1000)]
    pub checkpoint_events: u32,
    /// ... or this many seconds after the last one, when anything happened.
    #[arg(long, env = "HARBOUR_CHECKPOINT_SECONDS", default_value_t = 60)]
    pub checkpoint_seconds: u32,
    /// Where checkpoints are also written (WORM storage, another host);
    /// `<data dir>/checkpoints` by default.
    #[arg(long, env = "HARBOUR_CHECKPOINT_DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Each checkpoint is also POSTed here as JSON (a witness).
    #[arg(long, env = "HARBOUR_CHECKPOINT_WITNESS_URL")]
    pub checkpoint_witness_url: Option<String>,
    /// The Ed25519 seed that signs checkpoints (64 hex characters or
    /// base64); generated into `<data dir>/checkpoint.key` when absent. A
    /// secret: read from the environment only.
    #[arg(skip = std::env::var("HARBOUR_CHECKPOINT_KEY").ok())]
    pub checkpoint_key: Option<String>,
    /// How long a finished export bundle can be downloaded, in hours.
    #[arg(long, env = "HARBOUR_EXPORT_HOURS", default_value_t = 72)]
    pub export_hours: u32,
    /// How long an agent may be disconnected before auto-assignment hands
    /// their waiting conversations back to the team, in seconds.
    #[arg(long, env = "HARBOUR_OFFLINE_GRACE_SECONDS", default_value_t = 120)]
    pub offline_grace_seconds: u32,
}

/// Settings as a debugger would print them, without the secrets in them.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("database_url", &redacted(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("secret_key", &redacted(&self.secret_key))
            .field("dist_dir", &self.dist_dir)
            .field("public_url", &self.public_url)
            .field("frame_ancestors", &self.frame_ancestors)
            .field("metrics_token", &redacted(&self.metrics_token))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("portal_issuer", &self.portal_issuer)
            .field("portal_secret", &redacted(&self.portal_secret))
            .field("checkpoint_key", &redacted(&self.checkpoint_key))
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Checks every setting; an error is one sentence naming the setting.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Config> {
        let bind: SocketAddr = settings.bind.parse().map_err(|_| {
            anyhow::anyhow!(
                "HARBOUR_BIND must be an address like 127.0.0.1:8080, not `{}`.",
                settings.bind
            )
        })?;
        let database_url = match &settings.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                settings.data_dir.join("harbour.db").display()
            ),
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("HARBOUR_DATABASE_URL must start with sqlite:// or postgres://.");
        }
        let public_url = settings
            .public_url
            .as_deref()
            .map(parse_public_url)
            .transpose()?;
        let frame_ancestors = parse_frame_ancestors(&settings.frame_ancestors)?;
        let portal = portal(settings, public_url.as_deref())?;
        let metrics_bind = settings
            .metrics_bind
            .as_deref()
            .map(|raw| {
                raw.parse::<SocketAddr>().map_err(|_| {
                    anyhow::anyhow!(
                        "HARBOUR_METRICS_BIND must be an address like 127.0.0.1:9090, not `{raw}`."
                    )
                })
            })
            .transpose()?;
        let metrics_token = match settings.metrics_token.as_deref().map(str::trim) {
            Some(token) if token.len() < 24 => {
                bail!("HARBOUR_METRICS_TOKEN must be at least 24 characters; generate one, e.g. with `openssl rand -hex 24`.")
            }
            Some(token) => Some(Secret::new(token.to_owned())),
            None => None,
        };
        ensure_data_dir(&settings.data_dir)?;
        let (secret_key, secret_key_file) = match &settings.secret_key {
            Some(raw) => (parse_secret_key(raw)?, None),
            None => (
                load_or_create_key(&settings.data_dir)?,
                Some(settings.data_dir.join("secret.key")),
            ),
        };
        let checkpoints = checkpoints(settings)?;
        Ok(Config {
            bind,
            database_url: Secret::new(database_url),
            data_dir: settings.data_dir.clone(),
            secret_key,
            secret_key_file,
            dist_dir: settings.dist_dir.clone(),
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            secure_cookies: settings.secure_cookies,
            session_max_ms: session_max_ms(settings.session_max_hours)?,
            run_workers: true,
            job_lease_ms: i64::from(settings.job_lease_secs.max(1)) * 1000,
            demo: None,
            public_url,
            frame_ancestors,
            metrics_token,
            metrics_bind,
            trusted_proxies: crate::client_address::TrustedProxies::parse(
                &settings.trusted_proxies,
            )?,
            max_password_checks: default_password_checks(),
            callback_max_age_s: callback_max_age_s(settings.callback_max_age_s)?,
            max_replay: MAX_REPLAY,
            shutdown_deadline: shutdown_deadline(settings.shutdown_deadline_s)?,
            portal,
            export_keep_ms: export_keep_ms(settings.export_hours)?,
            record_reads: true,
            checkpoints,
            offline_grace_ms: offline_grace_ms(settings.offline_grace_seconds)?,
        })
    }

    /// The origins (not `'self'`) allowed to frame Harbour: the portals
    /// the app in an iframe may exchange messages with.
    pub fn frame_origins(&self) -> Vec<String> {
        self.frame_ancestors
            .split_whitespace()
            .filter(|source| !source.starts_with('\''))
            .map(str::to_owned)
            .collect()
    }

    /// A configuration for tests: port 0, the given database, a random key.
    pub fn for_tests(database_url: &str, data_dir: &Path) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: Secret::new(database_url.to_owned()),
            data_dir: data_dir.to_owned(),
            secret_key: Secret::new(rand::random()),
            secret_key_file: None,
            dist_dir: data_dir.join("dist"),
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            secure_cookies: true,
            session_max_ms: 12 * 3_600_000,
            run_workers: true,
            job_lease_ms: 60_000,
            demo: None,
            public_url: None,
            frame_ancestors: "'none'".into(),
            metrics_token: None,
            metrics_bind: None,
            trusted_proxies: Default::default(),
            max_password_checks: default_password_checks(),
            callback_max_age_s: 300,
            max_replay: MAX_REPLAY,
            shutdown_deadline: std::time::Duration::from_secs(25),
            portal: None,
            export_keep_ms: 72 * 3_600_000,
            offline_grace_ms: 120_000,
            record_reads: true,
            checkpoints: crate::checkpointer::CheckpointSettings {
                every_events: 1000,
                every_ms: 60_000,
                dir: data_dir.join("checkpoints"),
                witness_url: None,
                // One key per data dir, as nodes sharing a database share one.
                key: crate::checkpoints::CheckpointKey::from_seed(test_checkpoint_seed(data_dir)),
            },
        }
    }
}

/// The checkpoint key's seed of a test node on `data_dir` (tests give it
/// to the command line as `HARBOUR_CHECKPOINT_KEY`).
pub fn test_checkpoint_seed(data_dir: &Path) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"harbour test checkpoint key\0");
    hasher.update(data_dir.to_string_lossy().as_bytes());
    hasher.finalize().into()
}

/// Checkpoint settings, with the signing key (read or generated).
fn checkpoints(settings: &Settings) -> anyhow::Result<crate::checkpointer::CheckpointSettings> {
    if settings.checkpoint_events == 0 {
        bail!("HARBOUR_CHECKPOINT_EVENTS must be at least 1.");
    }
    if !(1..=86_400).contains(&settings.checkpoint_seconds) {
        bail!(
            "HARBOUR_CHECKPOINT_SECONDS must be between 1 and 86400 (a day), not {}.",
            settings.checkpoint_seconds
        );
    }
    let witness_url = match settings.checkpoint_witness_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Some(url.to_owned())
        }
        Some(_) => bail!("HARBOUR_CHECKPOINT_WITNESS_URL must be an http:// or https:// URL."),
    };
    Ok(crate::checkpointer::CheckpointSettings {
        every_events: u64::from(settings.checkpoint_events),
        every_ms: i64::from(settings.checkpoint_seconds) * 1000,
        dir: settings
            .checkpoint_dir
            .clone()
            .unwrap_or_else(|| settings.data_dir.join("checkpoints")),
        witness_url,
        key: crate::checkpoints::load_or_create_key(
            settings.checkpoint_key.as_deref(),
            &settings.data_dir,
        )?,
    })
}

/// Events a reconnecting socket may replay before it is told to reload.
const MAX_REPLAY: i64 = 5_000;

/// Two password checks per core: enough to keep the cores busy, few
/// enough that a burst of sign-ins cannot exhaust memory.
fn default_password_checks() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

fn shutdown_deadline(seconds: u32) -> anyhow::Result<std::time::Duration> {
    if !(1..=600).contains(&seconds) {
        bail!("HARBOUR_SHUTDOWN_DEADLINE_S must be between 1 and 600 seconds, not {seconds}.");
    }
    Ok(std::time::Duration::from_secs(u64::from(seconds)))
}

fn callback_max_age_s(seconds: u32) -> anyhow::Result<i64> {
    if !(30..=3_600).contains(&seconds) {
        bail!("HARBOUR_CALLBACK_MAX_AGE_S must be between 30 and 3600 seconds, not {seconds}.");
    }
    Ok(i64::from(seconds))
}

fn offline_grace_ms(seconds: u32) -> anyhow::Result<i64> {
    if seconds > 24 * 3600 {
        bail!("HARBOUR_OFFLINE_GRACE_SECONDS must be at most 86400 (a day), not {seconds}.");
    }
    Ok(i64::from(seconds) * 1000)
}

fn export_keep_ms(hours: u32) -> anyhow::Result<i64> {
    if !(1..=24 * 31).contains(&hours) {
        bail!("HARBOUR_EXPORT_HOURS must be between 1 and 744 (31 days), not {hours}.");
    }
    Ok(i64::from(hours) * 3_600_000)
}

fn session_max_ms(hours: u32) -> anyhow::Result<i64> {
    if !(1..=24 * 31).contains(&hours) {
        bail!("HARBOUR_SESSION_MAX_HOURS must be between 1 and 744 (31 days), not {hours}.");
    }
    Ok(i64::from(hours) * 3_600_000)
}

impl Config {
    /// Settings that work but weaken Harbour, each as a sentence for the log.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.secure_cookies {
            warnings.push("HARBOUR_SECURE_COOKIES is off: the sign-in cookie can travel over plain http. Serve Harbour over https and turn it back on.".to_owned());
        }
        warnings
    }
}

/// `https://host[:port]` or `http://…`, without a path, query or fragment.
fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if is_host_and_port(host) => Ok(url.to_owned()),
        _ => bail!(
            "HARBOUR_PUBLIC_URL must be the address people open, like https://harbour.example.com, not `{raw}`."
        ),
    }
}

/// A host name or address with an optional port, as in a URL or a Host
/// header: letters, digits, `.-:[]`, at most 255 characters.
pub fn is_host_and_port(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// Portal sign-in from its settings: off without an issuer; with one,
/// exactly one key source.
fn portal(
    settings: &Settings,
    public_url: Option<&str>,
) -> anyhow::Result<Option<crate::portal::PortalConfig>> {
    use crate::portal::{read_key_file, JitRule, KeySource, PortalConfig};
    let Some(issuer) = settings.portal_issuer.as_deref() else {
        if settings.portal_public_key.is_some()
            || settings.portal_jwks.is_some()
            || settings.portal_secret.is_some()
        {
            bail!(
                "A portal key is set but HARBOUR_PORTAL_ISSUER is not: name the portal that signs."
            );
        }
        return Ok(None);
    };
    let audience = settings
        .portal_audience
        .as_deref()
        .or(public_url)
        .unwrap_or("harbour");
    let jit = match settings.portal_jit_role.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(role) => Some(JitRule {
            role: role.parse().map_err(|_| {
                anyhow::anyhow!(
                    "HARBOUR_PORTAL_JIT_ROLE must be agent, supervisor or compliance, not `{role}`."
                )
            })?,
            team: settings
                .portal_jit_team
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        }),
    };
    let secret = settings.portal_secret.clone().map(Secret::new);
    let pem;
    let jwks;
    let source = match (&settings.portal_public_key, &settings.portal_jwks, &secret) {
        (Some(path), None, None) => {
            pem = read_key_file("HARBOUR_PORTAL_PUBLIC_KEY", path)?;
            KeySource::PublicKeyPem(&pem)
        }
        (None, Some(path), None) => {
            jwks = String::from_utf8(read_key_file("HARBOUR_PORTAL_JWKS", path)?)
                .context("HARBOUR_PORTAL_JWKS must be UTF-8 JSON")?;
            KeySource::Jwks(&jwks)
        }
        (None, None, Some(secret)) => KeySource::SharedSecret(secret),
        _ => bail!(
            "With HARBOUR_PORTAL_ISSUER set exactly one of HARBOUR_PORTAL_PUBLIC_KEY, HARBOUR_PORTAL_JWKS or HARBOUR_PORTAL_SECRET is needed."
        ),
    };
    PortalConfig::new(issuer, audience, source, jit).map(Some)
}

/// CSP `frame-ancestors` sources: `'none'` alone, or `'self'` and origins
/// such as `https://portal.example.com` or `https://*.example.com`.
pub fn parse_frame_ancestors(raw: &str) -> anyhow::Result<String> {
    let sources: Vec<&str> = raw.split_whitespace().collect();
    let valid = |source: &&str| {
        *source == "'self'"
            || source
                .strip_prefix("https://")
                .or_else(|| source.strip_prefix("http://"))
                .map(|host| host.strip_prefix("*.").unwrap_or(host))
                .is_some_and(is_host_and_port)
    };
    if sources == ["'none'"] || (!sources.is_empty() && sources.iter().all(valid)) {
        Ok(sources.join(" "))
    } else {
        bail!(
            "HARBOUR_FRAME_ANCESTORS must be 'none', or 'self' and origins like https://portal.example.com separated by spaces, not `{raw}`."
        )
    }
}

impl Config {
    /// A one-way fingerprint of the secret key, for checking that every node
    /// of a database uses the same key (it says nothing about the key).
    pub fn key_fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(b"harbour secret key fingerprint v1\0");
        hasher.update(self.secret_key.expose());
        hex::encode(&hasher.finalize()[..16])
    }

    /// Refuses to start when the database was set up with another key.
    pub fn check_key(&self, check: crate::store::settings::KeyCheck) -> anyhow::Result<()> {
        use crate::store::settings::KeyCheck;
        if check != KeyCheck::Different {
            return Ok(());
        }
        match &self.secret_key_file {
            Some(file) => bail!(
                "This database is used with another secret key than this node's {} (several nodes, or a lost data dir). Give every node of this database the same HARBOUR_SECRET_KEY.",
                file.display()
            ),
            None => bail!(
                "HARBOUR_SECRET_KEY is not the key this database is used with. Give every node of this database the same HARBOUR_SECRET_KEY."
            ),
        }
    }
}

impl Config {
    /// Refuses to sign checkpoints with another key than the log's.
    pub fn check_checkpoint_key(
        &self,
        check: crate::store::settings::KeyCheck,
    ) -> anyhow::Result<()> {
        if check != crate::store::settings::KeyCheck::Different {
            return Ok(());
        }
        bail!(
            "This node's checkpoint key ({}) is not the one this database's checkpoints are signed with (several nodes, or a lost data dir). Give every node the same HARBOUR_CHECKPOINT_KEY, or restore <data dir>/checkpoint.key.",
            self.checkpoints.key.key_id()
        )
    }
}

pub fn parse_secret_key(raw: &str) -> anyhow::Result<SecretKey> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(raw).ok()
    } else {
        base64::engine::general_purpose::STANDARD.decode(raw).ok()
    };
    match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        Some(key) => Ok(Secret::new(key)),
        None => {
            bail!("HARBOUR_SECRET_KEY must be 32 bytes written as 64 hex characters or base64.")
        }
    }
}

/// Creates the data dir readable by Harbour's user only (0700). An existing
/// one is left as it is (it may be a mount with its own rules).
pub fn ensure_data_dir(data_dir: &Path) -> anyhow::Result<()> {
    if data_dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(data_dir)
        .with_context(|| format!("HARBOUR_DATA_DIR: cannot create {}", data_dir.display()))
}

/// Reads `secret.key` from the data dir, creating it (mode 0600) on first
/// run; refuses a key file other users can read.
fn load_or_create_key(data_dir: &Path) -> anyhow::Result<SecretKey> {
    let path = data_dir.join("secret.key");
    if path.exists() {
        return read_private_key_file(&path).map(Secret::new);
    }
    ensure_data_dir(data_dir)?;
    let key: [u8; 32] = rand::random();
    write_private(&path, hex::encode(key).as_bytes())
        .with_context(|| format!("HARBOUR_DATA_DIR: cannot write {}", path.display()))?;
    Ok(Secret::new(key))
}

/// Reads a 32-byte key written as hex or base64 from a file only its owner
/// can read.
pub(crate) fn read_private_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("HARBOUR_DATA_DIR: cannot read {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} can be read by other users (mode {:o}); make it private with `chmod 600 {}` and start again.",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    let raw = std::fs::read_to_string(path)
        .with_context(|| format!("HARBOUR_DATA_DIR: cannot read {}", path.display()))?;
    let key =
        parse_secret_key(&raw).with_context(|| format!("{} is not a valid key", path.display()))?;
    Ok(*key.expose())
}

/// Writes a new file only its owner can read (0600); refuses to overwrite.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_data_dir_is_private_and_a_readable_key_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().expect("dir");
        let data = root.path().join("nested").join("data");
        let key = load_or_create_key(&data).expect("a new key");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("secret.key")), 0o600);
        let again = load_or_create_key(&data).expect("the same key");
        assert_eq!(again.expose(), key.expose());
        std::fs::set_permissions(
            data.join("secret.key"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        let refused = load_or_create_key(&data)
            .expect_err("readable by others")
            .to_string();
        assert!(
            refused.contains("can be read by other users (mode 644)"),
            "{refused}"
        );
        assert!(refused.contains("chmod 600"), "{refused}");
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let dir = std::env::temp_dir();
        let config = Config::for_tests("postgres://user:hunter2@db/harbour", &dir);
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn framing_and_the_public_url_are_checked() {
        assert_eq!(
            parse_frame_ancestors("'none'").ok().as_deref(),
            Some("'none'")
        );
        assert_eq!(
            parse_frame_ancestors(" 'self'  https://portal.example.com https://*.corp.hk:8443 ")
                .ok()
                .as_deref(),
            Some("'self' https://portal.example.com https://*.corp.hk:8443")
        );
        for bad in [
            "",
            "*",
            "'none' 'self'",
            "portal.example.com",
            "https://a.com; script-src *",
            "'unsafe-inline'",
        ] {
            let err = parse_frame_ancestors(bad).expect_err(bad).to_string();
            assert!(err.starts_with("HARBOUR_FRAME_ANCESTORS"), "{err}");
        }
        assert_eq!(
            parse_public_url("https://harbour.example.com/")
                .ok()
                .as_deref(),
            Some("https://harbour.example.com")
        );
        for bad in [
            "harbour.example.com",
            "https://",
            "https://a.com/path",
            "ftp://a.com",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cookies_are_secure_unless_turned_off_with_a_warning() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        let data_dir = tempfile::tempdir().expect("data dir");
        let data_dir = data_dir.path().to_string_lossy().into_owned();
        let parse = |args: &[&str]| {
            let mut all = vec![
                "harbour",
                "--data-dir",
                &data_dir,
                "--secret-key",
                "0000000000000000000000000000000000000000000000000000000000000000",
            ];
            all.extend_from_slice(args);
            Config::from_settings(&Cli::parse_from(all).settings).expect("config")
        };
        let default = parse(&[]);
        assert!(default.secure_cookies);
        assert_eq!(default.session_max_ms, 12 * 3_600_000);
        assert!(default.warnings().is_empty());
        let plain = parse(&["--secure-cookies", "false"]);
        assert!(!plain.secure_cookies);
        assert!(plain.warnings()[0].starts_with("HARBOUR_SECURE_COOKIES is off"));
        assert!(session_max_ms(0).is_err() && session_max_ms(745).is_err());
        assert!(callback_max_age_s(29).is_err() && callback_max_age_s(3_601).is_err());
        assert_eq!(callback_max_age_s(300).ok(), Some(300));
    }

    #[test]
    fn a_bad_bind_address_names_the_setting() {
        let settings = Settings {
            bind: "nonsense".into(),
            secret_key: Some("00".repeat(32)),
            ..Default::default()
        };
        let err = Config::from_settings(&settings)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("HARBOUR_BIND"), "{err}");
    }

    #[test]
    fn a_short_secret_key_is_refused() {
        let err = parse_secret_key("abcd")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("HARBOUR_SECRET_KEY"), "{err}");
    }

    #[test]
    fn an_unknown_database_scheme_names_the_setting() {
        let settings = Settings {
            bind: "127.0.0.1:0".into(),
            database_url: Some("mysql://x".into()),
            secret_key: Some("00".repeat(32)),
            ..Default::default()
        };
        let err = Config::from_settings(&settings)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("HARBOUR_DATABASE_URL"), "{err}");
    }
}
