//! Control plane: CreateCodeInterpreter, GetCodeInterpreter, ListCodeInterpreters,
//! DeleteCodeInterpreter.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{SYSTEM_INTERPRETER_ID, interpreter_id_of, parse_body, timestamp};
use crate::error::AwsError;
use crate::state::AppState;

/// A custom code interpreter.
#[derive(Debug, Clone)]
pub struct Interpreter {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub network_mode: String,
    pub vpc_config: Option<serde_json::Value>,
    pub execution_role_arn: Option<String>,
    pub client_token: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_updated_at: OffsetDateTime,
    /// CREATING until then, READY after.
    ready_at: Instant,
    /// Set by DeleteCodeInterpreter: DELETING until then, gone after.
    gone_at: Option<Instant>,
}

impl Interpreter {
    /// The status AgentCore would report now: CREATING, then READY; DELETING once
    /// deleted, then `None` (the interpreter no longer exists).
    fn status(&self, now: Instant) -> Option<&'static str> {
        match self.gone_at {
            Some(gone) if now >= gone => None,
            Some(_) => Some("DELETING"),
            None if now < self.ready_at => Some("CREATING"),
            None => Some("READY"),
        }
    }
}

/// The custom interpreters of the emulated account.
#[derive(Debug, Default)]
pub struct InterpreterStore {
    inner: Mutex<BTreeMap<String, Interpreter>>,
}

impl InterpreterStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Interpreter>> {
        crate::sync::lock(&self.inner)
    }

    /// The interpreter with this id, if it exists (a deleted one stops existing
    /// once its DELETING time is over).
    pub fn get(&self, id: &str) -> Option<Interpreter> {
        let mut store = self.lock();
        let interpreter = store.get(id)?;
        if interpreter.status(Instant::now()).is_none() {
            store.remove(id);
            return None;
        }
        Some(interpreter.clone())
    }

    /// True when sessions can start on the interpreter (it is READY).
    pub fn is_ready(&self, id: &str) -> bool {
        self.get(id).is_some_and(|i| i.status(Instant::now()) == Some("READY"))
    }

    /// Every interpreter that still exists, by id.
    fn existing(&self) -> Vec<Interpreter> {
        let now = Instant::now();
        let mut store = self.lock();
        store.retain(|_, i| i.status(now).is_some());
        store.values().cloned().collect()
    }

    /// How many custom interpreters exist.
    pub fn len(&self) -> usize {
        self.existing().len()
    }

    /// The network mode sessions of this interpreter get (`SANDBOX` for the system one).
    pub fn network_mode(&self, id: &str) -> Option<String> {
        if id == SYSTEM_INTERPRETER_ID {
            return Some("SANDBOX".into());
        }
        self.get(id).map(|i| i.network_mode)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    name: Option<String>,
    description: Option<String>,
    execution_role_arn: Option<String>,
    network_configuration: Option<NetworkConfiguration>,
    client_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct NetworkConfiguration {
    network_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vpc_config: Option<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateResponse {
    code_interpreter_id: String,
    code_interpreter_arn: String,
    created_at: String,
    status: &'static str,
}

/// `PUT /code-interpreters` → 202.
pub async fn create(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, AwsError> {
    let request: CreateRequest = parse_body(&body)?;
    // The service model has checked that the name and the network configuration
    // are there, the name's pattern, the network mode and the role ARN's pattern.
    let name = request.name.unwrap_or_default();
    let network = request
        .network_configuration
        .unwrap_or(NetworkConfiguration { network_mode: None, vpc_config: None });
    let mode = network.network_mode.clone().unwrap_or_default();
    if mode == "VPC" && network.vpc_config.is_none() {
        return Err(AwsError::validation(
            "networkConfiguration.vpcConfig is required when networkMode is VPC",
        ));
    }

    let now_instant = Instant::now();
    let mut store = state.interpreters.lock();
    store.retain(|_, i| i.status(now_instant).is_some());
    if let Some(existing) = store.values().find(|i| i.name == name) {
        // A retry with the same client token is the same request (the operation is idempotent).
        if request.client_token.is_some() && existing.client_token == request.client_token {
            let response = CreateResponse {
                code_interpreter_id: existing.id.clone(),
                code_interpreter_arn: state.interpreter_arn(&existing.id),
                created_at: timestamp(existing.created_at),
                status: existing.status(now_instant).unwrap_or("DELETED"),
            };
            return Ok((StatusCode::ACCEPTED, Json(response)).into_response());
        }
        return Err(AwsError::conflict(format!(
            "A code interpreter named '{name}' already exists ({})",
            existing.id
        )));
    }
    let id = format!("{name}-{}", crate::config::random_token(10));
    let now = OffsetDateTime::now_utc();
    store.insert(
        id.clone(),
        Interpreter {
            id: id.clone(),
            name,
            description: request.description,
            network_mode: mode,
            vpc_config: network.vpc_config,
            execution_role_arn: request.execution_role_arn,
            client_token: request.client_token,
            created_at: now,
            last_updated_at: now,
            ready_at: now_instant + state.config.interpreter_transition,
            gone_at: None,
        },
    );
    drop(store);
    tracing::info!(%id, "code interpreter created");
    let response = CreateResponse {
        code_interpreter_arn: state.interpreter_arn(&id),
        code_interpreter_id: id,
        created_at: timestamp(now),
        // CREATING for `interpreter_transition`, then READY, as AgentCore does.
        status: "CREATING",
    };
    Ok((StatusCode::ACCEPTED, Json(response)).into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GetResponse {
    code_interpreter_id: String,
    code_interpreter_arn: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_role_arn: Option<String>,
    network_configuration: NetworkConfiguration,
    status: &'static str,
    created_at: String,
    last_updated_at: String,
}

fn system_interpreter() -> Interpreter {
    let epoch = OffsetDateTime::UNIX_EPOCH;
    Interpreter {
        id: SYSTEM_INTERPRETER_ID.into(),
        name: SYSTEM_INTERPRETER_ID.into(),
        description: Some("System code interpreter".into()),
        network_mode: "SANDBOX".into(),
        vpc_config: None,
        execution_role_arn: None,
        client_token: None,
        created_at: epoch,
        last_updated_at: epoch,
        ready_at: Instant::now(),
        gone_at: None,
    }
}

/// `GET /code-interpreters/{codeInterpreterId}`.
pub async fn get(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>,
) -> Result<Json<serde_json::Value>, AwsError> {
    let id = interpreter_id_of(&identifier);
    let interpreter = if id == SYSTEM_INTERPRETER_ID {
        system_interpreter()
    } else {
        state
            .interpreters
            .get(id)
            .ok_or_else(|| AwsError::not_found(format!("Code interpreter '{id}' not found")))?
    };
    let status = interpreter.status(Instant::now()).unwrap_or("DELETED");
    let response = GetResponse {
        code_interpreter_arn: state.interpreter_arn(&interpreter.id),
        code_interpreter_id: interpreter.id,
        name: interpreter.name,
        description: interpreter.description,
        execution_role_arn: interpreter.execution_role_arn,
        network_configuration: NetworkConfiguration {
            network_mode: Some(interpreter.network_mode),
            vpc_config: interpreter.vpc_config,
        },
        status,
        created_at: timestamp(interpreter.created_at),
        last_updated_at: timestamp(interpreter.last_updated_at),
    };
    Ok(Json(serde_json::to_value(response).unwrap_or_default()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    code_interpreter_id: String,
    code_interpreter_arn: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    status: &'static str,
    created_at: String,
    last_updated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    code_interpreter_summaries: Vec<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Reads a page request: `maxResults` (1–100, default 100) and an opaque `nextToken`.
pub fn page_bounds(
    max_results: Option<&str>, next_token: Option<&str>,
) -> Result<(usize, usize), AwsError> {
    // The service model has checked the range (1 to 100).
    let limit = max_results.and_then(|raw| raw.parse::<usize>().ok()).unwrap_or(100);
    let offset = match next_token {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| AwsError::validation(format!("nextToken '{token}' is not valid")))?,
    };
    Ok((offset, limit))
}

/// The `nextToken` of a page that ends at `end` out of `total` items.
pub fn next_token(end: usize, total: usize) -> Option<String> {
    (end < total).then(|| format!("page-{end}"))
}

/// `POST /code-interpreters?maxResults&nextToken&type`.
pub async fn list(
    State(state): State<Arc<AppState>>, Query(query): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, AwsError> {
    let (offset, limit) = page_bounds(
        query.get("maxResults").map(String::as_str),
        query.get("nextToken").map(String::as_str),
    )?;
    // SYSTEM or CUSTOM; the service model has checked the enum.
    let kind = query.get("type").map(String::as_str);
    let mut all = Vec::new();
    if kind != Some("CUSTOM") {
        all.push(system_interpreter());
    }
    if kind != Some("SYSTEM") {
        all.extend(state.interpreters.existing());
    }
    let total = all.len();
    let end = (offset + limit).min(total);
    let summaries = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|i| Summary {
            status: i.status(Instant::now()).unwrap_or("DELETED"),
            code_interpreter_arn: state.interpreter_arn(&i.id),
            code_interpreter_id: i.id,
            name: i.name,
            description: i.description,
            created_at: timestamp(i.created_at),
            last_updated_at: timestamp(i.last_updated_at),
        })
        .collect();
    let response =
        ListResponse { code_interpreter_summaries: summaries, next_token: next_token(end, total) };
    Ok(Json(serde_json::to_value(response).unwrap_or_default()))
}

/// `DELETE /code-interpreters/{codeInterpreterId}` → 202; its live sessions end.
pub async fn delete(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>,
) -> Result<Response, AwsError> {
    let id = interpreter_id_of(&identifier).to_owned();
    if id == SYSTEM_INTERPRETER_ID {
        return Err(AwsError::access_denied("The system code interpreter cannot be deleted"));
    }
    // DELETING for `interpreter_transition`, then gone.
    let deleting = state.interpreters.get(&id).map(|_| {
        let mut store = state.interpreters.lock();
        if let Some(interpreter) = store.get_mut(&id)
            && interpreter.gone_at.is_none()
        {
            interpreter.gone_at = Some(Instant::now() + state.config.interpreter_transition);
            interpreter.last_updated_at = OffsetDateTime::now_utc();
        }
    });
    if deleting.is_none() {
        return Err(AwsError::not_found(format!("Code interpreter '{id}' not found")));
    }
    state.sessions.terminate_interpreter(&id).await;
    tracing::info!(%id, "code interpreter deleted");
    let body = serde_json::json!({
        "codeInterpreterId": id,
        "status": "DELETING",
        "lastUpdatedAt": timestamp(OffsetDateTime::now_utc()),
    });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}
