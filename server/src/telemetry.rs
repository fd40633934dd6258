//! Logging set-up: human-readable by default, JSON lines when
//! `HARBOUR_LOG_FORMAT=json`; filter with `RUST_LOG`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("HARBOUR_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // `try_init` so tests that build several apps in one process do not panic.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
