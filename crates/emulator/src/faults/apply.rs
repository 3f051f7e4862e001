//! Applying faults: the middleware that picks the fault for a request, and the
//! ways it breaks a response (error shapes, cut streams, corrupted model replies).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

use super::FaultKind;
use crate::error::{AwsError, QueryError};
use crate::operations::{Protocol, operation_of};
use crate::state::AppState;

/// Middleware: applies the first fault that fires for the request's operation.
pub async fn inject(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if state.faults.is_empty() {
        return next.run(request).await;
    }
    let found = operation_of(request.method(), request.uri().path());
    let (operation, protocol, request) = match found.map(|op| (op.name, op.protocol)) {
        Some((name, Protocol::RestJson)) => (name.to_owned(), Protocol::RestJson, request),
        Some((_, Protocol::Query)) => {
            // IAM and STS: the action is a form field of the (small) body.
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, crate::auth::MAX_BODY_BYTES).await else {
                return AwsError::validation("the request body could not be read").into_response();
            };
            let action = url_form_action(&bytes).unwrap_or_default();
            (action, Protocol::Query, Request::from_parts(parts, Body::from(bytes)))
        }
        None => return next.run(request).await,
    };
    let Some(kind) = state.faults.pick(&operation) else {
        return next.run(request).await;
    };
    tracing::info!(operation, ?kind, "injecting a fault");
    let injected = "(injected by the emulator's fault injection)";
    match kind {
        FaultKind::Throttle => error(
            protocol,
            StatusCode::TOO_MANY_REQUESTS,
            ["ThrottlingException", "Throttling"],
            &format!("Rate exceeded for {operation} {injected}"),
        ),
        FaultKind::Internal => error(
            protocol,
            StatusCode::INTERNAL_SERVER_ERROR,
            ["InternalServerException", "ServiceFailure"],
            &format!("Internal server error in {operation} {injected}"),
        ),
        FaultKind::Unavailable => error(
            protocol,
            StatusCode::SERVICE_UNAVAILABLE,
            ["ServiceUnavailableException", "ServiceUnavailable"],
            &format!("{operation} is temporarily unavailable {injected}"),
        ),
        FaultKind::Validation => error(
            protocol,
            StatusCode::BAD_REQUEST,
            ["ValidationException", "ValidationError"],
            &format!("The request for {operation} was refused {injected}"),
        ),
        FaultKind::Denied => error(
            protocol,
            StatusCode::FORBIDDEN,
            ["AccessDeniedException", "AccessDenied"],
            &format!("You are not authorized to perform {operation} {injected}"),
        ),
        FaultKind::Delay(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        FaultKind::Expire => {
            if let Some(id) = session_id_of(&request) {
                if let Some(session) = state.sessions.get(&id).await {
                    session.terminate("expired by an injected fault").await;
                }
            } else {
                tracing::warn!(operation, "an expire fault needs a request that names a session");
            }
            next.run(request).await
        }
        FaultKind::MidStream => break_stream(next.run(request).await),
        FaultKind::Malformed | FaultKind::MissingCode | FaultKind::WrongType => {
            corrupt_model_reply(next.run(request).await, kind).await
        }
    }
}

pub(super) fn url_form_action(body: &[u8]) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let value = pair.strip_prefix(b"Action=")?;
        Some(String::from_utf8_lossy(value).into_owned())
    })
}

/// `codes`: the error code for REST-JSON and for the query protocol.
fn error(protocol: Protocol, status: StatusCode, codes: [&str; 2], message: &str) -> Response {
    match protocol {
        Protocol::RestJson => AwsError::new(status, codes[0], message).into_response(),
        Protocol::Query => QueryError::new(status, codes[1], message).into_response(),
    }
}

fn session_id_of(request: &Request) -> Option<String> {
    if let Some(id) = request
        .headers()
        .get(crate::agentcore::invoke::SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return Some(id.to_owned());
    }
    request.uri().query().and_then(|query| {
        query.split('&').find_map(|pair| {
            let value = pair.strip_prefix("sessionId=")?;
            percent_encoding::percent_decode_str(value).decode_utf8().ok().map(|v| v.into_owned())
        })
    })
}

fn content_type(response: &Response) -> &str {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// Lets the first event of a stream through, then sends an exception and ends it.
fn break_stream(response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let failure: Bytes = if content_type(&response).starts_with(crate::eventstream::CONTENT_TYPE) {
        AwsError::internal("The stream broke off (injected by the emulator's fault injection)")
            .exception_frame()
    } else {
        tracing::warn!("a midstream fault hit a response that is not a stream; left as it is");
        return response;
    };
    let (parts, body) = response.into_parts();
    let first = body.into_data_stream().take(1);
    let broken =
        first.chain(futures::stream::once(async move { Ok::<Bytes, axum::Error>(failure) }));
    Response::from_parts(parts, Body::from_stream(broken))
}

/// Rewrites a successful JSON model reply (Converse, InvokeModel).
async fn corrupt_model_reply(response: Response, kind: FaultKind) -> Response {
    if !response.status().is_success() || !content_type(&response).starts_with("application/json") {
        tracing::warn!(
            ?kind,
            "a model-reply fault hit a response that is not a JSON reply; left as it is"
        );
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return AwsError::internal("the reply could not be buffered").into_response();
    };
    let new_body = match kind {
        FaultKind::Malformed => {
            // Cut the document in half: no JSON parser accepts it.
            let cut = bytes.len() / 2;
            let mut broken = bytes[..cut].to_vec();
            broken.extend_from_slice(b"<<not json");
            broken
        }
        _ => match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut reply) => {
                let input = if kind == FaultKind::MissingCode {
                    json!({"source": "print('the code member is missing')"})
                } else {
                    json!({"code": 42})
                };
                rewrite_tool_inputs(&mut reply, &input);
                serde_json::to_vec(&reply).unwrap_or_else(|_| bytes.to_vec())
            }
            Err(_) => bytes.to_vec(),
        },
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Ok(len) = HeaderValue::from_str(&new_body.len().to_string()) {
        parts.headers.insert(header::CONTENT_LENGTH, len);
    }
    Response::from_parts(parts, Body::from(new_body))
}

/// Replaces the input of every tool call in a Converse (`toolUse`) or Anthropic
/// (`tool_use`) reply.
pub(super) fn rewrite_tool_inputs(reply: &mut Value, input: &Value) {
    let converse = reply.pointer_mut("/output/message/content").and_then(Value::as_array_mut);
    if let Some(blocks) = converse {
        for block in blocks {
            if let Some(tool_use) = block.get_mut("toolUse") {
                tool_use["input"] = input.clone();
            }
        }
        return;
    }
    if let Some(blocks) = reply.get_mut("content").and_then(Value::as_array_mut) {
        for block in blocks {
            if block.get("type").and_then(Value::as_str) == Some("tool_use") {
                block["input"] = input.clone();
            }
        }
    }
}
