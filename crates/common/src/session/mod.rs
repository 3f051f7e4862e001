//! An AgentCore Code Interpreter session that is always stopped: the project's
//! session client ([`agentcore_session::Session`]) in a guard.
//!
//! `stop(self)` is the cleanup and consumes the session. [`with_session`] wraps a
//! body so that the stop is always awaited (on success, error, panic and Ctrl-C).
//! Dropping a session that was not stopped only warns and spawns a best-effort stop.

mod guard;
mod scope;

pub use agentcore_session::{
    ExecutionResult, FileContent, FileLink, FileResource, Language, SessionConfig,
};
pub use guard::CodeInterpreterSession;
pub use scope::with_session;
