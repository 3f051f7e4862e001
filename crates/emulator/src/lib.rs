//! Offline emulator of Amazon Bedrock Runtime, AgentCore Code Interpreter and the Anthropic API.

pub mod model;
