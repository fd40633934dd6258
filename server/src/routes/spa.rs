//! Serves the built app from `dist/`: precompressed brotli/gzip files, long
//! cache lifetimes for Trunk's hashed files, and `index.html` for any other
//! path so client-side routes survive a reload.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// The fallback for every path no route matched.
pub async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    serve(files(&state.config.dist_dir), request).await
}

fn files(dist: &Path) -> ServeDir<ServeFile> {
    let index = ServeFile::new(dist.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(index)
}

async fn serve(files: ServeDir<ServeFile>, request: Request) -> Response {
    let hashed = is_hashed_asset(request.uri().path());
    let mut response = match files.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    let value = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// True for Trunk's content-hashed assets, e.g. `harbour-app-1a2b3c4d5e6f7081_bg.wasm`.
pub fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_end_matches("_bg");
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn only_trunk_hashed_files_are_cached_forever() {
        assert!(is_hashed_asset("/harbour-app-1a2b3c4d5e6f7081_bg.wasm"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/inbox"));
        assert!(
            is_hashed_asset("/favicon-7cc44c3f78860f2.svg"),
            "trunk drops leading zeros"
        );
        assert!(!is_hashed_asset("/favicon.svg"));
    }
}
