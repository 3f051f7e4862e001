//! The Anthropic Messages API (`POST /v1/messages`) with the server-side code
//! execution tool, for example 00 and for clients of Anthropic's own SDKs.

pub mod containers;
mod error;
mod messages;
mod server_tools;

pub use error::AnthropicError;
pub use messages::create_message;
