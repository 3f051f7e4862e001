//! `POST /v1/messages` and `GET /v1/models`.

use std::sync::Arc;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use messages::{
    BEDROCK_ANTHROPIC_VERSION, ContentBlock, Message, MessagesRequest, MessagesResponse, Role,
    StopReason, Tool, Usage, stream_events,
};
use serde_json::json;

use crate::Bridge;
use crate::container::Container;
use crate::error::ApiError;
use crate::history::{for_bedrock, server_id};
use crate::tools::{self, Version};

/// The key a request carries: `x-api-key`, or `Authorization: Bearer <key>`.
fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key);
    }
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    bearer.strip_prefix("Bearer ")
}

fn authenticate(bridge: &Bridge, headers: &HeaderMap) -> Result<(), ApiError> {
    match api_key(headers) {
        Some(key) if bridge.config.api_keys.iter().any(|k| k == key) => Ok(()),
        _ => Err(ApiError::authentication("invalid x-api-key")),
    }
}

/// The code execution version a request asks for, after checking its beta and
/// refusing server tools the bridge does not run.
fn code_execution(
    request: &MessagesRequest, headers: &HeaderMap,
) -> Result<Option<&'static Version>, ApiError> {
    let betas: Vec<&str> = (headers.get_all("anthropic-beta").iter())
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut found = None;
    for (i, tool) in request.tools.iter().enumerate() {
        let Tool::Server(server) = tool else { continue };
        let Some(version) = tools::version(&server.kind) else {
            return Err(ApiError::invalid_request(format!(
                "tools.{i}: the bridge does not run the server tool {}; it runs {}",
                server.kind,
                tools::VERSIONS.map(|v| v.kind).join(" and ")
            )));
        };
        if !betas.contains(&version.beta) {
            return Err(ApiError::invalid_request(format!(
                "tools.{i}: the {} tool needs the beta header 'anthropic-beta: {}'",
                version.kind, version.beta
            )));
        }
        found = Some(version);
    }
    Ok(found)
}

/// `POST /v1/messages`.
pub async fn create_message(
    State(bridge): State<Arc<Bridge>>, headers: HeaderMap, body: Bytes,
) -> Response {
    let outcome = async {
        authenticate(&bridge, &headers)?;
        if !headers.contains_key("anthropic-version") {
            return Err(ApiError::invalid_request("anthropic-version: header is required"));
        }
        let request: MessagesRequest = serde_json::from_slice(&body).map_err(|err| {
            ApiError::invalid_request(format!("the request body is invalid: {err}"))
        })?;
        let stream = request.stream.unwrap_or(false);
        let message = complete(&bridge, &headers, request).await?;
        Ok::<_, ApiError>((stream, message))
    }
    .await;
    match outcome {
        Ok((false, message)) => Json(message).into_response(),
        Ok((true, message)) => sse(&message),
        Err(err) => {
            tracing::debug!(%err, "request refused");
            err.into_response()
        }
    }
}

/// The loop: the model on Bedrock, the code execution calls in the container, until
/// the model answers, asks for a client tool, or runs out of steps (`pause_turn`).
async fn complete(
    bridge: &Bridge, headers: &HeaderMap, request: MessagesRequest,
) -> Result<MessagesResponse, ApiError> {
    let name = request.model.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::invalid_request("model: field required"));
    }
    let model_id = bridge.config.models.resolve(&name)?.to_owned();
    let version = code_execution(&request, headers)?;
    let mut container = match request.container.as_ref().map(|c| c.id().unwrap_or_default()) {
        None => None,
        Some(id) => {
            let container = Container::from_id(id).ok_or_else(|| {
                ApiError::invalid_request(format!(
                    "container: '{id}' was not found or has expired; omit `container` to get a new one"
                ))
            })?;
            bridge.sessions.expires_at(&container).await?;
            Some(container)
        }
    };
    let mut tools: Vec<Tool> =
        request.tools.iter().filter(|t| matches!(t, Tool::Custom(_))).cloned().collect();
    if let Some(version) = version {
        tools.extend(tools::client_tools(version));
    }
    let mut conversation = for_bedrock(&request.messages);
    let (mut content, mut usage, mut stop_reason, mut id) =
        (Vec::new(), Usage::default(), StopReason::PauseTurn, None);
    for _ in 0..bridge.config.max_steps {
        let body = MessagesRequest {
            anthropic_version: Some(BEDROCK_ANTHROPIC_VERSION.to_owned()),
            max_tokens: request.max_tokens,
            system: request.system.clone(),
            messages: conversation.clone(),
            tools: tools.clone(),
            extra: request.extra.clone(),
            ..MessagesRequest::default()
        };
        let response = invoke_model(bridge, &model_id, &body).await?;
        id.get_or_insert_with(|| response.id.clone());
        usage += response.usage;
        let (mut results, mut client_call) = (Vec::new(), false);
        for block in &response.content {
            match block {
                ContentBlock::ToolUse { id, name, input, .. }
                    if version.is_some_and(|v| v.calls.contains(&name.as_str())) =>
                {
                    let running = match container.clone() {
                        Some(running) => running,
                        None => {
                            let started = bridge.start_container().await?;
                            container = Some(started.clone());
                            started
                        }
                    };
                    let call_id = server_id(id);
                    let input = input.clone();
                    let result =
                        tools::run(&bridge.sessions, &running, &call_id, name, &input).await?;
                    content.push(ContentBlock::ServerToolUse {
                        id: call_id,
                        name: name.clone(),
                        input,
                        cache_control: None,
                    });
                    let (text, is_error) = result_text(&result);
                    results.push(ContentBlock::tool_result(id.clone(), text, is_error));
                    content.push(result);
                }
                ContentBlock::ToolUse { .. } => {
                    client_call = true;
                    content.push(block.clone());
                }
                other => content.push(other.clone()),
            }
        }
        conversation.push(response.to_message());
        if client_call || results.is_empty() {
            stop_reason = response.stop_reason.unwrap_or(StopReason::EndTurn);
            break;
        }
        conversation.push(Message { role: Role::User, content: results });
    }
    let container = match container {
        Some(container) => {
            let expires_at = bridge.sessions.expires_at(&container).await?;
            Some(messages::Container { id: container.id(), expires_at: Some(expires_at) })
        }
        None => None,
    };
    Ok(MessagesResponse {
        id: id.unwrap_or_default(),
        kind: "message".to_owned(),
        role: Role::Assistant,
        model: name,
        content,
        stop_reason: Some(stop_reason),
        stop_sequence: None,
        usage,
        container,
    })
}

/// What the model on Bedrock reads of a server tool's result block.
fn result_text(block: &ContentBlock) -> (String, bool) {
    match block {
        ContentBlock::CodeExecutionToolResult { content, .. }
        | ContentBlock::BashCodeExecutionToolResult { content, .. }
        | ContentBlock::TextEditorCodeExecutionToolResult { content, .. } => content.model_text(),
        _ => (String::new(), false),
    }
}

/// One InvokeModel call; Bedrock's errors as the API's.
async fn invoke_model(
    bridge: &Bridge, model_id: &str, body: &MessagesRequest,
) -> Result<MessagesResponse, ApiError> {
    let json = serde_json::to_vec(body)
        .map_err(|err| ApiError::api(format!("writing the Bedrock body: {err}")))?;
    let output = bridge
        .bedrock
        .invoke_model()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(json))
        .send()
        .await
        .map_err(|err| {
            let message = err.message().unwrap_or("Bedrock InvokeModel failed").to_owned();
            match err.code() {
                Some("ValidationException") => ApiError::invalid_request(message),
                Some("ResourceNotFoundException") => ApiError::not_found(message),
                Some("ThrottlingException" | "ServiceQuotaExceededException") => {
                    ApiError::rate_limit(message)
                }
                Some("ServiceUnavailableException" | "ModelNotReadyException") => {
                    ApiError::overloaded(message)
                }
                _ => ApiError::api(format!(
                    "Bedrock InvokeModel failed: {}",
                    aws_smithy_types::error::display::DisplayErrorContext(&err)
                )),
            }
        })?;
    serde_json::from_slice(output.body().as_ref()).map_err(|err| {
        ApiError::api(format!("Bedrock answered a body that is not a Messages response: {err}"))
    })
}

/// The response as server-sent events, as `stream: true` asks.
fn sse(message: &MessagesResponse) -> Response {
    let mut body = String::new();
    for event in stream_events(message) {
        let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
        body.push_str(&format!("event: {}\ndata: {data}\n\n", event.name()));
    }
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/event-stream"));
    response
}

/// `GET /v1/models`: the names the bridge serves.
pub async fn list_models(State(bridge): State<Arc<Bridge>>, headers: HeaderMap) -> Response {
    if let Err(err) = authenticate(&bridge, &headers) {
        return err.into_response();
    }
    let data: Vec<_> = (bridge.config.models.names())
        .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2026-01-01T00:00:00Z"}))
        .collect();
    let first = data.first().map(|m| m["id"].clone());
    let last = data.last().map(|m| m["id"].clone());
    Json(json!({"data": data, "has_more": false, "first_id": first, "last_id": last}))
        .into_response()
}
