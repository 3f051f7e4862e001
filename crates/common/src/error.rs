//! The one error type of this crate.
//!
//! `Display` says what failed in our words and never repeats the cause; the cause
//! (an SDK error, an I/O error, ...) is kept as the `source`, so print errors with
//! the whole chain: `{:#}` with anyhow, or
//! `aws_smithy_types::error::display::DisplayErrorContext`.

use std::time::Duration;

use aws_sdk_bedrockagentcore::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::operation::BuildError;

/// A boxed error that can cross threads, the shape every SDK error is kept in.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in `common`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No credentials were found in the default chain.
    #[error(
        "no AWS credentials found: configure AWS credentials (aws configure, AWS_PROFILE or SSO) \
         or add --local to run offline against the embedded emulator"
    )]
    NoCredentials(#[source] BoxError),

    /// The embedded emulator (`--local`) did not start.
    #[error("could not start the embedded emulator")]
    Emulator(#[source] BoxError),

    /// `--local` in a build without the embedded emulator.
    #[error(
        "--local needs the embedded emulator, which this build does not have: build with the \
         default `local` feature on Linux or macOS (on Windows, use WSL), or drop --local to \
         run against AWS"
    )]
    LocalUnavailable,

    /// An AWS API call failed; `operation` is the API's name.
    #[error("{operation} failed")]
    Sdk {
        /// The API call, `Converse` say.
        operation: &'static str,
        /// The SDK's error, with its causes.
        #[source]
        source: BoxError,
    },

    /// The model service refused the model id: unknown, retired, not offered in
    /// this region, or not callable without an inference profile.
    #[error(
        "{operation}: the model is not available; choose a current model with --model or \
         BEDROCK_MODEL_ID"
    )]
    ModelUnavailable {
        /// The API call, `Converse` say.
        operation: &'static str,
        /// The service's own message.
        message: String,
        /// The SDK's error, with its causes.
        #[source]
        source: BoxError,
    },

    /// An AWS API call kept failing with a transient error (throttling, a 5xx, a
    /// timeout) until the SDK's retry policy gave up.
    #[error("{operation} failed after {attempts} attempts ({reason} each time; retries exhausted)")]
    RetriesExhausted {
        /// The API call, `Converse` say.
        operation: &'static str,
        /// Attempts made, the first one included.
        attempts: u32,
        /// `throttled`, `server error`, `timed out` or `connection failed`.
        reason: &'static str,
        /// The last attempt's error.
        #[source]
        source: BoxError,
    },

    /// The code-interpreter session ended (its timeout passed, or it was stopped)
    /// while this program was still using it.
    #[error(
        "the code-interpreter session {session_id} has ended (expired or stopped elsewhere) \
         while still in use; start a new session"
    )]
    SessionExpired {
        /// The session that ended.
        session_id: String,
        /// What said so (the service's `ResourceNotFoundException`).
        #[source]
        source: BoxError,
    },

    /// A response stream went quiet for longer than the read timeout.
    #[error("{operation}: no data for {after:?} (read timeout); the call was abandoned")]
    Timeout {
        /// The call whose stream went quiet.
        operation: &'static str,
        /// The read timeout.
        after: Duration,
    },

    /// An SDK value could not be built (a required member is missing).
    #[error("could not build {what}")]
    Build {
        /// What was being built.
        what: &'static str,
        /// The builder's error.
        #[source]
        source: BuildError,
    },

    /// JSON could not be written or read.
    #[error("could not {action}")]
    Json {
        /// What was being done, `read the InvokeModel response body` say.
        action: &'static str,
        /// serde's error.
        #[source]
        source: serde_json::Error,
    },

    /// A model answer did not have the shape the loop needs.
    #[error("unexpected model response: {0}")]
    UnexpectedResponse(
        /// What was wrong with it.
        String,
    ),

    /// The model still asked for tools after the allowed number of calls.
    #[error("no final answer after {max_turns} model calls (the loop's turn limit)")]
    TurnLimit {
        /// The limit.
        max_turns: usize,
    },

    /// No Anthropic API key was given (example 00 against the real API).
    #[error(
        "ANTHROPIC_API_KEY is not set: export your Anthropic API key, or add --local to run \
         offline against the embedded emulator"
    )]
    NoAnthropicKey,

    /// The Anthropic API could not be reached or its answer not read.
    #[error("calling the Anthropic API at {url} failed")]
    Http {
        /// The URL called.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },

    /// The Anthropic API answered with an error body.
    #[error("the Anthropic API answered {status} {kind}: {message}")]
    AnthropicApi {
        /// The HTTP status.
        status: u16,
        /// The error's `type`, `invalid_request_error` say.
        kind: String,
        /// The API's message.
        message: String,
    },

    /// The Anthropic API does not know the model (unknown or retired).
    #[error(
        "the Anthropic API does not serve this model ({message}); choose a current model with \
         --model or BEDROCK_MODEL_ID"
    )]
    AnthropicModelUnavailable {
        /// The API's message.
        message: String,
    },

    /// Ctrl-C arrived while a session was open; the session was stopped.
    #[error("interrupted by Ctrl-C (the session was stopped)")]
    Interrupted,
}

impl Error {
    /// Wraps an SDK error of the named operation. An error the SDK retries
    /// (throttling, 5xx, timeouts) reached us only after the last attempt, so it
    /// becomes [`Error::RetriesExhausted`].
    ///
    /// [`crate::config::NOT_RETRIED`] is tried once unless it was throttled, so its
    /// other transient errors stay [`Error::Sdk`].
    pub fn sdk<S: SdkFailure>(operation: &'static str, source: S) -> Self {
        if let Some(message) = source.model_refusal() {
            return Self::ModelUnavailable { operation, message, source: source.into_box() };
        }
        let reason = source
            .transient_reason()
            .filter(|reason| operation != crate::config::NOT_RETRIED || *reason == "throttled");
        match reason {
            Some(reason) => Self::RetriesExhausted {
                operation,
                attempts: crate::config::MAX_ATTEMPTS,
                reason,
                source: source.into_box(),
            },
            None => Self::Sdk { operation, source: source.into_box() },
        }
    }

    /// Wraps an error read from a response stream (never retried by the SDK).
    pub fn stream(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Sdk { operation, source: source.into() }
    }

    /// True for [`Error::SessionExpired`].
    /// Wraps a failed `InvokeCodeInterpreter` call on session `session_id`: "not
    /// found" means the session has ended ([`Error::SessionExpired`]).
    /// Errors read from the call's event stream are classified the same way.
    pub fn invoke<E, R>(session_id: &str, source: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        if source.code() == Some("ResourceNotFoundException") {
            return Self::SessionExpired {
                session_id: session_id.to_owned(),
                source: source.into(),
            };
        }
        Self::sdk("InvokeCodeInterpreter", source)
    }

    /// Whether the session ended under its user ([`Error::SessionExpired`]).
    pub fn is_session_expired(&self) -> bool {
        matches!(self, Self::SessionExpired { .. })
    }

    /// Wraps a builder's error; `what` names what was being built.
    pub fn build(what: &'static str) -> impl FnOnce(BuildError) -> Self {
        move |source| Self::Build { what, source }
    }

    pub(crate) fn json(action: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| Self::Json { action, source }
    }
}

/// What [`Error::sdk`] needs to know of an SDK error: implemented for every
/// service's `SdkError`.
pub trait SdkFailure: Into<BoxError> {
    /// `Some(reason)` when the SDK's standard retry policy retries this error.
    fn transient_reason(&self) -> Option<&'static str>;
    /// The error code of a service error (`ThrottlingException`, ...).
    fn error_code(&self) -> Option<&str>;
    /// The service's message when the error says the model id cannot be used.
    fn model_refusal(&self) -> Option<String>;
    /// Boxes the error.
    fn into_box(self) -> BoxError {
        self.into()
    }
}

/// Error codes the standard retry policy treats as throttling or as a transient
/// server fault.
const THROTTLING_CODES: [&str; 6] = [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
];
const SERVER_CODES: [&str; 5] = [
    "InternalServerException",
    "ServiceUnavailableException",
    "ServiceFailure",
    "ServiceUnavailable",
    "InternalFailure",
];

impl<E, R> SdkFailure for SdkError<E, R>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn transient_reason(&self) -> Option<&'static str> {
        match self {
            SdkError::TimeoutError(_) => Some("timed out"),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => Some("timed out"),
            SdkError::DispatchFailure(failure) if failure.is_io() => Some("connection failed"),
            SdkError::ServiceError(_) => match self.error_code() {
                Some(code) if THROTTLING_CODES.contains(&code) => Some("throttled"),
                Some(code) if SERVER_CODES.contains(&code) => Some("server error"),
                _ => None,
            },
            _ => None,
        }
    }

    fn error_code(&self) -> Option<&str> {
        ProvideErrorMetadata::code(self)
    }

    fn model_refusal(&self) -> Option<String> {
        let message = ProvideErrorMetadata::message(self)?;
        let refused = MODEL_REFUSALS.iter().any(|(code, words)| {
            self.error_code() == Some(*code) && message.to_lowercase().contains(words)
        });
        refused.then(|| message.to_owned())
    }
}

/// Error codes and words of Bedrock's answers to a model id it will not run:
/// an unknown id, a retired model, a model that needs an inference profile, and
/// a model the account has no access to.
const MODEL_REFUSALS: [(&str, &str); 4] = [
    ("ValidationException", "model identifier is invalid"),
    ("ResourceNotFoundException", "end of its life"),
    ("ValidationException", "on-demand throughput isn"),
    ("AccessDeniedException", "access to the model"),
];
