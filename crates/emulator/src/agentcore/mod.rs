//! Amazon Bedrock AgentCore Code Interpreter: the control plane (code interpreters)
//! and the data plane (sessions and their tools). One handler per operation; the
//! data they act on is in [`crate::store`].

pub mod control;
pub mod invoke;
mod results;
pub mod sessions;
pub mod wire;
