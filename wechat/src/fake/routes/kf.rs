//! The fake's WeCom paths: `cgi-bin/gettoken` and the `kf/` calls, answered
//! as `qyapi.weixin.qq.com` does (HTTP 200, `errcode` body on refusal).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{answer, authenticate, enter, json_body, Params};
use crate::client::paths;
use crate::clock::UnixMillis;
use crate::fake::state::{Refusal, State as World};
use crate::fake::Shared;
use crate::message::CorpId;

pub(super) fn routes(router: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    router
        .route(paths::GETTOKEN, get(gettoken))
        .route(paths::KF_SYNC_MSG, post(sync_msg))
        .route(paths::KF_SEND_MSG, post(send_msg))
        .route(paths::KF_SEND_MSG_ON_EVENT, post(send_msg_on_event))
        .route(paths::KF_SERVICE_STATE_GET, post(service_state))
        .route(paths::KF_SERVICE_STATE_TRANS, post(change_state))
        .route(paths::KF_ACCOUNT_LIST, post(account_list))
        .route(paths::KF_CUSTOMER_BATCHGET, post(customer_batchget))
}

async fn gettoken(State(shared): State<Arc<Shared>>, params: Params) -> Response {
    let outcome = async {
        enter(&shared, paths::GETTOKEN).await?;
        let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
        let now = shared.now();
        let (access_token, expires_in) =
            shared
                .state()
                .issue_corp_token(param("corpid"), param("corpsecret"), now)?;
        Ok(Json(
            json!({"errcode": 0, "errmsg": "ok", "access_token": access_token,
                       "expires_in": expires_in}),
        )
        .into_response())
    };
    answer(&shared, outcome.await)
}

/// Authenticates a WeCom call (an unknown token is 40014 there, not 40001),
/// runs `op` on the world and sends any callbacks it caused.
async fn handle(
    shared: &Arc<Shared>,
    path: &'static str,
    params: &Params,
    body: &Bytes,
    op: impl FnOnce(&mut World, &CorpId, Value, UnixMillis) -> Result<Value, Refusal>,
) -> Response {
    let outcome = async {
        let corpid = authenticate(shared, path, params)
            .await
            .map_err(|refusal| match refusal.code {
                40001 => Refusal {
                    code: 40014,
                    message: "invalid access_token",
                },
                _ => refusal,
            })?;
        let corpid = CorpId::new(corpid.as_str());
        let body = json_body(body)?;
        let now = shared.now();
        let value = op(&mut shared.state(), &corpid, body, now)?;
        Ok(Json(value).into_response())
    };
    let response = answer(shared, outcome.await);
    shared.send_kf_callbacks();
    response
}

macro_rules! kf_route {
    ($name:ident, $path:expr, |$world:ident, $corpid:ident, $body:ident, $now:ident| $op:expr) => {
        async fn $name(State(shared): State<Arc<Shared>>, params: Params, body: Bytes) -> Response {
            handle(
                &shared,
                $path,
                &params,
                &body,
                |$world, $corpid, $body, $now| {
                    let _ = (&$corpid, &$now);
                    $op
                },
            )
            .await
        }
    };
}

kf_route!(sync_msg, paths::KF_SYNC_MSG, |world, corpid, body, now| {
    world.kf.sync_msg(corpid, &body, now)
});
kf_route!(send_msg, paths::KF_SEND_MSG, |world, corpid, body, now| {
    check_media(world, corpid, &body, now)?;
    world.kf.send_msg(corpid, body, now)
});
kf_route!(
    send_msg_on_event,
    paths::KF_SEND_MSG_ON_EVENT,
    |world, corpid, body, now| world.kf.send_msg_on_event(corpid, body, now)
);
kf_route!(
    service_state,
    paths::KF_SERVICE_STATE_GET,
    |world, corpid, body, now| world.kf.service_state(corpid, &body)
);
kf_route!(
    change_state,
    paths::KF_SERVICE_STATE_TRANS,
    |world, corpid, body, now| world.kf.change_state(corpid, &body, now)
);
kf_route!(
    account_list,
    paths::KF_ACCOUNT_LIST,
    |world, corpid, body, now| world.kf.account_list(corpid, &body)
);
kf_route!(
    customer_batchget,
    paths::KF_CUSTOMER_BATCHGET,
    |world, corpid, body, now| world.kf.customer_batchget(&body)
);

/// A media send must name media the organisation uploaded, unexpired.
fn check_media(
    world: &World,
    corpid: &CorpId,
    body: &Value,
    now: UnixMillis,
) -> Result<(), Refusal> {
    let msgtype = body
        .get("msgtype")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !matches!(msgtype, "image" | "voice" | "video" | "file") {
        return Ok(());
    }
    let media_id = body
        .pointer(&format!("/{msgtype}/media_id"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or(Refusal {
            code: 41006,
            message: "media_id missing",
        })?;
    let owner = crate::message::AppId::new(corpid.as_str());
    world
        .media(&owner, &crate::message::MediaId::new(media_id), now)
        .map(drop)
}
