//! The plumbing shared by the migration examples: configuration and clients,
//! the AgentCore Code Interpreter session, the tool-use loops for Converse and
//! InvokeModel, a streaming [`agent::Agent`], the Anthropic Messages types, and
//! the `--json` report.
//!
//! Nothing prints to stdout but [`example::Printer`], which the examples use for
//! what the reader sees. Logs go through `tracing` (see [`init_tracing`]).

#![warn(missing_docs)]

pub mod agent;
pub mod anthropic;
pub mod cancel;
pub mod config;
pub mod converse;
pub mod document;
mod error;
pub mod example;
#[cfg(all(feature = "local", unix))]
mod local;
pub mod models;
mod printer;
pub mod report;
pub mod session;
pub mod tool_loop;
pub mod tools;
pub mod usage;

pub use config::{AnthropicEndpoint, Clients, CommonArgs, init_tracing};
pub use error::{BoxError, Error, SdkFailure};
pub use report::JsonReport;
pub use session::{
    CodeInterpreterSession, ExecutionResult, FileContent, FileLink, FileResource, Language,
    SessionConfig, with_session,
};
pub use tool_loop::{LoopEvent, LoopReport, ToolHandler, ToolOutput};
pub use usage::Usage;

/// The prompt that examples 00 to 04 send.
pub const STATS_PROMPT: &str =
    "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";

/// The Bedrock model used unless `--model` or `BEDROCK_MODEL_ID` says otherwise
/// ([`models::BEDROCK_MODEL_ID`]).
pub const DEFAULT_MODEL_ID: &str = models::BEDROCK_MODEL_ID;

/// The system code interpreter every account has.
pub use agentcore_session::SYSTEM_INTERPRETER_ID;
