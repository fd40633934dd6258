//! Admin API for channels: list them, connect an Official Account or a
//! WeCom Customer Service estate.
//! Secrets go in and never come out, except a Token Harbour generated,
//! returned once.

use super::ApiJson;
use crate::auth::AuthUser;
use crate::channels::create_official_account;
use crate::channels::wecom_kf::create_wecom_kf;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::api::{
    Channel, ConnectedChannel, CreateOfficialAccount, CreateWecomKf, KfAccountView, MapKfAccount,
};
use shared::ChannelId;
use shared::Role;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/channels", get(list_channels))
        .route(
            "/api/v1/channels/official-accounts",
            post(add_official_account),
        )
        .route("/api/v1/channels/wecom-kf", post(add_wecom_kf))
        .route("/api/v1/channels/{id}/kf-accounts", get(kf_accounts))
        .route(
            "/api/v1/channels/{id}/kf-accounts/refresh",
            post(refresh_kf_accounts),
        )
        .route(
            "/api/v1/channels/{id}/kf-accounts/{open_kfid}",
            axum::routing::put(map_kf_account),
        )
}

async fn list_channels(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<Channel>>> {
    user.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(state.store.list_channels().await?))
}

async fn add_official_account(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<CreateOfficialAccount>,
) -> AppResult<(StatusCode, Json<ConnectedChannel>)> {
    user.require_admin()?;
    let channel = create_official_account(
        &state.store,
        &state.secrets,
        state.clock.now(),
        Some(user.id),
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(channel)))
}

async fn add_wecom_kf(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<CreateWecomKf>,
) -> AppResult<(StatusCode, Json<ConnectedChannel>)> {
    user.require_admin()?;
    let channel = create_wecom_kf(
        &state.store,
        &state.secrets,
        state.clock.now(),
        Some(user.id),
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(channel)))
}

/// The estate `id` names, or 404.
async fn estate(state: &AppState, id: ChannelId) -> AppResult<Channel> {
    state
        .store
        .channel(id)
        .await?
        .filter(|c| c.kind == crate::channels::wecom_kf::KIND)
        .ok_or(AppError::NotFound("That WeCom Customer Service channel"))
}

async fn kf_account_views(state: &AppState, id: ChannelId) -> AppResult<Vec<KfAccountView>> {
    Ok(state
        .store
        .kf_accounts(id)
        .await?
        .into_iter()
        .map(|a| KfAccountView {
            team: a.team_id.as_deref().and_then(|t| t.parse().ok()),
            open_kfid: a.open_kfid,
            name: a.name,
            synced_at: a.synced_at,
            welcome_text: a.welcome_text,
            closing_text: a.closing_text,
        })
        .collect())
}

/// The estate's Customer Service accounts as Harbour knows them.
async fn kf_accounts(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ChannelId>,
) -> AppResult<Json<Vec<KfAccountView>>> {
    user.require(&[Role::Admin, Role::Supervisor])?;
    estate(&state, id).await?;
    Ok(Json(kf_account_views(&state, id).await?))
}

/// Asks WeCom for the estate's accounts (`kf/account/list`) and keeps them.
async fn refresh_kf_accounts(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ChannelId>,
) -> AppResult<Json<Vec<KfAccountView>>> {
    user.require_admin()?;
    estate(&state, id).await?;
    // The token is shared through the database, so a client made here
    // fetches none of its own.
    let clients = crate::channels::clients::Clients::new(
        state.store.clone(),
        state.secrets.clone(),
        state.clock.clone(),
    );
    let client = clients
        .kf_for_request(id)
        .await?
        .ok_or(AppError::NotFound("That WeCom Customer Service channel"))?;
    let listed = client.accounts().await.map_err(|err| {
        AppError::conflict_because(
            "wechat_refused",
            format!("WeCom did not list the accounts ({}).", err.code()),
        )
    })?;
    let accounts: Vec<(String, String)> = listed
        .into_iter()
        .map(|a| (a.open_kfid.as_str().to_owned(), a.name))
        .collect();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    crate::store::kf::upsert_accounts(&mut tx, now, id, &accounts).await?;
    tx.commit_quietly().await?;
    Ok(Json(kf_account_views(&state, id).await?))
}

/// Sends an account's new conversations to a team and sets its welcome and
/// closing messages (an event).
async fn map_kf_account(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, open_kfid)): Path<(ChannelId, String)>,
    ApiJson(input): ApiJson<MapKfAccount>,
) -> AppResult<Json<Vec<KfAccountView>>> {
    user.require_admin()?;
    estate(&state, id).await?;
    for (field, text) in [
        ("welcome_text", &input.welcome_text),
        ("closing_text", &input.closing_text),
    ] {
        crate::accounts::check_wecom_text(field, text.as_deref())?;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !crate::store::kf::map_account(&mut tx, id, &open_kfid, &input).await? {
        return Err(AppError::NotFound("That Customer Service account"));
    }
    // The record keeps what the customers will be sent.
    let payload = serde_json::json!({ "channel": id, "open_kfid": open_kfid, "team": input.team,
        "welcome_text": input.welcome_text, "closing_text": input.closing_text });
    crate::store::events::append(
        &mut tx,
        now,
        &[
            crate::store::events::NewEvent::new(
                "channel.kf_account_mapped",
                Some(user.id),
                payload,
            )
            .in_team(input.team),
        ],
    )
    .await?;
    state.store.commit(tx).await?;
    Ok(Json(kf_account_views(&state, id).await?))
}
