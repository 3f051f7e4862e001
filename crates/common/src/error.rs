//! The one error type of this crate.
//!
//! `Display` says what failed in our words and never repeats the cause; the cause
//! (an SDK error, an I/O error, ...) is kept as the `source`, so print errors with
//! the whole chain: `{:#}` with anyhow, or
//! `aws_smithy_types::error::display::DisplayErrorContext`.

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
    Emulator(#[source] emulator::EmulatorError),

    /// An AWS API call failed; `operation` is the API's name.
    #[error("{operation} failed")]
    Sdk {
        operation: &'static str,
        #[source]
        source: BoxError,
    },

    /// An SDK value could not be built (a required member is missing).
    #[error("could not build {what}")]
    Build {
        what: &'static str,
        #[source]
        source: BuildError,
    },

    /// JSON could not be written or read.
    #[error("could not {action}")]
    Json {
        action: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// A model answer did not have the shape the loop needs.
    #[error("unexpected model response: {0}")]
    UnexpectedResponse(String),

    /// The model still asked for tools after the allowed number of calls.
    #[error("no final answer after {max_turns} model calls (the loop's turn limit)")]
    TurnLimit { max_turns: usize },

    /// No Anthropic API key was given (example 00 against the real API).
    #[error(
        "ANTHROPIC_API_KEY is not set: export your Anthropic API key, or add --local to run \
         offline against the embedded emulator"
    )]
    NoAnthropicKey,

    /// The Anthropic API could not be reached or its answer not read.
    #[error("calling the Anthropic API at {url} failed")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// The Anthropic API answered with an error body.
    #[error("the Anthropic API answered {status} {kind}: {message}")]
    AnthropicApi {
        status: u16,
        kind: String,
        message: String,
    },

    /// Ctrl-C arrived while a session was open; the session was stopped.
    #[error("interrupted by Ctrl-C (the session was stopped)")]
    Interrupted,
}

impl Error {
    /// Wraps an SDK error of the named operation.
    pub fn sdk(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Sdk {
            operation,
            source: source.into(),
        }
    }

    pub(crate) fn build(what: &'static str) -> impl FnOnce(BuildError) -> Self {
        move |source| Self::Build { what, source }
    }

    pub(crate) fn json(action: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| Self::Json { action, source }
    }
}
