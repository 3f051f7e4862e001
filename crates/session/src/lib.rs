//! The one AgentCore Code Interpreter session client of the project, used by the
//! examples' library (`common`) and by the bridge: start a session, invoke any of
//! its tools and collect the event stream into one [`ExecutionResult`], stop it.
//!
//! [`policy`] holds how every AWS call is retried and timed out, and the
//! interceptor that keeps the SDK from retrying `InvokeCodeInterpreter` once an
//! attempt may have run code. [`Session`] is a plain handle (client and ids): it
//! stops nothing on drop; `common` wraps it in a guard that does.
//!
//! Layers, bottom up: [`failure`] (whether the SDK would have retried an error) and
//! [`policy`]; [`error`]; [`result`]; [`session`]. Each imports only those below it.

#![warn(missing_docs)]

pub mod error;
pub mod failure;
pub mod policy;
pub mod result;
pub mod session;

pub use error::Error;
pub use failure::{BoxError, SdkFailure};
pub use result::{ExecutionResult, FileLink, FileResource};
pub use session::{
    FileContent, Language, SYSTEM_INTERPRETER_ID, Session, SessionConfig, SessionInfo,
};
