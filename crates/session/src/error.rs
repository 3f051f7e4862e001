//! What can go wrong with a session. `Display` says what failed in our words and
//! never repeats the cause; the cause is kept as the `source`.

use std::time::Duration;

use aws_smithy_types::error::operation::BuildError;

use crate::failure::{BoxError, SdkFailure};
use crate::policy::{MAX_ATTEMPTS, NOT_RETRIED};

/// A failed session call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An AWS API call failed; `operation` is the API's name.
    #[error("{operation} failed")]
    Sdk {
        /// The API call, `InvokeCodeInterpreter` say.
        operation: &'static str,
        /// The SDK's error, with its causes.
        #[source]
        source: BoxError,
    },

    /// An AWS API call kept failing with a transient error (throttling, a 5xx, a
    /// timeout) until the SDK's retry policy gave up.
    #[error("{operation} failed after {attempts} attempts ({reason} each time; retries exhausted)")]
    RetriesExhausted {
        /// The API call.
        operation: &'static str,
        /// Attempts made, the first one included.
        attempts: u32,
        /// `throttled`, `server error`, `timed out` or `connection failed`.
        reason: &'static str,
        /// The last attempt's error.
        #[source]
        source: BoxError,
    },

    /// The session ended (its timeout passed, or it was stopped) while still in use.
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
}

impl Error {
    /// Wraps an SDK error of the named operation. An error the SDK retries
    /// (throttling, 5xx, timeouts) reached us only after the last attempt, so it
    /// becomes [`Error::RetriesExhausted`]; [`NOT_RETRIED`] is tried once unless it
    /// was throttled, so its other transient errors stay [`Error::Sdk`].
    pub fn sdk<S: SdkFailure>(operation: &'static str, source: S) -> Self {
        let reason = source
            .transient_reason()
            .filter(|reason| operation != NOT_RETRIED || *reason == "throttled");
        match reason {
            Some(reason) => Self::RetriesExhausted {
                operation,
                attempts: MAX_ATTEMPTS,
                reason,
                source: source.into_box(),
            },
            None => Self::Sdk { operation, source: source.into_box() },
        }
    }

    /// Wraps a failed call on session `session_id`: the service's "not found"
    /// means the session has ended ([`Error::SessionExpired`]).
    pub fn on_session<S: SdkFailure>(operation: &'static str, session_id: &str, source: S) -> Self {
        if source.error_code() == Some("ResourceNotFoundException") {
            return Self::SessionExpired {
                session_id: session_id.to_owned(),
                source: source.into_box(),
            };
        }
        Self::sdk(operation, source)
    }

    /// Wraps an error read from a call's event stream (the SDK never retries
    /// those): on session `session_id`, "not found" means the session ended while
    /// the call ran.
    pub fn stream<S: SdkFailure>(
        operation: &'static str, session_id: Option<&str>, source: S,
    ) -> Self {
        match session_id {
            Some(id) if source.error_code() == Some("ResourceNotFoundException") => {
                Self::SessionExpired { session_id: id.to_owned(), source: source.into_box() }
            }
            _ => Self::Sdk { operation, source: source.into_box() },
        }
    }

    /// Wraps a builder's error; `what` names what was being built.
    pub fn build(what: &'static str) -> impl FnOnce(BuildError) -> Self {
        move |source| Self::Build { what, source }
    }

    /// Whether the session ended under its user ([`Error::SessionExpired`]).
    pub fn is_session_expired(&self) -> bool {
        matches!(self, Self::SessionExpired { .. })
    }
}
