//! The model calls the bridge makes on Bedrock, and Bedrock's errors as the API's.
//!
//! A turn streams every model call (InvokeModelWithResponseStream): each `chunk` is
//! one event of the Anthropic stream, handed on as JSON, so events and blocks the
//! bridge does not know pass through as they came.

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use aws_sdk_bedrockruntime::types::{CountTokensInput, InvokeModelTokensRequest, ResponseStream};
use messages::MessagesRequest;
use serde_json::Value;

use crate::error::ApiError;
use crate::timing::Upstream;

/// Seconds a throttled client is asked to wait (Bedrock gives no figure).
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// Bedrock Runtime, as the bridge uses it.
#[derive(Debug, Clone)]
pub struct Bedrock {
    client: aws_sdk_bedrockruntime::Client,
}

/// One streaming model call: its events, as JSON, in order.
pub struct ModelStream {
    events: EventReceiver<ResponseStream, ResponseStreamError>,
}

impl std::fmt::Debug for ModelStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelStream").finish_non_exhaustive()
    }
}

impl ModelStream {
    /// The next event; `None` after the last.
    pub async fn next(&mut self) -> Option<Result<Value, ApiError>> {
        loop {
            let received = self.events.recv().upstream().await;
            let event = match received {
                Ok(Some(event)) => event,
                Ok(None) => return None,
                Err(err) => return Some(Err(stream_error(err))),
            };
            let ResponseStream::Chunk(part) = event else { continue };
            let Some(bytes) = part.bytes() else { continue };
            return Some(serde_json::from_slice(bytes.as_ref()).map_err(|err| {
                ApiError::api("Bedrock sent a stream event that is not JSON").caused_by(err)
            }));
        }
    }
}

impl Bedrock {
    /// On `client`.
    pub fn new(client: aws_sdk_bedrockruntime::Client) -> Self {
        Self { client }
    }

    /// Starts a streaming model call.
    pub async fn stream(
        &self, model_id: &str, body: &MessagesRequest,
    ) -> Result<ModelStream, ApiError> {
        let json = serde_json::to_vec(body)
            .map_err(|err| ApiError::api("writing the Bedrock body").caused_by(err))?;
        let output = self
            .client
            .invoke_model_with_response_stream()
            .model_id(model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(Blob::new(json))
            .send()
            .upstream()
            .await
            .map_err(|err| call_error("InvokeModelWithResponseStream", err))?;
        Ok(ModelStream { events: output.body })
    }

    /// Bedrock's CountTokens of the InvokeModel body the bridge would send.
    pub async fn count_tokens(
        &self, model_id: &str, body: &MessagesRequest,
    ) -> Result<i32, ApiError> {
        let json = serde_json::to_vec(body)
            .map_err(|err| ApiError::api("writing the Bedrock body").caused_by(err))?;
        let input = InvokeModelTokensRequest::builder()
            .body(Blob::new(json))
            .build()
            .map_err(|err| ApiError::api("building a CountTokens request").caused_by(err))?;
        let output = self
            .client
            .count_tokens()
            .model_id(foundation_model(model_id))
            .input(CountTokensInput::InvokeModel(input))
            .send()
            .upstream()
            .await
            .map_err(|err| call_error("CountTokens", err))?;
        Ok(output.input_tokens())
    }
}

/// CountTokens takes a base model id: an inference profile's id without its
/// geography (`global.anthropic.x` → `anthropic.x`).
fn foundation_model(model_id: &str) -> &str {
    const GEOGRAPHIES: [&str; 6] = ["global.", "us.", "eu.", "apac.", "jp.", "au."];
    GEOGRAPHIES.iter().find_map(|prefix| model_id.strip_prefix(prefix)).unwrap_or(model_id)
}

/// The API's error for a Bedrock error code (`ThrottlingException`, or the stream's
/// `throttlingException`) and message.
pub fn api_error(code: &str, message: &str) -> ApiError {
    let code = code.to_ascii_lowercase();
    match code.as_str() {
        "validationexception" => ApiError::invalid_request(message),
        "accessdeniedexception" => ApiError::permission(message),
        "resourcenotfoundexception" => ApiError::not_found(message),
        "throttlingexception" | "servicequotaexceededexception" => {
            ApiError::rate_limit(message, RETRY_AFTER_SECONDS)
        }
        "serviceunavailableexception" | "modelnotreadyexception" => ApiError::overloaded(message),
        "modeltimeoutexception" => ApiError::timeout(message),
        _ => ApiError::api(format!("Bedrock failed ({code}): {message}")),
    }
}

/// A failed call, as the API's error, its cause kept.
fn call_error<E, R>(operation: &str, err: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let error = match err.as_service_error() {
        Some(service) => api_error(
            service.code().unwrap_or_default(),
            service.message().unwrap_or("Bedrock refused the request"),
        ),
        // The request never got an answer (a time-out, a broken connection).
        None => ApiError::api(format!("Bedrock {operation} could not be reached")),
    };
    error.caused_by(err)
}

/// An error in the middle of a stream (an exception event, or a broken stream).
fn stream_error(
    err: SdkError<ResponseStreamError, aws_smithy_types::event_stream::RawMessage>,
) -> ApiError {
    call_error("InvokeModelWithResponseStream", err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bedrock_errors_become_the_apis() {
        for (code, status, kind) in [
            ("ValidationException", 400, "invalid_request_error"),
            ("AccessDeniedException", 403, "permission_error"),
            ("ThrottlingException", 429, "rate_limit_error"),
            ("throttlingException", 429, "rate_limit_error"),
            ("ServiceUnavailableException", 529, "overloaded_error"),
            ("ModelNotReadyException", 529, "overloaded_error"),
            ("ModelTimeoutException", 504, "timeout_error"),
            ("InternalServerException", 500, "api_error"),
            ("modelStreamErrorException", 500, "api_error"),
        ] {
            let error = api_error(code, "m");
            assert_eq!((error.status, error.kind), (status, kind), "{code}");
        }
        assert_eq!(api_error("ThrottlingException", "m").retry_after, Some(RETRY_AFTER_SECONDS));
        assert_eq!(
            foundation_model("global.anthropic.claude-sonnet-4-6"),
            "anthropic.claude-sonnet-4-6"
        );
    }
}
