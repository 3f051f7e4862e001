//! One function per proxied operation. Each forwards the client's request to the upstream,
//! records what the model said, and answers the client with the upstream's response as it
//! came (streams are read whole first, then passed on).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::Recorder;
use super::assemble::{self, ReplyBlock};
use super::upstream::UpstreamResponse;
use crate::bedrock::converse_types::ConverseRequest;
use crate::error::AwsError;
use crate::model::{Api, Conversation};
use crate::state::AppState;

/// What the SDKs leave unescaped in a path label.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Request headers passed on to Bedrock Runtime.
const BEDROCK_HEADERS: &[&str] = &[
    "content-type",
    "accept",
    "x-amzn-bedrock-accept",
    "x-amzn-bedrock-trace",
    "x-amzn-bedrock-guardrailidentifier",
    "x-amzn-bedrock-guardrailversion",
    "x-amzn-bedrock-performanceconfig-latency",
    "x-amzn-bedrock-service-tier",
];

/// Request headers passed on to the AgentCore data plane.
const AGENTCORE_HEADERS: &[&str] = &[
    "content-type",
    "accept",
    "x-amzn-code-interpreter-session-id",
    "x-amzn-trace-id",
    "traceparent",
];

/// Response headers passed back to the client.
const RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "x-amzn-requestid",
    "x-amzn-errortype",
    "x-amzn-bedrock-content-type",
    "x-amzn-bedrock-input-token-count",
    "x-amzn-bedrock-output-token-count",
    "x-amzn-bedrock-invocation-latency",
    "x-amzn-bedrock-performanceconfig-latency",
    "x-amzn-bedrock-service-tier",
    "x-amzn-code-interpreter-session-id",
];

fn pick(headers: &HeaderMap, names: &[&'static str]) -> Vec<(&'static str, String)> {
    names
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some((*name, value.to_owned()))
        })
        .collect()
}

fn bad_gateway(message: String) -> AwsError {
    tracing::warn!(%message, "record mode: upstream call failed");
    AwsError::new(StatusCode::BAD_GATEWAY, "InternalServerException", message)
}

fn respond(upstream: UpstreamResponse) -> Response {
    let mut response = Response::new(Body::from(upstream.body));
    *response.status_mut() = upstream.status;
    for name in RESPONSE_HEADERS {
        if let Some(value) = upstream.headers.get(*name) {
            response.headers_mut().insert(*name, value.clone());
        }
    }
    response
}

/// Forwards one model call and records its reply when it succeeded.
async fn forward_model_call(
    recorder: &Recorder, model_id: &str, operation: &str, headers: &HeaderMap, body: Bytes,
    conversation: Option<Conversation>, read_reply: fn(&[u8]) -> Result<Vec<ReplyBlock>, String>,
) -> Result<Response, AwsError> {
    let path = format!("/model/{}/{operation}", utf8_percent_encode(model_id, LABEL));
    let upstream = recorder
        .bedrock
        .send_buffered(Method::POST, &path, &pick(headers, BEDROCK_HEADERS), body)
        .await
        .map_err(bad_gateway)?;
    if upstream.status.is_success() {
        match (conversation, read_reply(&upstream.body)) {
            (Some(conv), Ok(reply)) => match recorder.recordings.record(&conv, &reply) {
                Ok(file) => tracing::info!(
                    file = %file.display(),
                    turn = conv.assistant_turns() + 1,
                    operation,
                    "recorded a model reply"
                ),
                Err(err) => tracing::error!(error = %err, "could not write the recording"),
            },
            (None, _) => tracing::warn!(
                operation,
                "record mode: the request could not be read as a conversation; not recorded"
            ),
            (_, Err(err)) => tracing::warn!(
                operation,
                error = %err,
                "record mode: the reply could not be read; not recorded"
            ),
        }
    }
    Ok(respond(upstream))
}

fn converse_conversation(model_id: &str, body: &[u8]) -> Option<Conversation> {
    ConverseRequest::parse(body).ok()?.to_conversation(model_id).ok()
}

fn messages_conversation(model_id: &str, body: &[u8]) -> Option<Conversation> {
    let request = crate::model::parse_request(body).ok()?;
    crate::model::to_conversation(&request, Api::InvokeModel, model_id).ok()
}

/// Converse, through the upstream.
pub async fn converse(
    recorder: &Recorder, model_id: &str, headers: &HeaderMap, body: Bytes,
) -> Result<Response, AwsError> {
    let conv = converse_conversation(model_id, &body);
    forward_model_call(recorder, model_id, "converse", headers, body, conv, assemble::converse)
        .await
}

/// ConverseStream, through the upstream; the final message is assembled from the events.
pub async fn converse_stream(
    recorder: &Recorder, model_id: &str, headers: &HeaderMap, body: Bytes,
) -> Result<Response, AwsError> {
    let conv = converse_conversation(model_id, &body);
    forward_model_call(
        recorder,
        model_id,
        "converse-stream",
        headers,
        body,
        conv,
        assemble::converse_stream,
    )
    .await
}

/// InvokeModel with an Anthropic Messages body, through the upstream.
pub async fn invoke_model(
    recorder: &Recorder, model_id: &str, headers: &HeaderMap, body: Bytes,
) -> Result<Response, AwsError> {
    let conv = messages_conversation(model_id, &body);
    forward_model_call(
        recorder,
        model_id,
        "invoke",
        headers,
        body,
        conv,
        assemble::anthropic_message,
    )
    .await
}

/// InvokeModelWithResponseStream, through the upstream; the final message is assembled from
/// the chunks.
pub async fn invoke_model_with_response_stream(
    recorder: &Recorder, model_id: &str, headers: &HeaderMap, body: Bytes,
) -> Result<Response, AwsError> {
    let conv = messages_conversation(model_id, &body);
    forward_model_call(
        recorder,
        model_id,
        "invoke-with-response-stream",
        headers,
        body,
        conv,
        assemble::invoke_stream,
    )
    .await
}

/// Middleware: with an AgentCore upstream, session and tool calls of the data plane go to it
/// (signed with the upstream credentials) instead of the local sandbox. Everything else, and
/// everything when there is no such upstream, goes on to the local handlers.
pub async fn agentcore_proxy(
    State(state): State<Arc<AppState>>, request: Request, next: Next,
) -> Response {
    let Some(upstream) = state.recorder.as_ref().and_then(|r| r.agentcore.as_ref()) else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    let data_plane = path.starts_with("/code-interpreters/")
        && (path.contains("/sessions/") || path.ends_with("/tools/invoke"));
    if !data_plane {
        return next.run(request).await;
    }
    let path_and_query =
        request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let method = request.method().clone();
    let headers = pick(request.headers(), AGENTCORE_HEADERS);
    let body = match axum::body::to_bytes(request.into_body(), crate::auth::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(err) => {
            return bad_gateway(format!("reading the request failed: {err}")).into_response();
        }
    };
    let response = match upstream.send(method, &path_and_query, &headers, body).await {
        Ok(response) => response,
        Err(message) => return bad_gateway(message).into_response(),
    };
    // Streamed through as it arrives: executeCode results can take a while.
    let mut out = Response::builder().status(response.status());
    for name in RESPONSE_HEADERS {
        if let Some(value) = response.headers().get(*name) {
            out = out.header(*name, value.clone());
        }
    }
    out.body(Body::from_stream(response.bytes_stream()))
        .unwrap_or_else(|err| bad_gateway(err.to_string()).into_response())
}
