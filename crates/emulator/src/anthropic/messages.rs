//! `POST /v1/messages`: the Anthropic Messages API with the server-side code
//! execution tool. Server tool calls of the scripted model are executed here, in a
//! container's sandbox, and the whole turn comes back in one response.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::containers::Lease;
use super::error::AnthropicError;
use super::server_tools::{self, SERVER_TOOL_NAMES};
use crate::model::catalog::Refusal;
use crate::model::{Api, ModelError, StopReason, stream_events};
use crate::state::AppState;
use messages::{
    Container, ContentBlock, Message, MessagesRequest, MessagesResponse, Role,
    StopReason as WireStop, Tool, Usage,
};

/// The two code execution tool versions and the beta each needs.
const CODE_EXECUTION_TOOLS: [(&str, &str); 2] = [
    ("code_execution_20250825", "code-execution-2025-08-25"),
    ("code_execution_20250522", "code-execution-2025-05-22"),
];

fn model_error(err: ModelError) -> AnthropicError {
    AnthropicError::invalid_request(err.to_string())
}

/// Checks the headers the API requires: the version, and the beta of a code
/// execution tool in the request.
fn check_headers(headers: &HeaderMap, request: &MessagesRequest) -> Result<(), AnthropicError> {
    if !headers.contains_key("anthropic-version") {
        return Err(AnthropicError::invalid_request(
            "anthropic-version: header is required (for example 2023-06-01)",
        ));
    }
    let betas: Vec<&str> = headers
        .get_all("anthropic-beta")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for tool in &request.tools {
        let Tool::Server(server) = tool else {
            continue;
        };
        let kind = server.kind.as_str();
        if let Some((_, beta)) = CODE_EXECUTION_TOOLS.iter().find(|(t, _)| *t == kind)
            && !betas.contains(beta)
        {
            return Err(AnthropicError::invalid_request(format!(
                "tools: the {kind} tool needs the beta header 'anthropic-beta: {beta}'"
            )));
        }
    }
    Ok(())
}

fn container_id(request: &MessagesRequest) -> Option<String> {
    request.container.as_ref()?.id().map(str::to_owned)
}

fn is_server_result(block: &ContentBlock) -> bool {
    matches!(
        block,
        ContentBlock::CodeExecutionToolResult { .. }
            | ContentBlock::BashCodeExecutionToolResult { .. }
            | ContentBlock::TextEditorCodeExecutionToolResult { .. }
    )
}

/// A response the client sends back holds several model turns in one assistant
/// message; the scripted model counts turns by assistant messages, so split it after
/// each server tool result that is followed by more of the model's output.
fn split_rounds(messages: Vec<Message>) -> Vec<Message> {
    let mut out = Vec::with_capacity(messages.len());
    for message in messages {
        if message.role != Role::Assistant {
            out.push(message);
            continue;
        }
        let mut round: Vec<ContentBlock> = Vec::new();
        let mut after_result = false;
        for block in message.content {
            let result = is_server_result(&block);
            if after_result && !result && !round.is_empty() {
                out.push(Message { role: Role::Assistant, content: std::mem::take(&mut round) });
            }
            after_result = result;
            round.push(block);
        }
        if !round.is_empty() {
            out.push(Message { role: Role::Assistant, content: round });
        }
    }
    out
}

async fn container_for(
    state: &AppState, requested: Option<&str>, current: &mut Option<Lease>,
) -> Result<(), AnthropicError> {
    if current.is_some() {
        return Ok(());
    }
    *current = Some(match requested {
        Some(id) => state.containers.reuse(id).ok_or_else(|| {
            AnthropicError::invalid_request(format!(
                "container: '{id}' was not found or has expired; omit `container` to get a new one"
            ))
        })?,
        None => state
            .containers
            .create(&state.sandbox)
            .await
            .map_err(|err| AnthropicError::api(format!("could not start a container: {err}")))?,
    });
    Ok(())
}

/// Plays the model until its turn ends, executing server tool calls in between.
async fn complete(
    state: &AppState, request: MessagesRequest,
) -> Result<MessagesResponse, AnthropicError> {
    let model = request
        .model
        .clone()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| AnthropicError::invalid_request("model: field required"))?;
    crate::model::catalog::check_anthropic(&model).map_err(|refusal| match refusal {
        Refusal::NotFound(message) => AnthropicError::not_found(message),
        Refusal::Invalid(message) => AnthropicError::invalid_request(message),
    })?;
    let requested_container = container_id(&request);
    if let Some(id) = &requested_container {
        // Fail early on a stale id, before the model runs.
        if state.containers.reuse(id).is_none() {
            return Err(AnthropicError::invalid_request(format!(
                "container: '{id}' was not found or has expired; omit `container` to get a new one"
            )));
        }
    }
    let mut working = request;
    working.messages = split_rounds(std::mem::take(&mut working.messages));

    let mut content = Vec::new();
    let mut usage = Usage::default();
    let mut stop_reason = WireStop::PauseTurn;
    let mut lease: Option<Lease> = None;
    for _ in 0..state.config.anthropic_max_server_rounds {
        let conversation =
            crate::model::to_conversation(&working, Api::Anthropic, &model).map_err(model_error)?;
        let reply = state.model.respond(&conversation).map_err(model_error)?;
        usage += crate::model::wire_usage(&reply.usage);
        let reply_message = crate::model::response_for(&reply, &model, String::new());

        let mut round = Vec::new();
        let mut ran_server_tool = false;
        let mut client_tool = false;
        for block in reply_message.content {
            round.push(block.clone());
            match &block {
                ContentBlock::ServerToolUse { id, name, input, .. }
                    if SERVER_TOOL_NAMES.contains(&name.as_str()) =>
                {
                    container_for(state, requested_container.as_deref(), &mut lease).await?;
                    if let Some(lease) = &lease {
                        round.push(server_tools::run(&lease.sandbox, id, name, input).await);
                        ran_server_tool = true;
                    }
                }
                ContentBlock::ToolUse { .. } => client_tool = true,
                _ => {}
            }
        }
        working.messages.push(Message { role: Role::Assistant, content: round.clone() });
        content.extend(round);
        if client_tool || !ran_server_tool || reply.stop_reason != StopReason::ToolUse {
            stop_reason = match reply.stop_reason {
                StopReason::ToolUse if !client_tool => WireStop::EndTurn,
                _ => crate::model::wire_stop(&reply),
            };
            break;
        }
    }

    let container = lease
        .map(|lease| Container {
            id: lease.id,
            expires_at: Some(crate::agentcore::timestamp(lease.expires_at)),
        })
        .or_else(|| {
            requested_container.and_then(|id| {
                state.containers.reuse(&id).map(|lease| Container {
                    id: lease.id,
                    expires_at: Some(crate::agentcore::timestamp(lease.expires_at)),
                })
            })
        });
    Ok(MessagesResponse {
        id: format!("msg_emu_{}", crate::config::random_token(20)),
        kind: "message".into(),
        role: Role::Assistant,
        model,
        content,
        stop_reason: Some(stop_reason),
        stop_sequence: None,
        usage,
        container,
    })
}

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

/// `POST /v1/messages`.
pub async fn create_message(
    State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes,
) -> Response {
    let started = Instant::now();
    let outcome = async {
        let request = crate::model::parse_request(&body).map_err(model_error)?;
        check_headers(&headers, &request)?;
        let stream = request.stream.unwrap_or(false);
        let message = complete(&state, request).await?;
        Ok::<_, AnthropicError>((stream, message))
    }
    .await;
    match outcome {
        Ok((stream, message)) => {
            tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "messages");
            let request_id = format!("req_emu_{}", crate::config::random_token(20));
            let mut response =
                if stream { sse(&message) } else { axum::Json(message).into_response() };
            if let Ok(value) = header::HeaderValue::from_str(&request_id) {
                response.headers_mut().insert("request-id", value);
            }
            response
        }
        Err(err) => err.into_response(),
    }
}
