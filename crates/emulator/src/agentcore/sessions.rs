//! Data plane session lifecycle: StartCodeInterpreterSession,
//! StopCodeInterpreterSession, GetCodeInterpreterSession, ListCodeInterpreterSessions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::control::{next_token, page_bounds};
use super::{SYSTEM_INTERPRETER_ID, interpreter_id_of, parse_body, timestamp};
use crate::error::AwsError;
use crate::sandbox::Sandbox;
use crate::state::AppState;

/// `READY` or `TERMINATED`, as AgentCore reports a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Ready,
    Terminated,
}

impl SessionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "READY",
            Self::Terminated => "TERMINATED",
        }
    }
}

/// One code-interpreter session and its sandbox.
pub struct Session {
    pub id: String,
    pub interpreter_id: String,
    pub name: Option<String>,
    pub timeout_seconds: u64,
    pub created_at: OffsetDateTime,
    deadline: Instant,
    inner: Mutex<SessionInner>,
    /// Signals when the last call queued on the session has finished.
    last_call: Mutex<Option<oneshot::Receiver<()>>>,
}

/// A call's place in its session's queue. AgentCore applies the calls of one
/// session in the order they arrive, even when a client starts a call and sends
/// the next before reading the first one's stream; [`Turn::wait`] returns once
/// every earlier call has finished, and dropping the turn lets the next one run.
pub struct Turn {
    previous: Option<oneshot::Receiver<()>>,
    _done: oneshot::Sender<()>,
}

impl Turn {
    /// Waits for the calls that arrived before this one.
    pub async fn wait(&mut self) {
        if let Some(previous) = self.previous.take() {
            // A dropped sender (the earlier call ended) is as good as a signal.
            let _ = previous.await;
        }
    }
}

struct SessionInner {
    status: SessionStatus,
    last_updated_at: OffsetDateTime,
    sandbox: Option<Arc<Sandbox>>,
}

impl Session {
    fn inner(&self) -> std::sync::MutexGuard<'_, SessionInner> {
        crate::sync::lock(&self.inner)
    }

    /// READY or TERMINATED.
    pub fn status(&self) -> SessionStatus {
        self.inner().status
    }

    /// Takes the next place in the session's queue of calls. Not async: the place
    /// is fixed when the request arrives, not when its task first runs.
    pub fn enqueue(&self) -> Turn {
        let (done, finished) = oneshot::channel();
        let previous = crate::sync::lock(&self.last_call).replace(finished);
        Turn { previous, _done: done }
    }

    /// The sandbox of a live session.
    pub fn sandbox(&self) -> Option<Arc<Sandbox>> {
        self.inner().sandbox.clone()
    }

    fn expired(&self, now: Instant) -> bool {
        now >= self.deadline
    }

    /// Marks the session terminated and ends its sandbox's processes.
    pub async fn terminate(&self, why: &str) {
        let sandbox = {
            let mut inner = self.inner();
            if inner.status == SessionStatus::Terminated {
                return;
            }
            inner.status = SessionStatus::Terminated;
            inner.last_updated_at = OffsetDateTime::now_utc();
            inner.sandbox.take()
        };
        tracing::info!(session = %self.id, why, "session terminated");
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Every session the emulator has started, live or terminated.
#[derive(Default)]
pub struct SessionStore {
    inner: Mutex<HashMap<String, Arc<Session>>>,
}

impl SessionStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        crate::sync::lock(&self.inner)
    }

    /// The number of READY sessions.
    pub fn live(&self) -> usize {
        self.lock().values().filter(|s| s.status() == SessionStatus::Ready).count()
    }

    /// A session by id, after ending it if its timeout has passed.
    pub async fn get(&self, id: &str) -> Option<Arc<Session>> {
        let session = self.lock().get(id).cloned()?;
        if session.status() == SessionStatus::Ready && session.expired(Instant::now()) {
            session.terminate("sessionTimeoutSeconds elapsed").await;
        }
        Some(session)
    }

    fn insert(&self, session: Arc<Session>) {
        self.lock().insert(session.id.clone(), session);
    }

    /// Ends every live session whose timeout has passed.
    pub async fn reap_expired(&self) {
        let now = Instant::now();
        let expired: Vec<_> = self
            .lock()
            .values()
            .filter(|s| s.status() == SessionStatus::Ready && s.expired(now))
            .cloned()
            .collect();
        for session in expired {
            session.terminate("sessionTimeoutSeconds elapsed").await;
        }
    }

    /// Ends every live session of one interpreter (it is being deleted).
    pub async fn terminate_interpreter(&self, interpreter_id: &str) {
        let live: Vec<_> =
            self.lock().values().filter(|s| s.interpreter_id == interpreter_id).cloned().collect();
        for session in live {
            session.terminate("code interpreter deleted").await;
        }
    }

    /// Ends every live session (the emulator is stopping).
    pub async fn terminate_all(&self) {
        let all: Vec<_> = self.lock().values().cloned().collect();
        for session in all {
            session.terminate("emulator stopping").await;
        }
    }

    /// Drops every sandbox at once, without waiting (their `Drop` kills the processes).
    pub fn kill_all_now(&self) {
        for session in self.lock().values() {
            let mut inner = session.inner();
            inner.status = SessionStatus::Terminated;
            inner.sandbox = None;
        }
    }
}

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
    let now = OffsetDateTime::now_utc();
    let session = Arc::new(Session {
        id: new_session_id(),
        interpreter_id: interpreter_id.clone(),
        name: request.name,
        timeout_seconds: timeout,
        created_at: now,
        deadline: Instant::now() + Duration::from_secs(timeout),
        inner: Mutex::new(SessionInner {
            status: SessionStatus::Ready,
            last_updated_at: now,
            sandbox: Some(Arc::new(sandbox)),
        }),
        last_call: Mutex::new(None),
    });
    tracing::info!(session = %session.id, interpreter = %interpreter_id, timeout, "session started");
    state.sessions.insert(Arc::clone(&session));
    let response = StartResponse {
        code_interpreter_identifier: interpreter_id,
        session_id: session.id.clone(),
        created_at: timestamp(now),
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
    let last_updated = session.inner().last_updated_at;
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
    let mut sessions: Vec<_> = state
        .sessions
        .lock()
        .values()
        .filter(|s| s.interpreter_id == interpreter_id)
        .filter(|s| wanted.is_none_or(|w| s.status() == w))
        .cloned()
        .collect();
    // Newest first, as the console shows them.
    sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    let total = sessions.len();
    let end = (offset + limit).min(total);
    let items: Vec<_> = sessions
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| {
            let inner = s.inner();
            let mut item = serde_json::json!({
                "codeInterpreterIdentifier": s.interpreter_id,
                "sessionId": s.id,
                "status": inner.status.as_str(),
                "createdAt": timestamp(s.created_at),
                "lastUpdatedAt": timestamp(inner.last_updated_at),
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
