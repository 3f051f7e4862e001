//! A tool-use loop over the Bedrock Converse API, and the small helpers it is
//! built from (example 01 writes the same loop out by hand with these helpers).

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::operation::converse::ConverseOutput;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, StopReason,
    SystemContentBlock, ToolConfiguration, ToolResultBlock, ToolResultContentBlock,
    ToolResultStatus, ToolUseBlock,
};

use crate::document;
use crate::error::Error;
use crate::tool_loop::{
    LoopEvent, LoopReport, ModelApi, ModelReply, ToolCall, ToolHandler, ToolOutput, run_loop,
};
use crate::usage::Usage;

/// A user message with one text block.
pub fn user_text(text: impl Into<String>) -> Result<Message, Error> {
    user_message(vec![ContentBlock::Text(text.into())])
}

/// A user message with these blocks (the tool results of one turn, say).
pub fn user_message(content: Vec<ContentBlock>) -> Result<Message, Error> {
    Message::builder()
        .role(ConversationRole::User)
        .set_content(Some(content))
        .build()
        .map_err(Error::build("a user message"))
}

/// The assistant message of a Converse response.
pub fn reply_of(response: &ConverseOutput) -> Result<Message, Error> {
    response
        .output()
        .and_then(|output| output.as_message().ok())
        .cloned()
        .ok_or_else(|| Error::UnexpectedResponse("Converse returned no message".to_owned()))
}

/// The text blocks of a message, joined with newlines.
pub fn text_of(message: &Message) -> String {
    message
        .content()
        .iter()
        .filter_map(|block| block.as_text().ok().map(String::as_str))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `toolUse` blocks of a message.
pub fn tool_uses(message: &Message) -> impl Iterator<Item = &ToolUseBlock> {
    message.content().iter().filter_map(|block| block.as_tool_use().ok())
}

/// A `toolResult` block answering `tool_use_id`: status success, or error with
/// the error text.
pub fn tool_result(tool_use_id: &str, output: &ToolOutput) -> Result<ContentBlock, Error> {
    let status = if output.is_error { ToolResultStatus::Error } else { ToolResultStatus::Success };
    let block = ToolResultBlock::builder()
        .tool_use_id(tool_use_id)
        .content(ToolResultContentBlock::Text(output.text.clone()))
        .status(status)
        .build()
        .map_err(Error::build("a toolResult block"))?;
    Ok(ContentBlock::ToolResult(block))
}

/// The settings of a Converse tool-use loop.
#[derive(Debug, Clone)]
pub struct ConverseLoop {
    /// Model id or inference profile.
    pub model_id: String,
    /// System prompt blocks (may include cache points).
    pub system: Vec<SystemContentBlock>,
    /// The tools the model may call.
    pub tool_config: Option<ToolConfiguration>,
    /// `maxTokens` of every call (default 4096).
    pub max_tokens: i32,
    /// Most model calls before [`Error::TurnLimit`] (default 10).
    pub max_turns: usize,
}

impl ConverseLoop {
    /// A loop with no system prompt and no tools.
    pub fn new(model_id: impl Into<String>) -> Self {
        Self {
            model_id: model_id.into(),
            system: Vec::new(),
            tool_config: None,
            max_tokens: 4096,
            max_turns: 10,
        }
    }

    /// Adds a text system prompt.
    pub fn system(mut self, text: impl Into<String>) -> Self {
        self.system.push(SystemContentBlock::Text(text.into()));
        self
    }

    /// Sets the tools.
    pub fn tools(mut self, tool_config: ToolConfiguration) -> Self {
        self.tool_config = Some(tool_config);
        self
    }

    /// Sets `maxTokens`.
    pub fn max_tokens(mut self, max_tokens: i32) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// Sets the bound on model calls.
    pub fn max_turns(mut self, max_turns: usize) -> Self {
        self.max_turns = max_turns;
        self
    }

    /// Runs the conversation until the model stops asking for tools
    /// ([`crate::tool_loop::run_loop`]).
    pub async fn run<H: ToolHandler + ?Sized>(
        &self, client: &Client, messages: Vec<Message>, handler: &H,
        on_event: impl FnMut(LoopEvent<'_>),
    ) -> Result<LoopReport<Message>, Error> {
        let mut api = ConverseApi { client, settings: self };
        run_loop(&mut api, messages, self.max_turns, handler, on_event).await
    }
}

/// [`ConverseLoop`] as the loop's [`ModelApi`].
struct ConverseApi<'a> {
    client: &'a Client,
    settings: &'a ConverseLoop,
}

#[async_trait::async_trait]
impl ModelApi for ConverseApi<'_> {
    type Message = Message;
    const OPERATION: &'static str = "Converse";

    async fn call(&mut self, messages: &[Message]) -> Result<ModelReply<Message>, Error> {
        let settings = self.settings;
        let response = self
            .client
            .converse()
            .model_id(&settings.model_id)
            .set_messages(Some(messages.to_vec()))
            .set_system((!settings.system.is_empty()).then(|| settings.system.clone()))
            .set_tool_config(settings.tool_config.clone())
            .inference_config(
                InferenceConfiguration::builder().max_tokens(settings.max_tokens).build(),
            )
            .send()
            .await
            .map_err(|err| Error::sdk("Converse", err))?;
        let message = reply_of(&response)?;
        Ok(ModelReply {
            tool_calls: tool_calls(&message),
            text: text_of(&message),
            message,
            stop_reason: response.stop_reason().as_str().to_owned(),
            wants_tools: *response.stop_reason() == StopReason::ToolUse,
            usage: response.usage().map(Usage::from).unwrap_or_default(),
        })
    }

    fn tool_results(&self, results: Vec<(ToolCall, ToolOutput)>) -> Result<Message, Error> {
        let blocks = results.iter().map(|(call, output)| tool_result(&call.id, output));
        user_message(blocks.collect::<Result<_, _>>()?)
    }
}

/// The `toolUse` blocks of a message as the loop's tool calls.
pub(crate) fn tool_calls(message: &Message) -> Vec<ToolCall> {
    tool_uses(message)
        .map(|tool_use| ToolCall {
            id: tool_use.tool_use_id().to_owned(),
            name: tool_use.name().to_owned(),
            input: document::to_json(tool_use.input()),
        })
        .collect()
}
