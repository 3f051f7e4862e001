//! An offline emulator of the services the migration examples use: Amazon Bedrock
//! AgentCore Code Interpreter (data and control planes), Bedrock Runtime, IAM and STS.
//! The Anthropic Messages API is the bridge's (`crates/bridge`), served on top of
//! this emulator's Bedrock and AgentCore.
//!
//! It is a real HTTP server on 127.0.0.1 speaking the services' wire protocols, so
//! the unmodified AWS SDK clients talk to it as they talk to AWS. Code runs for real
//! in a local sandbox; the model is scripted from transcripts.
//!
//! ```no_run
//! # async fn demo() -> Result<(), emulator::EmulatorError> {
//! let emulator = emulator::Emulator::start().await?;
//! println!("{}", emulator.endpoint());
//! # Ok(()) }
//! ```

mod agentcore;
mod auth;
mod bedrock;
mod config;
mod error;
mod eventstream;
mod faults;
mod handle;
mod iam;
mod model;
mod operations;
mod record;
mod server;
mod state;
mod store;
mod sync;
mod validate;

pub use config::EmulatorConfig;
#[doc(hidden)]
pub use eventstream::event_frame;
pub use faults::{Fault, FaultKind, SYNTAX as FAULT_SYNTAX};
pub use handle::{Emulator, EmulatorBuilder, EmulatorError};
pub use record::{RecordConfig, UpstreamAuth};
pub use sandbox::{
    IsolationMode, PackageSet, choose_isolation, default_cache_dir, describe_isolation, isolated,
    provision_python,
};
