//! An offline emulator of the services the migration examples use: Amazon Bedrock
//! AgentCore Code Interpreter (data and control planes), Bedrock Runtime, IAM, STS
//! and the Anthropic Messages API.
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

pub mod agentcore;
pub mod anthropic;
pub mod auth;
pub mod bedrock;
pub mod config;
pub mod error;
pub mod eventstream;
pub mod faults;
mod handle;
pub mod iam;
pub mod model;
pub mod record;
pub mod sandbox;
pub mod server;
pub mod state;
mod sync;
mod validate;

pub use config::EmulatorConfig;
pub use faults::{Fault, FaultKind};
pub use handle::{Emulator, EmulatorBuilder, EmulatorError};
