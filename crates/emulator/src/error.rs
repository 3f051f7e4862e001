//! Error responses in the shapes the AWS SDKs parse.
//!
//! REST-JSON services (AgentCore data and control planes, Bedrock Runtime) answer
//! with the `x-amzn-errortype` header and a `{"__type", "message"}` body; inside an
//! event stream the same error travels as an `exception` frame. IAM and STS use the
//! query protocol's `<ErrorResponse>` XML.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::eventstream;

/// An error in the REST-JSON shape.
#[derive(Debug, Clone)]
pub struct AwsError {
    status: StatusCode,
    code: String,
    message: String,
    fields: Map<String, Value>,
}

impl AwsError {
    /// Any modeled error: `code` is the shape name (`ValidationException`).
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_owned(), message: message.into(), fields: Map::new() }
    }

    /// Adds a modeled member to the body (`reason`, `fieldList`, ...).
    pub fn with_field(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_owned(), value);
        self
    }

    /// 400 `ValidationException` with reason `FieldValidationFailed`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
            .with_field("reason", json!("FieldValidationFailed"))
    }

    /// 400 `ValidationException` with reason `CannotParse` (the body is not what the operation takes).
    pub fn cannot_parse(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
            .with_field("reason", json!("CannotParse"))
    }

    /// 404 `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
    }

    /// 409 `ConflictException`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ConflictException", message)
    }

    /// 403 `AccessDeniedException`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
    }

    /// 500 `InternalServerException`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException", message)
    }

    fn body(&self) -> Value {
        let mut body = self.fields.clone();
        body.insert("__type".into(), json!(self.code));
        body.insert("message".into(), json!(self.message));
        Value::Object(body)
    }

    /// The same error as an event-stream `exception` frame, for errors raised after
    /// the stream has started. The frame's type is the union member name, which is
    /// the shape name in lowerCamel case.
    pub fn exception_frame(&self) -> Bytes {
        let mut member = self.code.clone();
        if let Some(first) = member.get_mut(0..1) {
            first.make_ascii_lowercase();
        }
        let mut body = self.fields.clone();
        body.insert("message".into(), json!(self.message));
        eventstream::exception_frame(&member, &Value::Object(body))
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        tracing::debug!(code = %self.code, message = %self.message, "error response");
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Ok(value) = HeaderValue::from_str(&self.code) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        response.headers_mut().insert(
            "x-amzn-requestid",
            HeaderValue::from_str(&new_request_id()).unwrap_or(HeaderValue::from_static("0")),
        );
        response
    }
}

/// An error in the query protocol's XML shape (IAM, STS).
#[derive(Debug, Clone)]
pub struct QueryError {
    status: StatusCode,
    code: String,
    message: String,
    xmlns: &'static str,
}

/// IAM's XML namespace.
pub const IAM_XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// STS's XML namespace.
pub const STS_XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

impl QueryError {
    /// `code` is the short query-protocol name (`NoSuchEntity`, not `NoSuchEntityException`).
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_owned(), message: message.into(), xmlns: IAM_XMLNS }
    }

    /// Uses STS's namespace instead of IAM's.
    pub fn sts(mut self) -> Self {
        self.xmlns = STS_XMLNS;
        self
    }
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let kind = if self.status.is_server_error() { "Receiver" } else { "Sender" };
        let request_id = new_request_id();
        let body = format!(
            "<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            self.xmlns,
            xml_escape(&self.code),
            xml_escape(&self.message),
        );
        (
            self.status,
            [(header::CONTENT_TYPE, "text/xml")],
            [("x-amzn-requestid", request_id)],
            body,
        )
            .into_response()
    }
}

/// Escapes text for an XML element body or attribute.
pub fn xml_escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// A fresh request id in the UUID form AWS uses.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_frame_uses_lower_camel_member_name() {
        let frame = AwsError::validation("bad").exception_frame();
        let message = aws_smithy_eventstream::frame::read_message_from(frame).unwrap();
        let exception =
            message.headers().iter().find(|h| h.name().as_str() == ":exception-type").unwrap();
        assert_eq!(exception.value().as_string().unwrap().as_str(), "validationException");
        let body: Value = serde_json::from_slice(message.payload()).unwrap();
        assert_eq!(body["reason"], "FieldValidationFailed");
        assert_eq!(body["message"], "bad");
    }
}
