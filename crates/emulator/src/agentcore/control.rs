//! Control plane: CreateCodeInterpreter, GetCodeInterpreter, ListCodeInterpreters,
//! DeleteCodeInterpreter.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

/// The network modes AgentCore offers a custom interpreter.
const NETWORK_MODES: [&str; 3] = ["PUBLIC", "SANDBOX", "VPC"];

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

    /// The interpreter with this id, if it exists.
    pub fn get(&self, id: &str) -> Option<Interpreter> {
        self.lock().get(id).cloned()
    }

    /// How many custom interpreters exist.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no custom interpreter exists.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
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

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 48
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `PUT /code-interpreters` → 202.
pub async fn create(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, AwsError> {
    let request: CreateRequest = parse_body(&body)?;
    let name = request
        .name
        .ok_or_else(|| AwsError::validation("name is required"))?;
    if !valid_name(&name) {
        return Err(AwsError::validation(format!(
            "name '{name}' must match [a-zA-Z][a-zA-Z0-9_]{{0,47}} (letters, digits and underscores; no hyphens)"
        )));
    }
    let network = request
        .network_configuration
        .ok_or_else(|| AwsError::validation("networkConfiguration is required"))?;
    let mode = network.network_mode.clone().unwrap_or_default();
    if !NETWORK_MODES.contains(&mode.as_str()) {
        return Err(AwsError::validation(format!(
            "networkConfiguration.networkMode '{mode}' must be one of PUBLIC, SANDBOX, VPC"
        )));
    }
    if mode == "VPC" && network.vpc_config.is_none() {
        return Err(AwsError::validation(
            "networkConfiguration.vpcConfig is required when networkMode is VPC",
        ));
    }
    if let Some(role) = &request.execution_role_arn
        && (!role.starts_with("arn:aws:iam::") || !role.contains(":role/"))
    {
        return Err(AwsError::validation(format!(
            "executionRoleArn '{role}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        )));
    }

    let mut store = state.interpreters.lock();
    if let Some(existing) = store.values().find(|i| i.name == name) {
        // A retry with the same client token is the same request (the operation is idempotent).
        if request.client_token.is_some() && existing.client_token == request.client_token {
            let response = CreateResponse {
                code_interpreter_id: existing.id.clone(),
                code_interpreter_arn: state.interpreter_arn(&existing.id),
                created_at: timestamp(existing.created_at),
                status: "READY",
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
        },
    );
    drop(store);
    tracing::info!(%id, "code interpreter created");
    let response = CreateResponse {
        code_interpreter_arn: state.interpreter_arn(&id),
        code_interpreter_id: id,
        created_at: timestamp(now),
        // AgentCore answers CREATING; the emulator's interpreters are READY at once.
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
    }
}

/// `GET /code-interpreters/{codeInterpreterId}`.
pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(identifier): Path<String>,
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
        status: "READY",
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
    max_results: Option<&str>,
    next_token: Option<&str>,
) -> Result<(usize, usize), AwsError> {
    let limit = match max_results {
        None => 100,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(AwsError::validation(format!(
                    "maxResults must be a number from 1 to 100, got '{raw}'"
                )));
            }
        },
    };
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
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, AwsError> {
    let (offset, limit) = page_bounds(
        query.get("maxResults").map(String::as_str),
        query.get("nextToken").map(String::as_str),
    )?;
    let kind = query.get("type").map(String::as_str);
    if let Some(kind) = kind
        && kind != "SYSTEM"
        && kind != "CUSTOM"
    {
        return Err(AwsError::validation(format!(
            "type must be SYSTEM or CUSTOM, got '{kind}'"
        )));
    }
    let mut all = Vec::new();
    if kind != Some("CUSTOM") {
        all.push(system_interpreter());
    }
    if kind != Some("SYSTEM") {
        all.extend(state.interpreters.lock().values().cloned());
    }
    let total = all.len();
    let end = (offset + limit).min(total);
    let summaries = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|i| Summary {
            code_interpreter_arn: state.interpreter_arn(&i.id),
            code_interpreter_id: i.id,
            name: i.name,
            description: i.description,
            status: "READY",
            created_at: timestamp(i.created_at),
            last_updated_at: timestamp(i.last_updated_at),
        })
        .collect();
    let response = ListResponse {
        code_interpreter_summaries: summaries,
        next_token: next_token(end, total),
    };
    Ok(Json(serde_json::to_value(response).unwrap_or_default()))
}

/// `DELETE /code-interpreters/{codeInterpreterId}` → 202; its live sessions end.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(identifier): Path<String>,
) -> Result<Response, AwsError> {
    let id = interpreter_id_of(&identifier).to_owned();
    if id == SYSTEM_INTERPRETER_ID {
        return Err(AwsError::access_denied(
            "The system code interpreter cannot be deleted",
        ));
    }
    let removed = state.interpreters.lock().remove(&id);
    if removed.is_none() {
        return Err(AwsError::not_found(format!(
            "Code interpreter '{id}' not found"
        )));
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
