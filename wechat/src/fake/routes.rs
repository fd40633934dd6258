//! The fake's HTTP face: the same paths and wire formats as
//! `api.weixin.qq.com`, answering HTTP 200 with an `errcode` body on refusal.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::state::{errmsg_for, Refusal};
use super::Shared;
use crate::client::{paths, MediaType};
use crate::message::{AppId, MediaId, OpenId};

mod kf;

type Params = Query<HashMap<String, String>>;

/// Room for a 10 MB video plus multipart framing, so the size rules (not the
/// body limit) decide.
const UPLOAD_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Where `media/get` points for a video.
const VIDEO_LINK: &str = "/fake/video/{media_id}";
/// Where a follower's media is served, as `PicUrl` is on `mmbiz.qpic.cn`.
pub(super) const FOLLOWER_MEDIA: &str = "/fake/media/{media_id}";

pub(super) fn router(shared: Arc<Shared>) -> Router {
    kf::routes(Router::new())
        .route(paths::TOKEN, get(token))
        .route(paths::CUSTOM_SEND, post(custom_send))
        .route(paths::CUSTOM_TYPING, post(typing))
        .route(
            paths::MEDIA_UPLOAD,
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(paths::MEDIA_GET, get(media_get))
        .route(paths::USER_INFO, get(user_info))
        .route(VIDEO_LINK, get(media_link))
        .route(FOLLOWER_MEDIA, get(media_link))
        .with_state(shared)
}

/// A refusal as WeChat sends it: HTTP 200 and `{errcode, errmsg}`.
fn refusal(shared: &Shared, refusal: Refusal) -> Response {
    let rid = shared.next_rid();
    Json(json!({
        "errcode": refusal.code,
        "errmsg": format!("{} rid: {rid}", refusal.message),
    }))
    .into_response()
}

fn ok() -> Response {
    Json(json!({"errcode": 0, "errmsg": "ok"})).into_response()
}

/// The answer for a handler's outcome.
fn answer(shared: &Shared, outcome: Result<Response, Refusal>) -> Response {
    outcome.unwrap_or_else(|r| refusal(shared, r))
}

/// Counts the call and applies any injected delay and failure.
async fn enter(shared: &Shared, path: &str) -> Result<(), Refusal> {
    let (delay, fail) = shared.take_faults(path);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    match fail {
        Some(code) => Err(Refusal {
            code,
            message: errmsg_for(code),
        }),
        None => Ok(()),
    }
}

/// Fault injection, then the access token check.
async fn authenticate(shared: &Shared, path: &str, params: &Params) -> Result<AppId, Refusal> {
    enter(shared, path).await?;
    let token = params.get("access_token").map(String::as_str);
    let now = shared.now();
    shared.state().authenticate(token, now)
}

fn json_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or(Refusal {
            code: 47001,
            message: "data format error",
        })
}

async fn token(State(shared): State<Arc<Shared>>, params: Params) -> Response {
    let outcome = async {
        enter(&shared, paths::TOKEN).await?;
        let param = |name: &str| params.get(name).map(String::as_str);
        let now = shared.now();
        let (access_token, expires_in) = shared.state().issue_token(
            param("grant_type"),
            param("appid").unwrap_or_default(),
            param("secret").unwrap_or_default(),
            now,
        )?;
        Ok(Json(json!({"access_token": access_token, "expires_in": expires_in})).into_response())
    };
    answer(&shared, outcome.await)
}

async fn custom_send(State(shared): State<Arc<Shared>>, params: Params, body: Bytes) -> Response {
    let outcome = async {
        let appid = authenticate(&shared, paths::CUSTOM_SEND, &params).await?;
        let body = json_body(&body)?;
        let now = shared.now();
        shared.state().custom_send(&appid, body, now)?;
        Ok(ok())
    };
    answer(&shared, outcome.await)
}

async fn typing(State(shared): State<Arc<Shared>>, params: Params, body: Bytes) -> Response {
    let outcome = async {
        let appid = authenticate(&shared, paths::CUSTOM_TYPING, &params).await?;
        let body = json_body(&body)?;
        let now = shared.now();
        shared.state().typing(&appid, &body, now)?;
        Ok(ok())
    };
    answer(&shared, outcome.await)
}

/// The `media` file of an upload form.
struct FilePart {
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
}

async fn media_field(mut form: Multipart) -> Option<FilePart> {
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() != Some("media") {
            continue;
        }
        let filename = field.file_name().unwrap_or_default().to_owned();
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = field.bytes().await.ok()?.to_vec();
        return Some(FilePart {
            filename,
            content_type,
            bytes,
        });
    }
    None
}

async fn upload(
    State(shared): State<Arc<Shared>>,
    params: Params,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let outcome = async {
        let appid = authenticate(&shared, paths::MEDIA_UPLOAD, &params).await?;
        let media_type = params
            .get("type")
            .and_then(|t| t.parse::<MediaType>().ok())
            .ok_or(Refusal {
                code: 40004,
                message: "invalid media type",
            })?;
        let missing = Refusal {
            code: 41005,
            message: "media data missing",
        };
        let form = form.map_err(|_| missing)?;
        let file = media_field(form).await.ok_or(missing)?;
        let now = shared.now();
        let stored = shared.state().store_media(
            &appid,
            media_type,
            &file.filename,
            &file.content_type,
            file.bytes,
            now,
        )?;
        Ok(Json(stored).into_response())
    };
    answer(&shared, outcome.await)
}

async fn media_get(State(shared): State<Arc<Shared>>, params: Params) -> Response {
    let outcome = async {
        let appid = authenticate(&shared, paths::MEDIA_GET, &params).await?;
        let media_id = params
            .get("media_id")
            .filter(|id| !id.is_empty())
            .map(|id| MediaId::new(id.as_str()))
            .ok_or(Refusal {
                code: 41006,
                message: "media_id missing",
            })?;
        let now = shared.now();
        let media = shared.state().media(&appid, &media_id, now)?.clone();
        Ok(match media.media_type {
            MediaType::Video => {
                let path = VIDEO_LINK.replace("{media_id}", media_id.as_str());
                let url = format!("{}{path}", shared.base_url);
                Json(json!({ "video_url": url })).into_response()
            }
            _ => file_response(media.content_type, &media.filename, media.bytes),
        })
    };
    answer(&shared, outcome.await)
}

fn file_response(content_type: String, filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", filename.replace('"', ""));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A stored file by id alone, unauthenticated like the platform's CDN links.
async fn media_link(State(shared): State<Arc<Shared>>, Path(media_id): Path<String>) -> Response {
    let now = shared.now();
    let found = shared
        .state()
        .media_by_link(&MediaId::new(media_id), now)
        .cloned();
    match found {
        Some(media) => file_response(media.content_type, &media.filename, media.bytes),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn user_info(State(shared): State<Arc<Shared>>, params: Params) -> Response {
    let outcome = async {
        let appid = authenticate(&shared, paths::USER_INFO, &params).await?;
        let openid = OpenId::new(params.get("openid").cloned().unwrap_or_default());
        let info = shared.state().user_info(&appid, &openid)?;
        Ok(Json(info).into_response())
    };
    answer(&shared, outcome.await)
}
