//! The one error type of this crate.
//!
//! `Display` says what failed in our words and never repeats the cause; the cause
//! (an SDK error, an I/O error, ...) is kept as the `source`, so print errors with
//! the whole chain: `{:#}` with anyhow, or
//! `aws_smithy_types::error::display::DisplayErrorContext`.

use std::time::Duration;

pub use agentcore_session::{BoxError, SdkFailure};
use aws_smithy_types::error::operation::BuildError;

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
    /// Wraps an SDK error of the named operation: a model id Bedrock will not run is
    /// [`Error::ModelUnavailable`]; an error the SDK retries (throttling, 5xx,
    /// timeouts) reached us only after the last attempt, so it becomes
    /// [`Error::RetriesExhausted`] (see [`agentcore_session::Error::sdk`]).
    pub fn sdk<S: SdkFailure>(operation: &'static str, source: S) -> Self {
        if let Some(message) = model_refusal(&source) {
            return Self::ModelUnavailable { operation, message, source: source.into_box() };
        }
        agentcore_session::Error::sdk(operation, source).into()
    }

    /// Wraps an error read from a response stream (never retried by the SDK).
    pub fn stream(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Sdk { operation, source: source.into() }
    }

    /// Wraps a failed `InvokeCodeInterpreter` call on session `session_id`: "not
    /// found" means the session has ended ([`Error::SessionExpired`]). Errors read
    /// from the call's event stream are classified the same way.
    pub fn invoke<S: SdkFailure>(session_id: &str, source: S) -> Self {
        agentcore_session::Error::on_session("InvokeCodeInterpreter", session_id, source).into()
    }

    /// Whether the session ended under its user ([`Error::SessionExpired`]).
    pub fn is_session_expired(&self) -> bool {
        matches!(self, Self::SessionExpired { .. })
    }

    /// Wraps a builder's error; `what` names what was being built.
    pub fn build(what: &'static str) -> impl FnOnce(BuildError) -> Self {
        move |source| Self::Build { what, source }
    }

    /// Wraps serde's error; `action` says what was being done ("read the InvokeModel
    /// response body").
    pub fn json(action: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| Self::Json { action, source }
    }
}

/// The session crate's errors, as this crate's variants of the same names.
impl From<agentcore_session::Error> for Error {
    fn from(err: agentcore_session::Error) -> Self {
        use agentcore_session::Error as Session;
        match err {
            Session::Sdk { operation, source } => Self::Sdk { operation, source },
            Session::RetriesExhausted { operation, attempts, reason, source } => {
                Self::RetriesExhausted { operation, attempts, reason, source }
            }
            Session::SessionExpired { session_id, source } => {
                Self::SessionExpired { session_id, source }
            }
            Session::Timeout { operation, after } => Self::Timeout { operation, after },
            Session::Build { what, source } => Self::Build { what, source },
            other => Self::Sdk { operation: "AgentCore", source: Box::new(other) },
        }
    }
}

/// The service's message when `source` says the model id cannot be used.
fn model_refusal<S: SdkFailure>(source: &S) -> Option<String> {
    let message = source.service_message()?;
    let refused = MODEL_REFUSALS.iter().any(|(code, words)| {
        source.error_code() == Some(*code) && message.to_lowercase().contains(words)
    });
    refused.then(|| message.to_owned())
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
