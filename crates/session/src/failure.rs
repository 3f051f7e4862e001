//! What a caller needs to know of any AWS SDK error: whether the SDK's standard
//! retry policy retries it (and so it reached us only after the last attempt), and
//! the service's error code and message.

use aws_sdk_bedrockagentcore::error::{ProvideErrorMetadata, SdkError};

/// A boxed error that can cross threads, the shape every SDK error is kept in.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Implemented for every service's `SdkError`.
pub trait SdkFailure: Into<BoxError> {
    /// `Some(reason)` when the SDK's standard retry policy retries this error:
    /// `throttled`, `server error`, `timed out` or `connection failed`.
    fn transient_reason(&self) -> Option<&'static str>;
    /// The error code of a service error (`ThrottlingException`, ...).
    fn error_code(&self) -> Option<&str>;
    /// The service's message, when it sent one.
    fn service_message(&self) -> Option<&str>;
    /// Boxes the error.
    fn into_box(self) -> BoxError {
        self.into()
    }
}

/// Error codes the standard retry policy treats as throttling.
const THROTTLING_CODES: [&str; 6] = [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
];

/// Error codes the standard retry policy treats as a transient server fault.
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

    fn service_message(&self) -> Option<&str> {
        ProvideErrorMetadata::message(self)
    }
}
