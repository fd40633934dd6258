//! Browser-test support: a WebDriver per test driving a headless browser
//! against the real server serving the Trunk-built app, with screenshots
//! saved under `target/screenshots/<engine>/`.
//!
//! `HARBOUR_BROWSER` picks the engine: `chromium` (the default; Debian
//! Chromium with ChromeDriver), `firefox` (Debian `firefox-esr` with
//! geckodriver) or `webkit` (WebKitGTK's MiniBrowser with WebKitWebDriver).
//! `cargo xtask test` runs the browser suite once per engine.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A browser engine the suite runs in, and how WebDriver starts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
    WebKit,
}

/// Where Debian puts WebKitGTK's automation-capable browser.
const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

impl Engine {
    /// The engine `HARBOUR_BROWSER` names (Chromium when unset).
    pub fn current() -> Engine {
        match std::env::var("HARBOUR_BROWSER").as_deref() {
            Ok("firefox") => Engine::Firefox,
            Ok("webkit") => Engine::WebKit,
            Ok("chromium") | Ok("") | Err(_) => Engine::Chromium,
            Ok(other) => panic!("HARBOUR_BROWSER={other}: use chromium, firefox or webkit"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    /// The WebDriver server's program, or `None` when it is not installed.
    fn driver(self) -> Option<PathBuf> {
        let found = match self {
            Engine::Chromium => Some(PathBuf::from("/usr/bin/chromedriver")),
            Engine::Firefox => on_path("geckodriver"),
            Engine::WebKit => Some(PathBuf::from("/usr/bin/WebKitWebDriver")),
        };
        found.filter(|p| p.exists())
    }

    /// Starts the WebDriver server; WebKitGTK gets an X display of its own
    /// (Xvfb), since MiniBrowser has no headless mode.
    fn start_driver(self, driver: &Path, port: u16, language: &str) -> (Child, Option<Child>) {
        let mut command = Command::new(driver);
        // WebKitGTK takes the page's languages from the environment (GLib
        // reads LANGUAGE only when the locale is not C).
        let posix = language.replace('-', "_");
        command
            .env("LANGUAGE", &posix)
            .env("LC_ALL", format!("{posix}.UTF-8"))
            .env("LANG", format!("{posix}.UTF-8"))
            // GTK picks an input method by locale; for Chinese ones that
            // method drops some synthesized keys (`@`). The simple one types
            // what it is sent, as the other engines do.
            .env("GTK_IM_MODULE", "gtk-im-context-simple");
        let display = (self == Engine::WebKit).then(|| {
            let (xvfb, number) = start_xvfb();
            command.env("DISPLAY", format!(":{number}"));
            xvfb
        });
        match self {
            Engine::Chromium | Engine::WebKit => command.arg(format!("--port={port}")),
            // Marionette on a free port of its own, so tests run side by side.
            Engine::Firefox => {
                command.args(["--port", &port.to_string(), "--marionette-port", "0"])
            }
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", driver.display()));
        (child, display)
    }

    /// Capabilities for a headless session of `width`×`height` whose
    /// preferred language is `language` (a BCP 47 tag).
    fn capabilities(
        self,
        width: u32,
        height: u32,
        language: &str,
        profile: &Path,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut caps = serde_json::Map::new();
        match self {
            Engine::Chromium => {
                let args = [
                    "--headless=new".to_string(),
                    "--no-sandbox".into(),
                    "--disable-gpu".into(),
                    "--disable-dev-shm-usage".into(),
                    "--disable-background-networking".into(),
                    "--disable-component-update".into(),
                    "--disable-sync".into(),
                    "--disable-quic".into(),
                    "--no-first-run".into(),
                    "--hide-scrollbars".into(),
                    format!("--lang={language}"),
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ];
                // Chromium's windows are at least 500 px wide: a phone's
                // viewport is emulated instead (with touch, as phones have).
                let mut options = json!({
                        "binary": "/usr/bin/chromium",
                        "args": args,
                        "prefs": {
                            "intl.accept_languages": language,
                            // Third-party cookies blocked, as Safari and
                            // Firefox do and Chrome is heading to: Harbour
                            // in the portal's frame must not need them.
                            "profile.cookie_controls_mode": 1,
                            "profile.block_third_party_cookies": true,
                        },
                });
                if width < 500 {
                    options["mobileEmulation"] = json!({
                        "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": true }
                    });
                }
                caps.insert("goog:chromeOptions".into(), options);
            }
            Engine::Firefox => {
                caps.insert(
                    "moz:firefoxOptions".into(),
                    json!({
                        "binary": "/usr/bin/firefox-esr",
                        "args": ["-headless", format!("--width={width}"), format!("--height={height}")],
                        "prefs": {
                            "intl.accept_languages": language,
                            // Third-party cookies blocked (Harbour in a portal's frame must not need them).
                            "network.cookie.cookieBehavior": 1,
                            // No calls home from a machine without internet.
                            "app.update.enabled": false,
                            "browser.shell.checkDefaultBrowser": false,
                            "datareporting.policy.dataSubmissionEnabled": false,
                            "toolkit.telemetry.reportingpolicy.firstRun": false,
                            "network.captive-portal-service.enabled": false,
                            "network.connectivity-service.enabled": false,
                            "browser.safebrowsing.malware.enabled": false,
                            "browser.safebrowsing.phishing.enabled": false,
                            "extensions.update.enabled": false,
                        },
                    }),
                );
            }
            Engine::WebKit => {
                caps.insert("browserName".into(), json!("MiniBrowser"));
                caps.insert(
                    "webkitgtk:browserOptions".into(),
                    json!({ "binary": MINIBROWSER, "args": ["--automation"] }),
                );
            }
        }
        caps
    }
}

/// An Xvfb server on a display it picks itself, and that display's number.
fn start_xvfb() -> (Child, u32) {
    use std::io::{BufRead, BufReader};
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1920x1080x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb (Debian package xvfb)");
    let mut line = String::new();
    if let Some(out) = xvfb.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let number = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb did not print its display: {line:?}"));
    (xvfb, number)
}

fn on_path(program: &str) -> Option<PathBuf> {
    let home_bin = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo").join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(home_bin)
        .map(|dir| dir.join(program))
        .find(|p| p.exists())
}

/// The built app (`dist/`), or `None` with a note when browser tests cannot
/// run here. Under `CI=true` a missing piece is a failure.
pub fn dist_dir() -> Option<PathBuf> {
    let engine = Engine::current();
    let dist = std::env::var_os("HARBOUR_TEST_DIST").map(PathBuf::from);
    let ready =
        dist.as_ref().is_some_and(|d| d.join("index.html").exists()) && engine.driver().is_some();
    if ready {
        return dist;
    }
    let why = format!(
        "browser tests need HARBOUR_TEST_DIST (a Trunk-built dist/) and the {} WebDriver; run them with `cargo xtask test`",
        engine.name()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("skipping: {why}");
    None
}

pub struct Browser {
    pub client: Client,
    pub engine: Engine,
    driver: Child,
    display: Option<Child>,
    _profile: tempfile::TempDir,
    /// Held for the browser's life: shared by ordinary tests, exclusive for
    /// one that measures time (see [`Browser::start_alone`]).
    _turn: Turn,
}

/// Tests of one binary run side by side; a test that times frames must not
/// share two cores with other browsers. Shared turns are let in unless a
/// timing test runs (so a test may open a second browser without waiting);
/// a timing test waits until no browser is open.
struct Turns {
    sharing: usize,
    alone: bool,
}

static TURNS: std::sync::Mutex<Turns> = std::sync::Mutex::new(Turns {
    sharing: 0,
    alone: false,
});
static TURN_CHANGED: std::sync::Condvar = std::sync::Condvar::new();

fn turns() -> std::sync::MutexGuard<'static, Turns> {
    TURNS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waiting blocks only the test's own thread (each test has its runtime).
enum Turn {
    Shared,
    Alone,
}

impl Turn {
    fn shared() -> Turn {
        let mut t = turns();
        while t.alone {
            t = TURN_CHANGED.wait(t).unwrap_or_else(|e| e.into_inner());
        }
        t.sharing += 1;
        Turn::Shared
    }

    fn alone() -> Turn {
        let mut t = turns();
        while t.alone || t.sharing > 0 {
            t = TURN_CHANGED.wait(t).unwrap_or_else(|e| e.into_inner());
        }
        t.alone = true;
        Turn::Alone
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut t = turns();
        match self {
            Turn::Shared => t.sharing = t.sharing.saturating_sub(1),
            Turn::Alone => t.alone = false,
        }
        TURN_CHANGED.notify_all();
    }
}

impl Browser {
    /// Starts the engine's WebDriver on a free port and a headless browser
    /// whose viewport is `width`×`height`, preferring British English.
    pub async fn start(width: u32, height: u32) -> Browser {
        Browser::start_in(width, height, "en-GB").await
    }

    /// [`Browser::start`] once every other test's browser has closed, with
    /// none starting until this one closes: for tests that measure time.
    pub async fn start_alone(width: u32, height: u32) -> Browser {
        let turn = Turn::alone();
        Browser::start_with(width, height, "en-GB", turn).await
    }

    /// [`Browser::start`] for someone whose browser prefers `language`.
    pub async fn start_in(width: u32, height: u32, language: &str) -> Browser {
        let turn = Turn::shared();
        Browser::start_with(width, height, language, turn).await
    }

    async fn start_with(width: u32, height: u32, language: &str, turn: Turn) -> Browser {
        // Two TLS backends are linked (reqwest's and fantoccini's); pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let engine = Engine::current();
        let program = engine
            .driver()
            .unwrap_or_else(|| panic!("no WebDriver for {}", engine.name()));
        let port = free_port();
        let (driver, display) = engine.start_driver(&program, port, language);
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = engine.capabilities(width, height, language, profile.path());
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .expect("tls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    // Size the viewport, not the outer window: add the browser's own chrome.
                    let _ = client.set_window_size(width, height).await;
                    let chrome = client
                        .execute("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];", vec![])
                        .await
                        .ok()
                        .and_then(|v| serde_json::from_value::<(u32, u32)>(v).ok())
                        .unwrap_or((0, 0));
                    let _ = client
                        .set_window_size(width + chrome.0, height + chrome.1)
                        .await;
                    return Browser {
                        client,
                        engine,
                        driver,
                        display,
                        _profile: profile,
                        _turn: turn,
                    };
                }
                Err(err) => last_error = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not start a {} session: {last_error}", engine.name());
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let shot = self.failure_screenshot().await;
                panic!("no element {css}: {e} (the page: {shot})")
            }
        }
    }

    /// A screenshot of the page as a wait gave up on it, named for the
    /// test thread; its path, for the panic message.
    pub async fn failure_screenshot(&self) -> String {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("test").replace("::", "-");
        let path = self.screenshot(&format!("failed-{name}")).await;
        path.display().to_string()
    }

    /// Waits until the element matching `css` contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut seen = String::new();
        for _ in 0..100 {
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for element in elements {
                    if let Ok(text) = self.text_of(&element).await {
                        if text.contains(needle) {
                            return text;
                        }
                        seen = text;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("{css} never contained {needle:?}; last saw {seen:?}");
    }

    /// The element's rendered text. WebKitWebDriver answers "" for text
    /// cut short with `text-overflow: ellipsis`, so there it is the
    /// element's `innerText`, which the other engines' answer matches.
    pub async fn text_of(
        &self,
        element: &fantoccini::elements::Element,
    ) -> Result<String, fantoccini::error::CmdError> {
        if self.engine != Engine::WebKit {
            return element.text().await;
        }
        let value = self
            .client
            .execute(
                "const e = arguments[0]; return e.innerText.trim() ? e.innerText : e.textContent;",
                vec![serde_json::to_value(element).unwrap_or_default()],
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.wait_for(css).await;
        input.clear().await.expect("clear");
        // WebKit's driver refuses to type nothing.
        if !text.is_empty() {
            input.send_keys(text).await.expect("type");
        }
    }

    /// Picks `value` in the menu `css`, brought to the middle of the
    /// screen first (WebKit's driver will not pick in a menu the sticky
    /// top bar covers).
    pub async fn select(&self, css: &str, value: &str) {
        let menu = self.wait_for(css).await;
        self.client
            .execute(
                "arguments[0].scrollIntoView({ block: 'center' });",
                vec![serde_json::to_value(&menu).unwrap_or_default()],
            )
            .await
            .expect("scroll to the menu");
        menu.select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("pick {value} in {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.expect("click");
    }

    /// Saves a PNG under `target/screenshots/<engine>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = std::env::var_os("HARBOUR_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join("target")
                    .join("screenshots")
            })
            .join(self.engine.name());
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Serious and critical accessibility violations on the page, found by
    /// axe-core (the npm package `cargo xtask test` installs, named by
    /// `HARBOUR_AXE`); each as "rule: help (where)". `None` when axe-core is
    /// not installed here (a failure under CI=true).
    pub async fn axe_violations(&self) -> Option<Vec<String>> {
        let path = std::env::var_os("HARBOUR_AXE").map(PathBuf::from);
        let Some(source) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "HARBOUR_AXE must name axe.min.js under CI=true"
            );
            eprintln!("note: HARBOUR_AXE is not set; skipping the accessibility check");
            return None;
        };
        self.client
            .execute(&format!("{source};\nreturn typeof axe;"), vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(AXE_RUN, vec![])
            .await
            .expect("run axe-core");
        Some(
            serde_json::from_value(found)
                .unwrap_or_else(|_| vec!["axe-core gave no answer".into()]),
        )
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.stop_processes(true);
    }

    fn stop_processes(&mut self, wait: bool) {
        for child in std::iter::once(&mut self.driver).chain(self.display.as_mut()) {
            let _ = child.kill();
            if wait {
                let _ = child.wait();
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop_processes(false);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Runs axe-core on the whole page and answers its serious and critical
/// violations (WebDriver's asynchronous script: the last argument is the callback).
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then((result) => done(result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')})`)))
  .catch((error) => done([`axe-core failed: ${error}`]));
"#;
