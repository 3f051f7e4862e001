//! Errors as the Anthropic API shapes them:
//! `{"type":"error","error":{"type":"<kind>","message":"..."},"request_id":"req_..."}`
//! with the matching status, and the headers that tell an SDK whether to retry.
//!
//! `x-should-retry` is what the SDKs obey first (their default otherwise: retry 408,
//! 409, 429 and 5xx). The bridge says `true` only where repeating the request cannot
//! repeat anything that already happened: a turn that ran code ends with
//! `pause_turn` instead of failing (see `turn`), so an error answer always comes
//! before any side effect.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A cause kept with an error.
pub type Source = Arc<dyn std::error::Error + Send + Sync>;

/// An error answer of the Messages API.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The error's `type`, `invalid_request_error` say.
    pub kind: &'static str,
    /// What went wrong and what to do.
    pub message: String,
    /// Seconds the client should wait before trying again (`retry-after`).
    pub retry_after: Option<u64>,
    /// What caused it (an SDK error of Bedrock or AgentCore), for the logs.
    #[source]
    pub source: Option<Source>,
}

impl ApiError {
    fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into(), retry_after: None, source: None }
    }

    /// 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message)
    }

    /// 401 `authentication_error`.
    pub fn authentication(message: impl Into<String>) -> Self {
        Self::new(401, "authentication_error", message)
    }

    /// 403 `permission_error`.
    pub fn permission(message: impl Into<String>) -> Self {
        Self::new(403, "permission_error", message)
    }

    /// 404 `not_found_error`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found_error", message)
    }

    /// 413 `request_too_large`.
    pub fn request_too_large(message: impl Into<String>) -> Self {
        Self::new(413, "request_too_large", message)
    }

    /// 429 `rate_limit_error`, to be tried again after `retry_after` seconds.
    pub fn rate_limit(message: impl Into<String>, retry_after: u64) -> Self {
        Self { retry_after: Some(retry_after), ..Self::new(429, "rate_limit_error", message) }
    }

    /// 500 `api_error`.
    pub fn api(message: impl Into<String>) -> Self {
        Self::new(500, "api_error", message)
    }

    /// 504 `timeout_error`.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(504, "timeout_error", message)
    }

    /// 529 `overloaded_error`.
    pub fn overloaded(message: impl Into<String>) -> Self {
        Self::new(529, "overloaded_error", message)
    }

    /// The same error, with its cause kept.
    pub fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Whether the same request may succeed later (throttled, overloaded, a fault or
    /// a time-out on the service's side), as the SDKs decide from the status.
    pub fn transient(&self) -> bool {
        matches!(self.status, 408 | 409 | 429) || self.status >= 500
    }

    /// The `error` event of a stream that already started.
    pub fn event(&self, request_id: &str) -> serde_json::Value {
        json!({"type": "error", "error": {"type": self.kind, "message": self.message},
               "request_id": request_id})
    }
}

impl IntoResponse for ApiError {
    /// The status and body; the `request-id` layer adds the id to both.
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({"type": "error", "error": {"type": self.kind, "message": self.message}});
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        let retry = if self.transient() { "true" } else { "false" };
        headers.insert("x-should-retry", HeaderValue::from_static(retry));
        if let Some(seconds) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_errors_invite_a_retry() {
        for (error, retry) in [
            (ApiError::invalid_request("x"), "false"),
            (ApiError::permission("x"), "false"),
            (ApiError::rate_limit("x", 2), "true"),
            (ApiError::overloaded("x"), "true"),
            (ApiError::api("x"), "true"),
        ] {
            let response = error.clone().into_response();
            assert_eq!(response.headers()["x-should-retry"], retry, "{error}");
        }
        let throttled = ApiError::rate_limit("slow down", 2).into_response();
        assert_eq!(throttled.status(), 429);
        assert_eq!(throttled.headers()["retry-after"], "2");
    }
}
