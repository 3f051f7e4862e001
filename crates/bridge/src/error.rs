//! Errors as the Anthropic API shapes them:
//! `{"type":"error","error":{"type":"<kind>","message":"..."}}` with the matching status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer of the Messages API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The error's `type`, `invalid_request_error` say.
    pub kind: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

impl ApiError {
    fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into() }
    }

    /// 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message)
    }

    /// 401 `authentication_error`.
    pub fn authentication(message: impl Into<String>) -> Self {
        Self::new(401, "authentication_error", message)
    }

    /// 404 `not_found_error`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found_error", message)
    }

    /// 429 `rate_limit_error`.
    pub fn rate_limit(message: impl Into<String>) -> Self {
        Self::new(429, "rate_limit_error", message)
    }

    /// 500 `api_error`.
    pub fn api(message: impl Into<String>) -> Self {
        Self::new(500, "api_error", message)
    }

    /// 529 `overloaded_error`.
    pub fn overloaded(message: impl Into<String>) -> Self {
        Self::new(529, "overloaded_error", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({"type": "error", "error": {"type": self.kind, "message": self.message}});
        (status, Json(body)).into_response()
    }
}
