//! `GET /api/v1/search?q=`: contacts and messages the user may see, with
//! the CJK rules of `crate::search`. Messages are indexed in the
//! transaction that stores them, so what was just written is found.

use crate::access::{Access, ClientIp, Read};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::search::query_terms;
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::api::SearchResults;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/search", get(search))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
    limit: Option<i64>,
}

async fn search(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> AppResult<Json<SearchResults>> {
    let Query(query) =
        query.map_err(|_| AppError::validation("q", "Type something to search for."))?;
    let text = query.q.trim();
    if text.is_empty() || text.chars().count() > 100 {
        return Err(AppError::validation("q", "Search for 1 to 100 characters."));
    }
    let scope = user.scope();
    let limit = query.limit.unwrap_or(20).clamp(1, 100);
    let results = SearchResults {
        contacts: state.store.search_contacts(&scope, text, limit).await?,
        messages: state
            .store
            .search_messages(&scope, &query_terms(text), limit)
            .await?,
    };
    state.access.record(
        Access::new(Read::Search, &user, &from).detail(serde_json::json!({
            "query": text,
            "hits": results.contacts.len() + results.messages.len(),
        })),
    );
    Ok(Json(results))
}
