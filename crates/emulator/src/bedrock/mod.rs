//! Bedrock Runtime: Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream and
//! CountTokens,
//! answered by the scripted model ([`crate::model`]).
//!
//! Every operation converts its body into a [`crate::model::Conversation`], asks
//! [`crate::model::ModelService::respond`], and writes the reply back in its own format. A body
//! that cannot be read, or a conversation no transcript matches, is a `ValidationException`
//! whose message says what is wrong.

pub mod converse;
pub mod converse_types;
pub mod count_tokens;
pub mod invoke;

use axum::http::StatusCode;

use crate::error::AwsError;
use crate::model::ModelError;
use crate::model::catalog::{self, Refusal};

/// Bedrock's `ValidationException` (400, `{"message"}` only).
fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "ValidationException", message)
}

/// Bedrock's answer to a model id it will not run ([`catalog`]).
fn check_model(model_id: &str) -> Result<(), AwsError> {
    catalog::check_bedrock(model_id).map_err(|refusal| match refusal {
        Refusal::Invalid(message) => validation(message),
        Refusal::NotFound(message) => {
            AwsError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
        }
    })
}

/// The AWS error for a model failure.
fn model_error(err: ModelError) -> AwsError {
    match err {
        ModelError::NoTranscript(nt) => validation(nt.to_string()),
        ModelError::Rejected { message } => validation(message),
        ModelError::InvalidRequest { reason } => {
            validation(format!("The request body is not valid: {reason}"))
        }
        other => {
            tracing::error!(error = %other, "scripted model failed");
            AwsError::internal(other.to_string())
        }
    }
}

/// Milliseconds since `start`, for `latencyMs`.
fn elapsed_ms(start: std::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
