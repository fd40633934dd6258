//! The compliance workspace's calls: a client's complete history, and
//! evidence bundles of it (ask with a reason, watch, download).

use gloo_net::http::Method;
use shared::api::{ClientHistory, ExportRequest, ExportView};
use shared::{ContactId, ExportId};

use super::client::{get_json, send_json, ApiError, TokenSource};

/// Which page of a client's history: a date range (Unix ms) and where the
/// last page ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before: Option<i64>,
}

pub async fn history(
    auth: impl TokenSource,
    contact: ContactId,
    query: HistoryQuery,
) -> Result<ClientHistory, ApiError> {
    let mut path = format!("/contacts/{contact}/history?limit=100");
    for (name, value) in [
        ("from", query.from),
        ("to", query.to),
        ("before", query.before),
    ] {
        if let Some(value) = value {
            path.push_str(&format!("&{name}={value}"));
        }
    }
    get_json(auth, &path).await
}

pub async fn exports(auth: impl TokenSource) -> Result<Vec<ExportView>, ApiError> {
    get_json(auth, "/exports").await
}

pub async fn request_export(
    auth: impl TokenSource,
    request: ExportRequest,
) -> Result<ExportView, ApiError> {
    send_json(auth, Method::POST, "/exports", &request).await
}

/// Downloads the bundle (with the bearer token, which a plain link cannot
/// send) and hands it to the browser as a file named `file_name`.
pub async fn download(
    auth: impl TokenSource,
    id: ExportId,
    file_name: &str,
) -> Result<(), ApiError> {
    super::media::save_as(
        auth,
        &format!("/exports/{id}/download"),
        "application/zip",
        file_name,
    )
    .await
}
