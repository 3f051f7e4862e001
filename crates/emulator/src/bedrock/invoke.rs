//! `POST /model/{modelId}/invoke` and `/invoke-with-response-stream` with an Anthropic
//! Messages body.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{check_model, elapsed_ms, model_error};
use crate::error::AwsError;
use crate::eventstream::{event_frame, stream_response};
use crate::model::{Api, stream_events};
use crate::record::ops as record;
use crate::state::AppState;
use messages::{InvocationMetrics, MessagesResponse, StreamEvent};

/// The rules Bedrock documents for an Anthropic Messages body beyond what the
/// Messages API itself checks: `anthropic_version` is required; `model`, `stream`
/// and `container` belong to the Anthropic API and are refused; server-side tools
/// (the code execution tool and its kin) do not exist on Bedrock.
fn check_bedrock_body(body: &[u8]) -> Result<(), AwsError> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        // Not a JSON object: the Messages parser says what is wrong.
        return Ok(());
    };
    let malformed = |what: String| {
        AwsError::validation(format!(
            "Malformed input request: {what}, please reformat your input and try again."
        ))
    };
    if !fields.contains_key("anthropic_version") {
        return Err(malformed("#: required key [anthropic_version] not found".into()));
    }
    for key in ["model", "stream", "container"] {
        if fields.contains_key(key) {
            return Err(malformed(format!("#: extraneous key [{key}] is not permitted")));
        }
    }
    let betas: Vec<&str> = fields
        .get("anthropic_beta")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let tools = fields.get("tools").and_then(Value::as_array);
    for (i, tool) in tools.into_iter().flatten().enumerate() {
        let kind = tool.get("type").and_then(Value::as_str).unwrap_or("custom");
        if SERVER_TOOL_PREFIXES.iter().any(|prefix| kind.starts_with(prefix)) {
            return Err(malformed(format!(
                "#/tools/{i}: tool type {kind} is not supported on Amazon Bedrock"
            )));
        }
        let needed = BETA_TOOLS.iter().find(|(prefix, _)| kind.starts_with(prefix));
        if let Some((_, beta)) = needed.filter(|(_, beta)| !betas.contains(beta)) {
            return Err(malformed(format!(
                "#/tools/{i}: tool type {kind} needs \"{beta}\" in anthropic_beta"
            )));
        }
    }
    Ok(())
}

/// Types of Anthropic's server-side tools that only its own API runs.
const SERVER_TOOL_PREFIXES: [&str; 3] = ["code_execution_", "web_fetch_", "web_search_"];

/// Tools Bedrock's Anthropic models take with a beta feature: the tool search tool
/// (a server tool Bedrock runs) and the memory tool (the client runs it).
const BETA_TOOLS: [(&str, &str); 2] = [
    ("tool_search_tool_", "tool-search-tool-2025-10-19"),
    ("memory_", "context-management-2025-06-27"),
];

fn message_for(
    state: &AppState, model_id: &str, body: &[u8],
) -> Result<MessagesResponse, AwsError> {
    check_model(model_id)?;
    check_bedrock_body(body)?;
    let request = crate::model::parse_request(body).map_err(model_error)?;
    let conversation =
        crate::model::to_conversation(&request, Api::InvokeModel, model_id).map_err(model_error)?;
    let reply = state.model.respond(&conversation).map_err(model_error)?;
    let id = format!("msg_bdrk_{}", &uuid::Uuid::new_v4().simple().to_string()[..24]);
    Ok(crate::model::response_for(&reply, model_id, id))
}

/// InvokeModel: the response Message as JSON.
pub async fn invoke_model(
    State(state): State<Arc<AppState>>, Path(model_id): Path<String>, headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AwsError> {
    if let Some(recorder) = &state.recorder {
        return record::invoke_model(recorder, &model_id, &headers, body).await;
    }
    let start = Instant::now();
    let message = message_for(&state, &model_id, &body)?;
    let usage = message.usage;
    let mut response = Json(message).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-amzn-bedrock-input-token-count", usage.input_tokens),
        ("x-amzn-bedrock-output-token-count", usage.output_tokens),
        ("x-amzn-bedrock-invocation-latency", elapsed_ms(start)),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
    Ok(response)
}

/// InvokeModelWithResponseStream: one `chunk` event per Anthropic stream event, its JSON in
/// base64 under `bytes`; the last one carries Bedrock's invocation metrics.
pub async fn invoke_model_with_response_stream(
    State(state): State<Arc<AppState>>, Path(model_id): Path<String>, headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AwsError> {
    if let Some(recorder) = &state.recorder {
        return record::invoke_model_with_response_stream(recorder, &model_id, &headers, body)
            .await;
    }
    let start = Instant::now();
    let message = message_for(&state, &model_id, &body)?;
    let mut events = stream_events(&message);
    let latency = elapsed_ms(start);
    if let Some(StreamEvent::MessageStop { invocation_metrics }) = events.last_mut() {
        *invocation_metrics = Some(InvocationMetrics {
            input_token_count: message.usage.input_tokens,
            output_token_count: message.usage.output_tokens,
            invocation_latency: latency,
            first_byte_latency: latency,
        });
    }
    let frames: Vec<Bytes> = events
        .iter()
        .map(|event| {
            let bytes = serde_json::to_vec(event).unwrap_or_default();
            event_frame("chunk", &json!({"bytes": BASE64.encode(bytes)}))
        })
        .collect();
    Ok(stream_response(
        futures::stream::iter(frames),
        &[("x-amzn-bedrock-content-type", "application/json".to_owned())],
    ))
}
