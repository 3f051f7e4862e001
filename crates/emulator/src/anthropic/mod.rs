//! The Anthropic Messages API (`POST /v1/messages`).

mod error;

pub use error::AnthropicError;
