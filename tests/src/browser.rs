//! Browser-test support: a ChromeDriver per test driving headless Debian
//! Chromium against the real server serving the Trunk-built app, with
//! screenshots saved under `target/screenshots/`.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The built app (`dist/`), or `None` with a note when browser tests cannot
/// run here. Under `CI=true` a missing piece is a failure.
pub fn dist_dir() -> Option<PathBuf> {
    let dist = std::env::var_os("HARBOUR_TEST_DIST").map(PathBuf::from);
    let ready = dist.as_ref().is_some_and(|d| d.join("index.html").exists())
        && std::path::Path::new("/usr/bin/chromedriver").exists();
    if ready {
        return dist;
    }
    let why = "browser tests need HARBOUR_TEST_DIST (a Trunk-built dist/) and /usr/bin/chromedriver; run them with `cargo xtask test`";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("skipping: {why}");
    None
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts ChromeDriver on a free port and a headless Chromium of `width`×`height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        // Two TLS backends are linked (reqwest's and fantoccini's); pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
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
            "--lang=en-GB".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..50 {
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
                        driver,
                        _profile: profile,
                    };
                }
                Err(err) => last_error = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not start a Chromium session: {last_error}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Waits until the element matching `css` contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut seen = String::new();
        for _ in 0..100 {
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for element in elements {
                    if let Ok(text) = element.text().await {
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

    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.wait_for(css).await;
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.expect("click");
    }

    /// Saves a PNG under `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = std::env::var_os("HARBOUR_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join("target")
                    .join("screenshots")
            });
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
