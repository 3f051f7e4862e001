//! Data plane session lifecycle: StartCodeInterpreterSession,
//! StopCodeInterpreterSession, GetCodeInterpreterSession, ListCodeInterpreterSessions.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use sandbox::Sandbox;
use serde::{Deserialize, Serialize};

use super::wire::{interpreter_id_of, next_token, page_bounds, parse_body, timestamp};
use crate::error::AwsError;
use crate::state::AppState;
use crate::store::interpreters::SYSTEM_INTERPRETER_ID;
use crate::store::sessions::{Session, SessionStatus};

fn resolve_interpreter(state: &AppState, identifier: &str) -> Result<String, AwsError> {
    let id = interpreter_id_of(identifier);
    if id == SYSTEM_INTERPRETER_ID || state.interpreters.is_ready(id) {
        Ok(id.to_owned())
    } else if let Some(interpreter) = state.interpreters.get(id) {
        Err(AwsError::validation(format!(
            "Code interpreter '{}' is not READY yet; wait until GetCodeInterpreter reports READY",
            interpreter.id
        )))
    } else {
        Err(AwsError::not_found(format!(
            "Code interpreter '{id}' not found; use '{SYSTEM_INTERPRETER_ID}' or the id returned by CreateCodeInterpreter"
        )))
    }
}

fn new_session_id() -> String {
    crate::config::random_token(26).to_ascii_uppercase()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRequest {
    name: Option<String>,
    session_timeout_seconds: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartResponse {
    code_interpreter_identifier: String,
    session_id: String,
    created_at: String,
}

/// The session timeout AgentCore uses when the request names none.
pub const DEFAULT_SESSION_TIMEOUT_SECS: u64 = 900;

/// `PUT /code-interpreters/{id}/sessions/start`.
pub async fn start(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>, body: Bytes,
) -> Result<Json<serde_json::Value>, AwsError> {
    let request: StartRequest = parse_body(&body)?;
    let interpreter_id = resolve_interpreter(&state, &identifier)?;
    // The service model has checked the range (1 to 28,800) and the name's length.
    let timeout =
        request.session_timeout_seconds.map_or(DEFAULT_SESSION_TIMEOUT_SECS, i64::unsigned_abs);
    // Only a PUBLIC custom interpreter gets network; SANDBOX, VPC and the system
    // interpreter do not (VPC has no local equivalent).
    let network = state.interpreters.network_mode(&interpreter_id).as_deref() == Some("PUBLIC");
    let sandbox = Sandbox::start_with_network(&state.sandbox, network).await.map_err(|err| {
        AwsError::internal(format!("the sandbox for a new session could not start: {err}"))
    })?;
    let session = Arc::new(Session::new(
        new_session_id(),
        interpreter_id.clone(),
        request.name,
        timeout,
        sandbox,
    ));
    tracing::info!(session = %session.id, interpreter = %interpreter_id, timeout, "session started");
    state.sessions.insert(Arc::clone(&session));
    let response = StartResponse {
        code_interpreter_identifier: interpreter_id,
        session_id: session.id.clone(),
        created_at: timestamp(session.created_at),
    };
    Ok(Json(serde_json::to_value(response).unwrap_or_default()))
}

fn session_id_param(query: &HashMap<String, String>) -> Result<&str, AwsError> {
    query
        .get("sessionId")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AwsError::validation("sessionId is required (query parameter)"))
}

async fn find_session(
    state: &AppState, identifier: &str, session_id: &str,
) -> Result<Arc<Session>, AwsError> {
    let interpreter_id = interpreter_id_of(identifier);
    match state.sessions.get(session_id).await {
        Some(session) if session.interpreter_id == interpreter_id => Ok(session),
        _ => Err(AwsError::not_found(format!(
            "Session '{session_id}' not found for code interpreter '{interpreter_id}'"
        ))),
    }
}

/// `PUT /code-interpreters/{id}/sessions/stop?sessionId=` (stopping twice is fine).
pub async fn stop(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, AwsError> {
    let session_id = session_id_param(&query)?;
    let session = find_session(&state, &identifier, session_id).await?;
    session.terminate("StopCodeInterpreterSession").await;
    let last_updated = session.last_updated_at();
    Ok(Json(serde_json::json!({
        "codeInterpreterIdentifier": session.interpreter_id,
        "sessionId": session.id,
        "lastUpdatedAt": timestamp(last_updated),
    })))
}

/// `GET /code-interpreters/{id}/sessions/get?sessionId=`.
pub async fn get(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, AwsError> {
    let session_id = session_id_param(&query)?;
    let session = find_session(&state, &identifier, session_id).await?;
    let mut body = serde_json::json!({
        "codeInterpreterIdentifier": session.interpreter_id,
        "sessionId": session.id,
        "createdAt": timestamp(session.created_at),
        "sessionTimeoutSeconds": session.timeout_seconds,
        "status": session.status().as_str(),
    });
    if let Some(name) = &session.name {
        body["name"] = serde_json::json!(name);
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    max_results: Option<i64>,
    next_token: Option<String>,
    status: Option<String>,
}

/// `POST /code-interpreters/{id}/sessions/list` (filters and paging in the body).
pub async fn list(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>, body: Bytes,
) -> Result<Json<serde_json::Value>, AwsError> {
    let request: ListRequest = parse_body(&body)?;
    let interpreter_id = resolve_interpreter(&state, &identifier)?;
    // The service model has checked the enum.
    let wanted = match request.status.as_deref() {
        Some("READY") => Some(SessionStatus::Ready),
        Some("TERMINATED") => Some(SessionStatus::Terminated),
        _ => None,
    };
    let max = request.max_results.map(|n| n.to_string());
    let (offset, limit) = page_bounds(max.as_deref(), request.next_token.as_deref())?;
    state.sessions.reap_expired().await;
    let sessions = state.sessions.of_interpreter(&interpreter_id, wanted);
    let total = sessions.len();
    let end = (offset + limit).min(total);
    let items: Vec<_> = sessions
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| {
            let mut item = serde_json::json!({
                "codeInterpreterIdentifier": s.interpreter_id,
                "sessionId": s.id,
                "status": s.status().as_str(),
                "createdAt": timestamp(s.created_at),
                "lastUpdatedAt": timestamp(s.last_updated_at()),
            });
            if let Some(name) = &s.name {
                item["name"] = serde_json::json!(name);
            }
            item
        })
        .collect();
    let mut body = serde_json::json!({ "items": items });
    if let Some(token) = next_token(end, total) {
        body["nextToken"] = serde_json::json!(token);
    }
    Ok(Json(body))
}
