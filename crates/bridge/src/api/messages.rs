//! `POST /v1/messages`: a turn ([`crate::turn`]) delivered as server-sent events as
//! they happen (`stream: true`), or folded into one response.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use messages::{Assembler, MessagesRequest};
use tokio::sync::mpsc;

use super::{RequestId, answer};
use crate::Bridge;
use crate::error::ApiError;
use crate::turn::{self, Emitted};

/// Header of a response in which code ended that called the client's tools: how
/// many calls it made (plain answers only: a stream's headers go out first).
pub const TOOL_CALLS_FROM_CODE: &str = "x-bridge-tool-calls-from-code";

/// Events waiting for a slow client before the turn waits for it.
const BUFFERED_EVENTS: usize = 64;

/// `POST /v1/messages`.
pub async fn create(
    State(bridge): State<Arc<Bridge>>, Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap, body: Bytes,
) -> Response {
    let request = match parse(&headers, &body) {
        Ok(request) => request,
        Err(err) => return answer(Err(err)),
    };
    let betas: Vec<String> = headers
        .get_all("anthropic-beta")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|beta| beta.trim().to_owned())
        .filter(|beta| !beta.is_empty())
        .collect();
    let stream = request.stream.unwrap_or(false);
    let (tx, mut rx) = mpsc::channel(BUFFERED_EVENTS);
    // The turn runs on its own: a client that hangs up closes the channel, and the
    // turn stops at its next event, stopping a container nobody will hear of.
    let work = async move { turn::run(&bridge, request, &betas, tx).await };
    let turn = tokio::spawn(crate::timing::inherit(work));
    if stream {
        // Until the first event the answer can still be an error status.
        return match rx.recv().await {
            Some(Emitted::Event(first)) => sse(first, rx, request_id),
            Some(Emitted::Failed(err)) => answer(Err(err)),
            None => answer(Err(ApiError::api("the turn ended without an answer"))),
        };
    }
    let mut assembler = Assembler::new();
    while let Some(item) = rx.recv().await {
        match item {
            Emitted::Event(event) => {
                if let Err(err) = assembler.push(&event) {
                    return answer(Err(
                        ApiError::api("the turn's events do not make a response").caused_by(err)
                    ));
                }
            }
            Emitted::Failed(err) => return answer(Err(err)),
        }
    }
    let outcome = turn.await.unwrap_or_default();
    let message = match assembler.finish() {
        Ok(message) => message,
        Err(err) => {
            return answer(Err(ApiError::api("the turn ended without an answer").caused_by(err)));
        }
    };
    let mut response = Json(message).into_response();
    if let Some(calls) = outcome.tool_calls_from_code {
        // Each of these calls would have been a model round trip without
        // programmatic tool calling.
        response.headers_mut().insert(TOOL_CALLS_FROM_CODE, calls.into());
    }
    response
}

fn parse(headers: &HeaderMap, body: &[u8]) -> Result<MessagesRequest, ApiError> {
    if !headers.contains_key("anthropic-version") {
        return Err(ApiError::invalid_request("anthropic-version: header is required"));
    }
    serde_json::from_slice(body)
        .map_err(|err| ApiError::invalid_request(format!("the request body is invalid: {err}")))
}

/// One event as SSE: `event: <type>` and its JSON.
fn frame(event: &serde_json::Value) -> Bytes {
    let name = event.get("type").and_then(|t| t.as_str()).unwrap_or("message");
    Bytes::from(format!("event: {name}\ndata: {event}\n\n"))
}

/// The stream: `first`, then every event as the turn sends it; a failure after the
/// first byte is the API's `error` event, and the stream ends there.
fn sse(first: serde_json::Value, rx: mpsc::Receiver<Emitted>, request_id: String) -> Response {
    let head = futures::stream::once(async move { Ok::<_, Infallible>(frame(&first)) });
    let rest = futures::stream::unfold(Some(rx), move |rx| {
        let request_id = request_id.clone();
        async move {
            let mut rx = rx?;
            match rx.recv().await? {
                Emitted::Event(event) => Some((Ok(frame(&event)), Some(rx))),
                Emitted::Failed(err) => {
                    tracing::debug!(%err, "the stream ends with an error event");
                    Some((Ok(frame(&err.event(&request_id))), None))
                }
            }
        }
    });
    let mut response = Response::new(Body::from_stream(futures::StreamExt::chain(head, rest)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies (nginx) pass the events on as they come instead of buffering them.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
