//! The HTTP surface: one file per route, and the layers every route shares.
//!
//! - [`request_id`]: every response carries a `request-id` header, and every error
//!   body its `request_id`, as the API's do; answers that did not come from a
//!   handler (an unknown route, a body over the size limit) get the API's error
//!   shape too, so an SDK always reads a typed error.
//! - [`authenticate`]: the key (`x-api-key`, or `Authorization: Bearer`).

pub mod count_tokens;
pub mod files;
pub mod messages;
pub mod models;
pub mod skills;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Bridge;
use crate::error::ApiError;

/// A request's id (`req_` and 24 letters and digits), in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Errors are small; a body larger than this is passed on as it is.
const ERROR_BODY_LIMIT: usize = 64 << 10;

/// Middleware: the request id, on the response and in error bodies.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = format!("req_{}", crate::random_suffix());
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        response = with_error_shape(response, &id).await;
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

/// The API's error body for an error answer, with `request_id` in it.
async fn with_error_shape(response: Response, id: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let bytes = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await.unwrap_or_default();
    let parsed = json.then(|| serde_json::from_slice::<serde_json::Value>(&bytes).ok()).flatten();
    let mut error = match parsed {
        Some(value) if value["type"] == "error" => value,
        // Not one of ours: axum's own answer for a route or a body it refused.
        _ => {
            let status = parts.status.as_u16();
            let error = match status {
                413 => ApiError::request_too_large(
                    "Request exceeds the maximum allowed number of bytes. The maximum request \
                     size is 32 MB for the Messages API and 500 MB for a file upload.",
                ),
                404 => ApiError::not_found("Not found: no such route"),
                405 => ApiError::invalid_request("This method is not allowed on this route"),
                _ if status >= 500 => ApiError::api(String::from_utf8_lossy(&bytes).into_owned()),
                _ => ApiError::invalid_request(String::from_utf8_lossy(&bytes).into_owned()),
            };
            let fresh = error.into_response();
            for name in ["x-should-retry", "retry-after"] {
                if let Some(value) = fresh.headers().get(name) {
                    parts.headers.insert(name, value.clone());
                }
            }
            let body = axum::body::to_bytes(fresh.into_body(), ERROR_BODY_LIMIT).await;
            serde_json::from_slice(&body.unwrap_or_default()).unwrap_or_default()
        }
    };
    error["request_id"] = serde_json::Value::from(id);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(error.to_string()))
}

/// The key a request carries: `x-api-key`, or `Authorization: Bearer <key>`.
fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key);
    }
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    bearer.strip_prefix("Bearer ")
}

/// Middleware: only requests with one of the bridge's keys reach a handler.
pub async fn authenticate(
    State(bridge): State<Arc<Bridge>>, request: Request, next: Next,
) -> Response {
    match api_key(request.headers()) {
        Some(key) if bridge.config.api_keys.iter().any(|k| k == key) => next.run(request).await,
        _ => ApiError::authentication("invalid x-api-key").into_response(),
    }
}

/// A handler's result as its response.
pub(crate) fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(|err| {
        tracing::debug!(%err, "request refused");
        err.into_response()
    })
}
