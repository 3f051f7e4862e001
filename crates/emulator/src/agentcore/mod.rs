//! Amazon Bedrock AgentCore Code Interpreter: the control plane (code interpreters)
//! and the data plane (sessions and their tools).

pub mod control;
pub mod invoke;
pub mod sessions;

use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AwsError;

/// The id of the system code interpreter every account has.
pub const SYSTEM_INTERPRETER_ID: &str = "aws.codeinterpreter.v1";

/// Parses a REST-JSON request body; an empty body reads as `{}` (botocore sends none
/// when every member is in the path or query).
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { body };
    serde_json::from_slice(body).map_err(|err| {
        AwsError::cannot_parse(format!("request body is not valid for this operation: {err}"))
    })
}

/// RFC 3339 with a `Z`, the timestamp form the SDKs parse.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// The id part of an identifier that may be an id or an ARN.
pub fn interpreter_id_of(identifier: &str) -> &str {
    if identifier.starts_with("arn:") {
        identifier.rsplit('/').next().unwrap_or(identifier)
    } else {
        identifier
    }
}
