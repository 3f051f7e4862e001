//! `GET /v1/models`: the model names the bridge serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Bridge;

/// `GET /v1/models`.
pub async fn list(State(bridge): State<Arc<Bridge>>) -> Response {
    let data: Vec<_> = (bridge.config.models.names())
        .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2026-01-01T00:00:00Z"}))
        .collect();
    let first = data.first().map(|m| m["id"].clone());
    let last = data.last().map(|m| m["id"].clone());
    Json(json!({"data": data, "has_more": false, "first_id": first, "last_id": last}))
        .into_response()
}
