//! The `harbour` command line: serve, migrate, manage users and teams,
//! verify the audit chain.

use crate::clock::Clock;
use crate::config::{Config, Settings};
use crate::store::{Store, StoreOptions};
use crate::Application;
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use shared::api::CreateUser;
use shared::Role;
use std::io::Read;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "harbour",
    version,
    about = "Harbour: a shared team inbox for WeChat."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrates first).
    Serve {
        /// Also run a fake WeChat with a demo Official Account and simulated followers.
        #[arg(long)]
        demo: bool,
        /// Where the demo's fake WeChat listens.
        #[arg(long, default_value = "127.0.0.1:8089")]
        demo_wechat_bind: std::net::SocketAddr,
        /// Simulated follower messages per second in the demo.
        #[arg(long, default_value_t = 0.3)]
        demo_rate: f64,
        /// Where the demo's example intranet portal (framing Harbour, on a
        /// second origin: open it as http://localhost:PORT) listens.
        #[arg(long, default_value = "127.0.0.1:8090")]
        demo_portal_bind: std::net::SocketAddr,
    },
    /// Run a fake WeChat API server on its own (for trying Harbour without WeChat).
    FakeWechat {
        #[arg(long, default_value = "127.0.0.1:8089")]
        bind: std::net::SocketAddr,
        /// AppID to accept (repeatable with --app-secret in the same order).
        #[arg(long = "app-id")]
        app_ids: Vec<String>,
        #[arg(long = "app-secret")]
        app_secrets: Vec<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load a realistic data set (teams, agents, Official Accounts, bilingual
    /// conversations) for benchmarks and demos; prints the sign-ins.
    Seed {
        #[arg(long, default_value_t = 100_000)]
        conversations: usize,
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        #[arg(long, default_value_t = 4)]
        teams: usize,
        #[arg(long, default_value_t = 5)]
        agents_per_team: usize,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Check the event log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Connect channels.
    #[command(subcommand)]
    Channel(ChannelCommand),
}

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Connect a WeChat Official Account; prints its id and callback path.
    /// Its secrets are read from standard input, one `name=value` per line:
    /// `app_secret=…`, `aes_key=…` (the 43-character EncodingAESKey; not in
    /// plain mode) and `token=…` (if absent, Harbour generates one and prints
    /// it once, to paste into WeChat's console).
    AddOfficialAccount {
        #[arg(long)]
        name: String,
        #[arg(long)]
        app_id: String,
        /// Read the secrets from standard input (required: secrets never go
        /// on the command line, where other users and shell history see them).
        #[arg(long)]
        secrets_stdin: bool,
        /// Refused: pass secrets with --secrets-stdin.
        #[arg(long, hide = true)]
        app_secret: Option<String>,
        /// Refused: pass secrets with --secrets-stdin.
        #[arg(long, hide = true)]
        token: Option<String>,
        /// Refused: pass secrets with --secrets-stdin.
        #[arg(long, hide = true)]
        aes_key: Option<String>,
        #[arg(long, value_parser = ["plain", "compatible", "safe"])]
        mode: String,
        /// WeChat's API base URL (the fake WeChat's in demos and tests).
        #[arg(long)]
        api_base: Option<String>,
        /// Team whose agents see this channel's conversations.
        #[arg(long)]
        team: Option<String>,
    },
    /// Connect a WeCom Customer Service (微信客服) estate; prints its id and
    /// callback path. Its secrets are read from standard input, one
    /// `name=value` per line: `corp_secret=…` (the Secret of the app allowed
    /// to call the Customer Service API), `aes_key=…` (the 43-character
    /// EncodingAESKey) and `token=…` (if absent, Harbour generates one and
    /// prints it once, to paste into the WeCom console).
    AddWecomKf {
        #[arg(long)]
        name: String,
        #[arg(long)]
        corp_id: String,
        /// Read the secrets from standard input (required: secrets never go
        /// on the command line, where other users and shell history see them).
        #[arg(long)]
        secrets_stdin: bool,
        /// Refused: pass secrets with --secrets-stdin.
        #[arg(long, hide = true)]
        corp_secret: Option<String>,
        /// Refused: pass secrets with --secrets-stdin.
        #[arg(long, hide = true)]
        token: Option<String>,
        /// Refused: pass secrets with --secrets-stdin.
        #[arg(long, hide = true)]
        aes_key: Option<String>,
        /// WeCom's API base URL (the fake WeChat's in demos and tests).
        #[arg(long)]
        api_base: Option<String>,
        /// Team for the accounts not mapped to a team of their own.
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Team name (repeatable).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain and the Merkle tree and check every signed
    /// checkpoint; exits non-zero naming the first bad seq or checkpoint.
    Verify {
        /// A directory of checkpoint files kept outside the database
        /// (HARBOUR_CHECKPOINT_DIR on the servers), checked against the log.
        #[arg(long, value_name = "DIR")]
        checkpoints: Option<std::path::PathBuf>,
        /// The key checkpoints must be signed with (`ed25519:…` as
        /// `audit public-key` prints it, or a file holding it); this
        /// node's key by default.
        #[arg(long = "public-key", value_name = "K")]
        public_key: Option<String>,
    },
    /// Verify an export bundle with no database: every file's hash, the
    /// manifest's signature, every event's inclusion proof under the signed
    /// checkpoint, and every message against its event. Exits non-zero
    /// naming each problem.
    VerifyExport {
        /// The bundle, as downloaded (`harbour-export-….zip`).
        #[arg(value_name = "BUNDLE")]
        bundle: std::path::PathBuf,
        /// The firm's public key (`ed25519:…` as `audit public-key` prints
        /// it, or a file holding it).
        #[arg(long = "public-key", value_name = "K")]
        public_key: String,
        /// The published checkpoint files: the bundle's checkpoint must be
        /// among them.
        #[arg(long, value_name = "DIR")]
        checkpoints: Option<std::path::PathBuf>,
    },
    /// Print the public key that verifies checkpoints, and its id.
    PublicKey,
    /// Sign a checkpoint of the log now (servers do it on their own).
    Checkpoint,
}

fn parse_role(raw: &str) -> Result<Role, String> {
    raw.parse()
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(
        config.database_url.expose(),
        &StoreOptions { max_connections: 4 },
    )
    .await?;
    store
        .migrate()
        .await
        .context("database migrations failed")?;
    // Commands seal secrets and sign with this key: it must be the servers'.
    config.check_key(
        store
            .check_key_fingerprint(&config.key_fingerprint())
            .await?,
    )?;
    Ok(store)
}

fn verify_export(
    bundle: &std::path::Path,
    public_key: &str,
    checkpoints: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let key = crate::checkpoints::PublicKey::parse(public_key).context("--public-key")?;
    let published = checkpoints
        .map(crate::checkpoints::read_dir)
        .transpose()
        .context("--checkpoints")?;
    let report = crate::bundle::verify(bundle, &key, published.as_deref());
    if report.is_ok() {
        println!("{}", report.summary());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{}", report.summary());
        Ok(ExitCode::from(2))
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::FakeWechat {
        bind,
        app_ids,
        app_secrets,
    } = &cli.command
    {
        return run_fake_wechat(*bind, app_ids, app_secrets).await;
    }
    // Needs nothing of this installation: an outside party runs it.
    if let Command::Audit(AuditCommand::VerifyExport {
        bundle,
        public_key,
        checkpoints,
    }) = &cli.command
    {
        return verify_export(bundle, public_key, checkpoints.as_deref());
    }
    let mut config = Config::from_settings(&cli.settings)?;
    let clock = Clock::System;
    match cli.command {
        Command::FakeWechat { .. } => {}
        Command::Serve {
            demo,
            demo_wechat_bind,
            demo_rate,
            demo_portal_bind,
        } => {
            if demo {
                let portal = crate::demo::example_portal(&mut config, demo_portal_bind)?;
                config.demo = Some(crate::demo::DemoOptions {
                    fake_bind: demo_wechat_bind,
                    rate: demo_rate,
                    portal,
                });
            }
            for warning in config.warnings() {
                tracing::warn!("{warning}");
                eprintln!("warning: {warning}");
            }
            let app = Application::build(config).await?;
            tracing::info!(address = %app.address(), "Harbour is listening");
            println!("Harbour is running on http://{}", app.address());
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            open_store(&config).await?;
            println!("Migrations are applied.");
        }
        Command::User(UserCommand::Create {
            email,
            name,
            role,
            teams,
            password_stdin,
        }) => {
            if !password_stdin {
                bail!("pass --password-stdin and the password on standard input");
            }
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let store = open_store(&config).await?;
            let mut team_ids = Vec::new();
            for team in &teams {
                match store.team_by_name(team).await? {
                    Some(id) => team_ids.push(id),
                    None => bail!("there is no team named `{team}`; create it with `harbour team create --name`"),
                }
            }
            let input = CreateUser {
                email,
                name,
                role,
                password,
                teams: team_ids,
            };
            let user = crate::accounts::create_user(&store, clock.now(), None, &input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Created {} <{}> as {} with id {}.",
                user.name, user.email, user.role, user.id
            );
        }
        Command::Team(TeamCommand::Create { name }) => {
            let store = open_store(&config).await?;
            let team = crate::accounts::create_team(&store, clock.now(), None, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Created team {} with id {}.", team.name, team.id);
        }
        Command::Channel(ChannelCommand::AddOfficialAccount {
            name,
            app_id,
            secrets_stdin,
            app_secret,
            token,
            aes_key,
            mode,
            api_base,
            team,
        }) => {
            if app_secret.is_some() || token.is_some() || aes_key.is_some() {
                bail!("secrets never go on the command line, where other users and the shell history see them: pass --secrets-stdin and write app_secret=…, aes_key=… and token=… lines on standard input");
            }
            if !secrets_stdin {
                bail!("pass --secrets-stdin and write app_secret=…, aes_key=… (not in plain mode) and token=… (or let Harbour generate it) on standard input");
            }
            let given = ChannelSecrets::read_stdin()?;
            let store = open_store(&config).await?;
            let team = team_named(&store, team).await?;
            let mode = mode
                .parse::<shared::api::CallbackMode>()
                .ok()
                .context("--mode must be plain, compatible or safe")?;
            let input = shared::api::CreateOfficialAccount {
                name,
                app_id,
                app_secret: given
                    .app_secret
                    .context("standard input has no app_secret=… line")?,
                // Empty: Harbour generates one.
                token: given.token.unwrap_or_default(),
                encoding_aes_key: given.aes_key.unwrap_or_default(),
                mode,
                api_base,
                team,
            };
            let secrets = crate::secrets::SecretBox::new(config.secret_key.expose());
            let connected = crate::channels::create_official_account(
                &store,
                &secrets,
                clock.now(),
                None,
                &input,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_connected(&connected);
        }
        Command::Channel(ChannelCommand::AddWecomKf {
            name,
            corp_id,
            secrets_stdin,
            corp_secret,
            token,
            aes_key,
            api_base,
            team,
        }) => {
            if corp_secret.is_some() || token.is_some() || aes_key.is_some() {
                bail!("secrets never go on the command line, where other users and the shell history see them: pass --secrets-stdin and write corp_secret=…, aes_key=… and token=… lines on standard input");
            }
            if !secrets_stdin {
                bail!("pass --secrets-stdin and write corp_secret=…, aes_key=… and token=… (or let Harbour generate it) on standard input");
            }
            let given = ChannelSecrets::read_stdin()?;
            let store = open_store(&config).await?;
            let team = team_named(&store, team).await?;
            let input = shared::api::CreateWecomKf {
                name,
                corp_id,
                corp_secret: given
                    .corp_secret
                    .context("standard input has no corp_secret=… line")?,
                // Empty: Harbour generates one.
                token: given.token.unwrap_or_default(),
                encoding_aes_key: given
                    .aes_key
                    .context("standard input has no aes_key=… line")?,
                api_base,
                team,
            };
            let secrets = crate::secrets::SecretBox::new(config.secret_key.expose());
            let connected = crate::channels::wecom_kf::create_wecom_kf(
                &store,
                &secrets,
                clock.now(),
                None,
                &input,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_connected(&connected);
        }
        Command::Seed {
            conversations,
            messages,
            teams,
            agents_per_team,
        } => {
            let store = open_store(&config).await?;
            let secrets = crate::secrets::SecretBox::new(config.secret_key.expose());
            let options = crate::seed::SeedOptions {
                conversations,
                messages,
                teams,
                agents_per_team,
                ..Default::default()
            };
            let seeded = crate::seed::seed(&store, &secrets, clock.now(), &options)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Seeded {} conversations and {} messages in {} teams in {:.1} s.",
                seeded.conversations,
                seeded.messages,
                seeded.teams.len(),
                seeded.seconds
            );
            if let Some((email, _)) = seeded.agents.first() {
                println!(
                    "Sign in as {email} (every seeded user's password: {}).",
                    options.password
                );
            }
        }
        Command::Audit(AuditCommand::Verify {
            checkpoints,
            public_key,
        }) => {
            let public_key = match public_key.as_deref() {
                Some(text) => crate::checkpoints::PublicKey::parse(text).context("--public-key")?,
                None => config.checkpoints.key.public(),
            };
            let store = open_store(&config).await?;
            let options = crate::audit::AuditOptions {
                checkpoints_dir: checkpoints,
                public_key,
            };
            let report = crate::audit::verify(&store, &options).await?;
            match report.fault {
                None => {
                    println!(
                        "The event log is intact: {} events verified; {} checkpoints in the log{} match it, signed by key {}.",
                        report.events,
                        report.in_log,
                        if options.checkpoints_dir.is_some() {
                            format!(" and {} in the directory", report.in_dir)
                        } else {
                            String::new()
                        },
                        options.public_key.key_id()
                    );
                    if options.checkpoints_dir.is_none() {
                        println!("Checked against the log's own checkpoints only: someone who could write to the whole database could have rewritten them too. Give --checkpoints DIR (the copy outside the database) for the full check.");
                    }
                }
                Some(fault) => {
                    eprintln!("{fault}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Audit(AuditCommand::VerifyExport { .. }) => {}
        Command::Audit(AuditCommand::PublicKey) => {
            let key = config.checkpoints.key.public();
            println!("{key}");
            println!("key id {}", key.key_id());
        }
        Command::Audit(AuditCommand::Checkpoint) => {
            let store = open_store(&config).await?;
            config.check_checkpoint_key(
                store
                    .check_checkpoint_key(&config.checkpoints.key.key_id())
                    .await?,
            )?;
            let metrics = std::sync::Arc::new(crate::metrics::Metrics::default());
            let mut checkpointer = crate::checkpointer::Checkpointer::new(
                store,
                Clock::System,
                config.checkpoints.clone(),
                metrics.clone(),
            );
            checkpointer.prepare().await;
            checkpointer.step(true).await?;
            let status = &metrics.checkpoints;
            println!(
                "The newest checkpoint covers {} events.",
                status.tree_size.load(std::sync::atomic::Ordering::Relaxed)
            );
            for line in status.details() {
                eprintln!("{line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_fake_wechat(
    bind: std::net::SocketAddr,
    app_ids: &[String],
    app_secrets: &[String],
) -> anyhow::Result<ExitCode> {
    if app_ids.len() != app_secrets.len() {
        bail!("give one --app-secret for every --app-id");
    }
    let fake = wechat::fake::FakeWeChat::start(bind)
        .await
        .with_context(|| format!("the fake WeChat cannot listen on {bind}"))?;
    for (id, secret) in app_ids.iter().zip(app_secrets) {
        fake.register_app(
            &wechat::AppId::new(id.clone()),
            &wechat::client::AppSecret::new(secret.clone()),
        );
    }
    println!(
        "A fake WeChat API is running on {} (Ctrl-C stops it).",
        fake.base_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(ExitCode::SUCCESS)
}

/// An Official Account's secrets as read from standard input.
/// The team `name` names, if any; an error when there is no such team.
async fn team_named(store: &Store, name: Option<String>) -> anyhow::Result<Option<shared::TeamId>> {
    match name {
        Some(name) => {
            Ok(Some(store.team_by_name(&name).await?.with_context(
                || format!("there is no team named `{name}`"),
            )?))
        }
        None => Ok(None),
    }
}

/// What `channel add-…` prints: the id, the callback path, and a Token
/// Harbour generated (shown this once).
fn print_connected(connected: &shared::api::ConnectedChannel) {
    let channel = &connected.channel;
    println!(
        "Connected {} ({}) as channel {}.",
        channel.name, channel.app_id, channel.id
    );
    println!("Callback path: {}", channel.callback_path);
    if let Some(token) = &connected.generated_token {
        println!("Token (paste it into the console; it is not shown again): {token}");
    }
}

#[derive(Debug, Default)]
struct ChannelSecrets {
    app_secret: Option<String>,
    corp_secret: Option<String>,
    aes_key: Option<String>,
    token: Option<String>,
}

impl ChannelSecrets {
    fn read_stdin() -> anyhow::Result<ChannelSecrets> {
        let mut raw = String::new();
        std::io::stdin()
            .read_to_string(&mut raw)
            .context("cannot read the secrets from standard input")?;
        ChannelSecrets::parse(&raw)
    }

    /// `name=value` lines; blank lines and `#` comments are skipped. An
    /// error names the line, never its value.
    fn parse(raw: &str) -> anyhow::Result<ChannelSecrets> {
        let mut secrets = ChannelSecrets::default();
        for (n, line) in raw.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                bail!("line {} of standard input is not name=value", n + 1);
            };
            let slot = match name.trim() {
                "app_secret" => &mut secrets.app_secret,
                "corp_secret" => &mut secrets.corp_secret,
                "aes_key" => &mut secrets.aes_key,
                "token" => &mut secrets.token,
                // The name is not repeated: it may be a pasted secret.
                _ => bail!(
                    "line {} of standard input names something other than app_secret, corp_secret, aes_key or token",
                    n + 1
                ),
            };
            if slot.replace(value.trim().to_owned()).is_some() {
                bail!("line {} of standard input repeats `{}`", n + 1, name.trim());
            }
        }
        Ok(secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_secrets_come_as_name_value_lines() {
        let parsed = ChannelSecrets::parse("# from the vault\napp_secret = s3cret\n\ntoken=abc\n")
            .expect("parsed");
        assert_eq!(parsed.app_secret.as_deref(), Some("s3cret"));
        assert_eq!(parsed.token.as_deref(), Some("abc"));
        assert_eq!(parsed.aes_key, None);
        let unknown = ChannelSecrets::parse("password=hunter2").expect_err("unknown");
        assert!(!unknown.to_string().contains("hunter2"), "{unknown}");
        assert!(ChannelSecrets::parse("app_secret").is_err());
        assert!(ChannelSecrets::parse("token=a\ntoken=b").is_err());
        let token = crate::channels::official_account::generate_token();
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
