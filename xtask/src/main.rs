//! `cargo xtask run|test|bench|dist|fuzz`: everything beyond `cargo build`.
//! Installs the tools Harbour needs (offline-friendly), builds the app with
//! Trunk, and runs the server, the test suite, the benchmarks or the fuzzers.

mod fuzz;
mod tools;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run [--no-demo]  build everything and run Harbour on SQLite at ./data on http://127.0.0.1:8080,
                   with a fake WeChat and simulated followers unless --no-demo
  test             install test tools, then fmt, clippy, every test on SQLite and PostgreSQL, browser tests
  bench store      event appends per second against a plain insert, on SQLite and PostgreSQL
  bench ingest     signed, encrypted WeChat callbacks per second against a bare axum handler,
                   and WeCom Customer Service pulls (`--kf`: those alone)
  bench inbox      queues, timeline, search and fan-out to 1,000 sockets on a seeded desk
  bench export     one client's evidence bundle built and verified on a seeded desk, and what recording reads costs
                   (--conversations N --messages M; default 100,000 and 1,000,000)
  dist             build the release app and server only
  fuzz <envelope|xml|all> [--seconds N]
                   run the wechat cargo-fuzz targets on nightly, N seconds each (default 60);
                   installs cargo-fuzz once, seeds the corpus from wechat/fixtures, fails on a crash";

fn main() {
    if let Err(err) = run() {
        eprintln!("xtask: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    ensure_target_dir();
    match args.first().map(String::as_str) {
        Some("run") => run_harbour(&root, &args[1..]),
        Some("test") => test(&root),
        Some("bench") => bench(&args[1..]),
        Some("dist") => dist(&root),
        Some("fuzz") => fuzz::fuzz(&root, &args[1..]),
        _ => {
            println!("{USAGE}");
            Ok(())
        }
    }
}

/// The checkout `cargo xtask` was run in. Read at run time (cargo sets it
/// for `cargo run`): builds share `CARGO_TARGET_DIR` across checkouts, and a
/// binary built in another clone would otherwise carry that clone's path.
fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Builds land outside the clone, so a fresh clone reuses earlier builds.
fn ensure_target_dir() {
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
        std::env::set_var("CARGO_TARGET_DIR", format!("{home}/.cache/harbour-target"));
    }
}

fn target_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
}

pub fn step(title: &str) {
    println!("\n==> {title}");
}

/// Runs a command, failing with its name when it fails.
pub fn sh(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds the app with Trunk (offline) and precompresses it for the server.
fn build_app(root: &Path) -> Result<()> {
    tools::ensure_app_tools(root)?;
    step("Building the app (trunk build --release)");
    sh(Command::new("trunk")
        .args(["build", "--release", "--offline"])
        .current_dir(root))?;
    precompress(&root.join("dist"))
}

fn build_server(profile_release: bool) -> Result<()> {
    step("Building the server");
    let mut command = cargo();
    command.args(["build", "-p", "harbour-server", "--bin", "harbour"]);
    if profile_release {
        command.arg("--release");
    }
    sh(&mut command)
}

fn dist(root: &Path) -> Result<()> {
    build_app(root)?;
    build_server(true)
}

fn run_harbour(root: &Path, rest: &[String]) -> Result<()> {
    dist(root)?;
    let bin = target_dir().join("release").join("harbour");
    step("Starting Harbour on http://127.0.0.1:8080 (Ctrl-C stops it)");
    let mut command = Command::new(bin);
    // The demo (fake WeChat and simulated followers) is on unless `--no-demo`.
    let demo = !rest.iter().any(|a| a == "--no-demo");
    command
        .arg("serve")
        .args(rest.iter().filter(|a| *a != "--no-demo"))
        .env("HARBOUR_DIST_DIR", root.join("dist"));
    if demo {
        command.arg("--demo");
    }
    if std::env::var_os("HARBOUR_DATA_DIR").is_none() {
        command.env("HARBOUR_DATA_DIR", root.join("data"));
    }
    sh(&mut command)
}

fn test(root: &Path) -> Result<()> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    tools::ensure_browsers()?;
    let axe = tools::ensure_axe()?;
    tools::check_postgres(ci)?;
    step("Checking formatting (cargo fmt --check)");
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    step("Linting the server side (clippy, warnings denied)");
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    tools::ensure_app_tools(root)?;
    step("Linting the app for wasm32 (clippy, warnings denied)");
    sh(cargo().args([
        "clippy",
        "-p",
        "harbour-app",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    build_app(root)?;
    step("Running every test on SQLite and PostgreSQL, and the browser tests in Chromium");
    let screenshots = root.join("target").join("screenshots");
    let failed_workspace = !cargo()
        .args(["test", "--workspace", "--no-fail-fast"])
        .env("HARBOUR_TEST_DIST", root.join("dist"))
        .env("HARBOUR_SCREENSHOTS", &screenshots)
        .env("HARBOUR_BROWSER", "chromium")
        .env("HARBOUR_AXE", &axe)
        .status()
        .context("cannot start cargo test")?
        .success();
    // The same build, one engine after the other (each test starts its own browser).
    let mut failed: Vec<&str> = Vec::new();
    if failed_workspace {
        failed.push("the workspace tests");
    }
    const MORE_ENGINES: &[&str] = &["firefox", "webkit"];
    for engine in MORE_ENGINES {
        step(&format!("Running the browser tests in {engine}"));
        let run = || -> Result<bool> {
            Ok(cargo()
                .args([
                    "test",
                    "-p",
                    "harbour-tests",
                    "--test",
                    "browser",
                    "--no-fail-fast",
                ])
                .env("HARBOUR_TEST_DIST", root.join("dist"))
                .env("HARBOUR_SCREENSHOTS", &screenshots)
                .env("HARBOUR_BROWSER", engine)
                .env("HARBOUR_AXE", &axe)
                .status()
                .context("cannot start cargo test")?
                .success())
        };
        let mut passed = run()?;
        if !passed {
            // Once: WebKitGTK under WebDriver has lost a sign-in when two
            // browsers start together. A second failure fails the run, and
            // a pass on the second run is reported, not hidden.
            step(&format!(
                "The browser tests failed in {engine}; running them once more"
            ));
            passed = run()?;
            if passed {
                println!("warning: the browser tests in {engine} passed only on the second run");
            }
        }
        if !passed {
            failed.push(engine);
        }
    }
    if !failed.is_empty() {
        bail!("tests failed: {}", failed.join(", "));
    }
    println!("\nAll checks passed.");
    Ok(())
}

fn bench(args: &[String]) -> Result<()> {
    let Some(which) = args.first() else {
        bail!("usage: cargo xtask bench store|ingest|automation|inbox|export")
    };
    step(&format!("Benchmark: {which} (release build)"));
    sh(cargo()
        .args(["run", "--release", "-p", "harbour-bench", "--"])
        .args(args))
}

/// Writes `.br` and `.gz` beside every text and wasm asset, for `ServeDir`,
/// and prints each asset's size as the browser downloads it.
fn precompress(dist: &Path) -> Result<()> {
    use std::io::Write;
    let mut sizes = Vec::new();
    for entry in
        std::fs::read_dir(dist).with_context(|| format!("cannot read {}", dist.display()))?
    {
        let path = entry?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !matches!(ext, "html" | "js" | "wasm" | "css" | "svg" | "json") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        let gz = gz.finish()?;
        let gz_len = gz.len();
        std::fs::write(with_suffix(&path, "gz"), gz)?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params)?;
        std::fs::write(with_suffix(&path, "br"), &br)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        sizes.push((name.unwrap_or_default(), bytes.len(), gz_len, br.len()));
    }
    print_sizes(&mut sizes);
    Ok(())
}

/// The app's weight: raw, gzip and brotli bytes per asset, largest first.
fn print_sizes(sizes: &mut [(String, usize, usize, usize)]) {
    sizes.sort_by_key(|size| std::cmp::Reverse(size.3));
    let kb = |n: usize| format!("{:.1} KB", n as f64 / 1000.0);
    step("App size (what the browser downloads)");
    println!(
        "{:<40} {:>12} {:>12} {:>12}",
        "asset", "raw", "gzip", "brotli"
    );
    for (name, raw, gz, br) in sizes.iter() {
        println!(
            "{name:<40} {:>12} {:>12} {:>12}",
            kb(*raw),
            kb(*gz),
            kb(*br)
        );
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}
