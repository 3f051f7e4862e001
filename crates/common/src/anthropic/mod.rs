//! The Anthropic Messages format (shared by the Anthropic API and Bedrock's
//! InvokeModel for Claude; the types are the `messages` crate's) and a tool-use
//! loop over InvokeModel.

mod api;
mod invoke;

pub use api::{ANTHROPIC_VERSION, AnthropicApi, create_message};
pub use invoke::{InvokeModelLoop, invoke_model};
pub use messages::{
    BEDROCK_ANTHROPIC_VERSION, CacheControl, CodeOutput, Container, ContainerRef, ContentBlock,
    CustomTool, Message, MessagesRequest, MessagesResponse, Role, ServerTool, ServerToolResult,
    StopReason, SystemPrompt, Tool, Usage, text_of,
};

impl From<&Usage> for crate::usage::Usage {
    fn from(usage: &Usage) -> Self {
        Self {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens,
            cache_write_input_tokens: usage.cache_creation_input_tokens,
        }
    }
}
