//! The `harbour` binary itself: first start, users and teams from the
//! command line, `audit verify` exit codes, and readable config errors.

use harbour_server::store::{Store, StoreOptions};
use harbour_tests::{on_both_backends, Backend, TestDb};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

on_both_backends!(
    a_node_with_another_secret_key_refuses_to_start,
    audit_verify_passes_an_intact_log_and_names_the_first_bad_seq,
    users_and_teams_can_be_created_from_the_command_line,
);

/// The `harbour` binary next to this test binary, built on first use.
fn harbour_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("current exe");
        let dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("target dir")
            .to_owned();
        let bin = dir.join("harbour");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "harbour-server",
                "--bin",
                "harbour",
            ])
            .status()
            .expect("cargo build");
        assert!(status.success(), "building harbour failed");
        bin
    })
    .clone()
}

pub fn harbour(db: &TestDb) -> Command {
    let mut command = Command::new(harbour_bin());
    command
        .env("HARBOUR_DATABASE_URL", &db.url)
        .env("HARBOUR_DATA_DIR", db.data_dir())
        .env_remove("HARBOUR_SECRET_KEY")
        .env("RUST_LOG", "warn");
    command
}

pub fn run(mut command: Command, stdin: Option<&str>) -> (i32, String, String) {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn harbour");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("wait");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn audit_verify_passes_an_intact_log_and_names_the_first_bad_seq(backend: Backend) {
    for (tampering, bad_seq) in [
        (vec!["UPDATE events SET kind = 'forged' WHERE seq = 2"], 2),
        (vec!["DELETE FROM events WHERE seq = 3"], 3),
        (
            vec![
                "UPDATE events SET seq = 100 WHERE seq = 2",
                "UPDATE events SET seq = 2 WHERE seq = 4",
                "UPDATE events SET seq = 4 WHERE seq = 100",
            ],
            2,
        ),
    ] {
        let db = TestDb::new(backend).await;
        for team in ["Alpha", "Bravo", "Charlie", "Delta"] {
            let mut command = harbour(&db);
            command.args(["team", "create", "--name", team]);
            assert_eq!(run(command, None).0, 0);
        }
        let mut verify = harbour(&db);
        verify.args(["audit", "verify"]);
        let (code, stdout, _) = run(verify, None);
        assert_eq!(code, 0, "{stdout}");
        assert!(stdout.contains("intact: 4 events"), "{stdout}");

        for sql in &tampering {
            db.tamper(sql).await;
        }
        let mut verify = harbour(&db);
        verify.args(["audit", "verify"]);
        let (code, _, stderr) = run(verify, None);
        assert_ne!(code, 0);
        assert!(
            stderr.contains(&format!("broken at seq {bad_seq}")),
            "{tampering:?}: {stderr}"
        );
    }
}

async fn users_and_teams_can_be_created_from_the_command_line(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut team = harbour(&db);
    team.args(["team", "create", "--name", "HK Desk"]);
    let (code, stdout, stderr) = run(team, None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Created team HK Desk"));

    let mut user = harbour(&db);
    user.args([
        "user",
        "create",
        "--email",
        "ken@example.com",
        "--name",
        "Ken Lau",
        "--role",
        "supervisor",
        "--team",
        "HK Desk",
        "--password-stdin",
    ]);
    let (code, stdout, stderr) = run(user, Some("a long enough password\n"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Ken Lau <ken@example.com> as supervisor"),
        "{stdout}"
    );
    assert!(!stdout.contains("a long enough password"));

    let mut weak = harbour(&db);
    weak.args([
        "user",
        "create",
        "--email",
        "amy@example.com",
        "--name",
        "Amy",
        "--role",
        "agent",
        "--password-stdin",
    ]);
    let (code, _, stderr) = run(weak, Some("short\n"));
    assert_ne!(code, 0);
    assert!(stderr.contains("at least 12 characters"), "{stderr}");

    let mut no_team = harbour(&db);
    no_team.args([
        "user",
        "create",
        "--email",
        "bo@example.com",
        "--name",
        "Bo",
        "--role",
        "agent",
        "--team",
        "Nope",
        "--password-stdin",
    ]);
    let (code, _, stderr) = run(no_team, Some("a long enough password\n"));
    assert_ne!(code, 0);
    assert!(stderr.contains("no team named `Nope`"), "{stderr}");

    let store = Store::connect(&db.url, &StoreOptions::default())
        .await
        .expect("connect");
    let users = store.list_users().await.expect("users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].teams[0].name, "HK Desk");
    store.close().await;
}

#[tokio::test]
async fn first_start_creates_an_admin_and_prints_a_random_password_once() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut serve = harbour(&db);
    serve
        .env("HARBOUR_BIND", "127.0.0.1:0")
        .env("HARBOUR_DIST_DIR", db.data_dir())
        .arg("serve");
    serve.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = serve.spawn().expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let lines: Vec<String> = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.starts_with("Harbour is running"))
            .collect()
    })
    .await
    .expect("read");
    let password = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .map(str::trim)
        .expect("a password line")
        .to_owned();
    assert!(password.len() >= 20);
    assert!(
        db.data_dir().join("secret.key").exists(),
        "a secret key is generated on first run"
    );
    let _ = child.kill();
    let _ = child.wait();

    // Second start: the admin exists, nothing is printed, and the password works.
    let store = Store::connect(&db.url, &StoreOptions::default())
        .await
        .expect("connect");
    let creds = store
        .credentials("admin@harbour.local")
        .await
        .expect("query")
        .expect("admin exists");
    assert!(harbour_server::auth::verify_password(
        &password,
        &creds.password_hash
    ));
    assert!(harbour_server::startup::create_first_admin(
        &store,
        &harbour_server::clock::Clock::System
    )
    .await
    .expect("again")
    .is_none());
}

#[tokio::test]
async fn a_bad_setting_stops_start_up_with_one_sentence_naming_it() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut serve = harbour(&db);
    serve.env("HARBOUR_BIND", "not-an-address").arg("serve");
    let (code, _, stderr) = run(serve, None);
    assert_ne!(code, 0);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("HARBOUR_BIND"), "{stderr}");

    let mut serve = harbour(&db);
    serve.env("HARBOUR_SECRET_KEY", "too-short").arg("migrate");
    let (code, _, stderr) = run(serve, None);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("HARBOUR_SECRET_KEY") && !stderr.contains("too-short"),
        "{stderr}"
    );

    let help = run(
        {
            let mut c = Command::new(harbour_bin());
            c.arg("--help");
            c
        },
        None,
    )
    .1;
    for command in ["serve", "migrate", "user", "team", "audit"] {
        assert!(help.contains(command), "{help}");
    }
}

#[tokio::test]
async fn an_official_account_can_be_connected_from_the_command_line() {
    let db = TestDb::new(Backend::Sqlite).await;
    let add = |extra: &[&str]| {
        let mut add = harbour(&db);
        add.args([
            "channel",
            "add-official-account",
            "--name",
            "Demo OA",
            "--app-id",
            "wx1a2b3c4d5e6f7a8b",
            "--mode",
            "safe",
            "--api-base",
            "http://127.0.0.1:9",
        ])
        .args(extra);
        add
    };
    // Secrets on the command line are refused, and so is forgetting stdin.
    let (code, _, stderr) = run(add(&["--app-secret", "s3cret-value"]), None);
    assert_ne!(code, 0);
    assert!(stderr.contains("--secrets-stdin"), "{stderr}");
    assert!(!stderr.contains("s3cret-value"), "{stderr}");
    let (code, _, stderr) = run(add(&[]), Some("app_secret=s3cret-value\n"));
    assert_ne!(code, 0);
    assert!(stderr.contains("--secrets-stdin"), "{stderr}");

    // From standard input; no token given, so one is generated and shown once.
    let (code, stdout, stderr) = run(
        add(&["--secrets-stdin"]),
        Some("app_secret=s3cret-value\naes_key=kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR\n"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Callback path: /wechat/oa/"), "{stdout}");
    let token = stdout
        .lines()
        .find_map(|l| {
            l.rsplit_once("not shown again): ")
                .map(|(_, t)| t.to_owned())
        })
        .expect("the generated token");
    assert_eq!(token.len(), 32, "{stdout}");
    assert!(!stdout.contains("s3cret-value") && !stderr.contains("s3cret-value"));

    let mut bad = harbour(&db);
    bad.args([
        "channel",
        "add-official-account",
        "--name",
        "Bad",
        "--app-id",
        "wx2",
        "--mode",
        "safe",
        "--secrets-stdin",
    ]);
    let (code, _, stderr) = run(
        bad,
        Some("app_secret=s\ntoken=abcdefabcdefabcdef\naes_key=short\n"),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("EncodingAESKey"), "{stderr}");
}

#[tokio::test]
async fn a_wecom_kf_estate_can_be_connected_from_the_command_line() {
    let db = TestDb::new(Backend::Sqlite).await;
    let add = |extra: &[&str]| {
        let mut add = harbour(&db);
        add.args([
            "channel",
            "add-wecom-kf",
            "--name",
            "WeCom desk",
            "--corp-id",
            "ww4f3e2d1c0b9a8776",
            "--api-base",
            "http://127.0.0.1:9",
        ])
        .args(extra);
        add
    };
    let (code, _, stderr) = run(add(&["--corp-secret", "c0rp-s3cret"]), None);
    assert_ne!(code, 0);
    assert!(stderr.contains("--secrets-stdin"), "{stderr}");
    assert!(!stderr.contains("c0rp-s3cret"), "{stderr}");

    // The EncodingAESKey is required: WeCom always encrypts.
    let (code, _, stderr) = run(add(&["--secrets-stdin"]), Some("corp_secret=c0rp-s3cret\n"));
    assert_ne!(code, 0);
    assert!(stderr.contains("aes_key"), "{stderr}");

    let (code, stdout, stderr) = run(
        add(&["--secrets-stdin"]),
        Some("corp_secret=c0rp-s3cret\naes_key=kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR\n"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Callback path: /wechat/kf/"), "{stdout}");
    assert!(stdout.contains("as channel "), "{stdout}");
    assert!(
        stdout.contains("not shown again): "),
        "a token was generated: {stdout}"
    );
    assert!(!stdout.contains("c0rp-s3cret") && !stderr.contains("c0rp-s3cret"));

    // The same corpid twice is refused.
    let (code, _, stderr) = run(
        add(&["--secrets-stdin"]),
        Some("corp_secret=x\naes_key=kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR\n"),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("already connected"), "{stderr}");
}

/// Every node of a database must share one secret key: a node that
/// generated its own beside one that runs with another refuses to start,
/// and says why; with the same key it starts.
async fn a_node_with_another_secret_key_refuses_to_start(backend: Backend) {
    let db = TestDb::new(backend).await;
    let key = "ab".repeat(32);
    let mut first = harbour(&db);
    first
        .env("HARBOUR_SECRET_KEY", &key)
        .env("HARBOUR_BIND", "127.0.0.1:0")
        .arg("serve");
    let mut first = first
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("first node");
    let ready = BufReader::new(first.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("Harbour is running"));
    assert!(ready, "the first node starts");
    let _ = first.kill();
    let _ = first.wait();

    let mut own_key = harbour(&db);
    own_key.env("HARBOUR_BIND", "127.0.0.1:0").arg("serve");
    let (code, _, stderr) = run(own_key, None);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("another secret key") && stderr.contains("HARBOUR_SECRET_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains(&key), "{stderr}");

    // Commands that seal or sign are held to the same key.
    let mut team = harbour(&db);
    team.args(["team", "create", "--name", "Elsewhere"]);
    let (code, _, stderr) = run(team, None);
    assert_ne!(code, 0);
    assert!(stderr.contains("another secret key"), "{stderr}");
    let mut team = harbour(&db);
    team.env("HARBOUR_SECRET_KEY", &key)
        .args(["team", "create", "--name", "Here"]);
    let (code, _, stderr) = run(team, None);
    assert_eq!(code, 0, "{stderr}");
}
