//! Control plane: CreateCodeInterpreter, GetCodeInterpreter, ListCodeInterpreters,
//! DeleteCodeInterpreter.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::wire::{interpreter_id_of, next_token, page_bounds, parse_body, timestamp};
use crate::error::AwsError;
use crate::state::AppState;
use crate::store::interpreters::{Created, Interpreter, NewInterpreter, SYSTEM_INTERPRETER_ID};

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

    let id = format!("{name}-{}", crate::config::random_token(10));
    let new = NewInterpreter {
        name: name.clone(),
        description: request.description,
        network_mode: mode,
        vpc_config: network.vpc_config,
        execution_role_arn: request.execution_role_arn,
        client_token: request.client_token,
    };
    let (interpreter, status) =
        match state.interpreters.create(id, new, state.config.interpreter_transition) {
            // CREATING for `interpreter_transition`, then READY, as AgentCore does.
            Created::New(interpreter) => {
                tracing::info!(id = %interpreter.id, "code interpreter created");
                (interpreter, "CREATING")
            }
            Created::Retried(existing) => {
                let status = existing.status(Instant::now()).unwrap_or("DELETED");
                (existing, status)
            }
            Created::NameTaken(existing) => {
                return Err(AwsError::conflict(format!(
                    "A code interpreter named '{name}' already exists ({existing})"
                )));
            }
        };
    let response = CreateResponse {
        code_interpreter_arn: state.interpreter_arn(&interpreter.id),
        code_interpreter_id: interpreter.id,
        created_at: timestamp(interpreter.created_at),
        status,
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

/// `GET /code-interpreters/{codeInterpreterId}`.
pub async fn get(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>,
) -> Result<Json<serde_json::Value>, AwsError> {
    let id = interpreter_id_of(&identifier);
    let interpreter = if id == SYSTEM_INTERPRETER_ID {
        Interpreter::system()
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
        all.push(Interpreter::system());
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
    if !state.interpreters.delete(&id, state.config.interpreter_transition) {
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
