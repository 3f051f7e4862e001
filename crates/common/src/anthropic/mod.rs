//! The Anthropic Messages format (shared by the Anthropic API and Bedrock's
//! InvokeModel for Claude) and a tool-use loop over InvokeModel.

mod api;
mod invoke;
mod server_tools;
mod types;

pub use api::{ANTHROPIC_VERSION, create_message};
pub use invoke::{InvokeModelLoop, invoke_model};
pub use server_tools::{
    BashCodeExecutionContent, CodeExecutionContent, CodeOutput, OutputFile,
    TextEditorCodeExecutionContent,
};
pub use types::{
    BEDROCK_ANTHROPIC_VERSION, CacheControl, Container, ContentBlock, CustomTool, Message,
    MessagesRequest, MessagesResponse, Role, ServerTool, StopReason, SystemPrompt, Tool, Usage,
    text_of,
};

#[cfg(test)]
mod tests;
