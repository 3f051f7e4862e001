//! Errors in the Anthropic API's shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::new_request_id;

/// `{"type":"error","error":{"type","message"},"request_id"}` with the status that
/// goes with the error type (`invalid_request_error` 400, `authentication_error` 401, ...).
#[derive(Debug, Clone)]
pub struct AnthropicError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl AnthropicError {
    /// An error of the given type; `kind` is Anthropic's `error.type`.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into() }
    }

    /// 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 404 `not_found_error`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found_error", message)
    }

    /// 500 `api_error`.
    pub fn api(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "api_error", message)
    }

    /// The error as the JSON body (also the payload of an SSE `error` event).
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        json!({
            "type": "error",
            "error": {"type": self.kind, "message": self.message},
            "request_id": request_id,
        })
    }
}

impl std::fmt::Display for AnthropicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl IntoResponse for AnthropicError {
    fn into_response(self) -> Response {
        let request_id = format!("req_{}", new_request_id().replace('-', ""));
        (self.status, [("request-id", request_id.clone())], axum::Json(self.body(&request_id)))
            .into_response()
    }
}
