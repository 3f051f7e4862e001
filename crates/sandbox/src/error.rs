//! The sandbox's error type.

use std::io;

/// Everything that can go wrong in a sandbox operation.
///
/// Callers map [`SandboxError::PathOutsideSession`] and [`SandboxError::InvalidPath`] to a
/// `ValidationException`, [`SandboxError::NotFound`] and [`SandboxError::TaskNotFound`] to a
/// `ResourceNotFoundException`, and the rest to an internal error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The path resolves (lexically or through a symlink) outside the session directory.
    #[error("path {path:?} is outside the session directory")]
    PathOutsideSession { path: String },
    /// The path is inside the session but cannot be used for this operation.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath { path: String, reason: String },
    /// No file or directory at this path.
    #[error("no such file or directory: {path}")]
    NotFound { path: String },
    /// No background task with this id.
    #[error("no task with id {id}")]
    TaskNotFound { id: String },
    /// The task has already ended, so it cannot be stopped.
    #[error("task {id} is {} and cannot be canceled", status.as_str())]
    TaskNotRunning { id: String, status: crate::types::TaskStatus },
    /// A runtime needed for the request is not installed; the text says what to install.
    #[error("{what}")]
    Unsupported { what: String },
    /// The sandbox was shut down.
    #[error("the sandbox has been shut down")]
    Closed,
    /// A file-system operation failed.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// A process could not be started.
    #[error("could not start {program}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    /// The persistent interpreter died or answered something unexpected.
    #[error("interpreter protocol error: {message}")]
    Protocol {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Creating the provisioned Python environment failed.
    #[error("provisioning the sandbox Python failed: {message}")]
    Provision {
        message: String,
        #[source]
        source: Option<io::Error>,
    },
}

impl SandboxError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        SandboxError::Io { context: context.into(), source }
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        SandboxError::Protocol { message: message.into(), source: None }
    }
}
