//! Installs what the build and tests need when it is missing: the wasm32
//! target, Trunk 0.21, wasm-bindgen-cli at the Cargo.lock version, wasm-opt,
//! Chromium, Firefox ESR and WebKitGTK with their WebDriver servers and CJK
//! fonts, and for fuzzing the
//! nightly toolchain and cargo-fuzz.

use crate::{sh, step};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const TRUNK_VERSION: &str = "0.21.14";
const WASM_OPT_CRATE_VERSION: &str = "0.116.1";
const GECKODRIVER_VERSION: &str = "0.37.1";
const AXE_CORE_VERSION: &str = "4.14.1";

fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The wasm-bindgen version pinned in Cargo.lock; the CLI must match it exactly.
pub fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(version.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

pub fn ensure_app_tools(root: &Path) -> Result<()> {
    let targets = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        step("Installing the wasm32 target");
        sh(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    if !output_of("trunk", &["--version"]).is_some_and(|v| v.contains(TRUNK_VERSION)) {
        step(&format!(
            "Installing Trunk {TRUNK_VERSION} (a few minutes, once)"
        ));
        sh(Command::new("cargo").args([
            "install",
            "--locked",
            "trunk",
            "--version",
            TRUNK_VERSION,
        ]))?;
    }
    let bindgen = wasm_bindgen_version(root)?;
    if !output_of("wasm-bindgen", &["--version"]).is_some_and(|v| v.contains(&bindgen)) {
        step(&format!("Installing wasm-bindgen-cli {bindgen} (once)"));
        // Not --locked: its lock file pins a crate version the registry no longer serves.
        sh(Command::new("cargo").args([
            "install",
            "--force",
            "wasm-bindgen-cli",
            "--version",
            &bindgen,
        ]))?;
    }
    if !output_of("wasm-opt", &["--version"]).is_some_and(|v| v.contains("version 116")) {
        step("Installing wasm-opt (binaryen 116; about five minutes, once)");
        sh(Command::new("cargo").args([
            "install",
            "--force",
            "wasm-opt",
            "--version",
            WASM_OPT_CRATE_VERSION,
        ]))?;
    }
    check_trunk_config(root, &bindgen)
}

/// `cargo fuzz` needs a nightly toolchain (for `-Zsanitizer`) and cargo-fuzz.
/// cargo-fuzz is built under `target` (the fuzz target directory).
pub fn ensure_fuzz_tools(target: &Path) -> Result<()> {
    let toolchains = output_of("rustup", &["toolchain", "list"]).unwrap_or_default();
    if !toolchains.lines().any(|t| t.starts_with("nightly")) {
        step("Installing the nightly toolchain (for cargo fuzz)");
        sh(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    if output_of("cargo-fuzz", &["--version"]).is_none() {
        step("Installing cargo-fuzz (a few minutes, once)");
        let locked = Command::new("cargo")
            .args(["install", "--locked", "cargo-fuzz"])
            .env("CARGO_TARGET_DIR", target)
            .status()
            .context("cannot start cargo install")?;
        if !locked.success() {
            // The lock file may pin a crate version the registry no longer serves.
            step("Retrying cargo-fuzz without --locked");
            sh(Command::new("cargo")
                .args(["install", "cargo-fuzz"])
                .env("CARGO_TARGET_DIR", target))?;
        }
    }
    Ok(())
}

/// Trunk must use the installed tools, never download them.
fn check_trunk_config(root: &Path, bindgen: &str) -> Result<()> {
    let trunk =
        std::fs::read_to_string(root.join("Trunk.toml")).context("cannot read Trunk.toml")?;
    if !trunk.contains(&format!("wasm_bindgen = \"{bindgen}\"")) {
        bail!("Trunk.toml [tools] wasm_bindgen must be \"{bindgen}\" (the version in Cargo.lock), or Trunk will try to download it");
    }
    Ok(())
}

fn is_root() -> bool {
    output_of("id", &["-u"]).is_some_and(|u| u.trim() == "0")
}

/// The three engines the browser suite runs in, their WebDriver servers, an
/// X server for WebKitGTK (MiniBrowser has no headless mode) and CJK/emoji
/// fonts: Debian's packages, and geckodriver from crates.io.
pub fn ensure_browsers() -> Result<()> {
    let have = |p: &str| Path::new(p).exists();
    let debian = [
        ("chromium", "/usr/bin/chromium"),
        ("chromium-driver", "/usr/bin/chromedriver"),
        ("firefox-esr", "/usr/bin/firefox-esr"),
        ("webkit2gtk-driver", "/usr/bin/WebKitWebDriver"),
        ("xvfb", "/usr/bin/Xvfb"),
        // WebKitGTK reads the page's languages from the locale, which must exist.
        ("locales-all", "/usr/lib/locale/zh_HK.utf8"),
        (
            "fonts-noto-cjk",
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        ),
        (
            "fonts-noto-color-emoji",
            "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
        ),
    ];
    let missing: Vec<&str> = debian
        .iter()
        .filter(|(_, file)| !have(file))
        .map(|(package, _)| *package)
        .collect();
    if !missing.is_empty() {
        step(&format!("Installing from Debian: {}", missing.join(" ")));
        let apt = |args: &[&str]| {
            let mut command = if is_root() {
                Command::new("apt-get")
            } else {
                let mut c = Command::new("sudo");
                c.arg("apt-get");
                c
            };
            command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            command
        };
        sh(&mut apt(&["update", "-qq"]))?;
        let mut install = apt(&["install", "-y", "-qq"]);
        install.args(&missing);
        sh(&mut install)?;
    }
    if output_of("geckodriver", &["--version"]).is_none() {
        step(&format!(
            "Installing geckodriver {GECKODRIVER_VERSION} (once)"
        ));
        sh(Command::new("cargo").args([
            "install",
            "--locked",
            "geckodriver",
            "--version",
            GECKODRIVER_VERSION,
        ]))?;
    }
    Ok(())
}

/// axe-core, the accessibility checker the browser tests inject: the npm
/// package at a pinned version, in the tool cache. Returns `axe.min.js`.
pub fn ensure_axe() -> Result<PathBuf> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    let prefix = PathBuf::from(home).join(".cache").join("harbour-tools");
    let script = prefix
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js");
    let package = prefix
        .join("node_modules")
        .join("axe-core")
        .join("package.json");
    let installed = std::fs::read_to_string(&package)
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{AXE_CORE_VERSION}\"")));
    if !installed || !script.exists() {
        step(&format!(
            "Installing axe-core {AXE_CORE_VERSION} from npm (once)"
        ));
        std::fs::create_dir_all(&prefix)?;
        sh(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("axe-core@{AXE_CORE_VERSION}")))?;
    }
    Ok(script)
}

/// Postgres must answer; under CI=true its absence is an error, not a skip.
pub fn check_postgres(ci: bool) -> Result<()> {
    let reachable = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().context("address")?,
        std::time::Duration::from_secs(3),
    )
    .is_ok();
    match (reachable, ci) {
        (true, _) => Ok(()),
        (false, true) => bail!("PostgreSQL is not reachable at 127.0.0.1:5432 and CI=true; start it (pg_ctlcluster 15 main start)"),
        (false, false) => {
            eprintln!("warning: PostgreSQL is not reachable at 127.0.0.1:5432; its tests will be skipped");
            Ok(())
        }
    }
}
