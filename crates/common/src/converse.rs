//! A tool-use loop over the Bedrock Converse API, and the small helpers it is
//! built from (example 01 writes the same loop out by hand with these helpers).

use std::time::Instant;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::operation::converse::ConverseOutput;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, StopReason,
    SystemContentBlock, ToolConfiguration, ToolResultBlock, ToolResultContentBlock,
    ToolResultStatus, ToolUseBlock,
};

use crate::document;
use crate::error::Error;
use crate::report::Usage;
use crate::tool_loop::{LoopEvent, LoopReport, ToolHandler, ToolOutput};

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

    /// Runs the conversation until the model stops asking for tools.
    pub async fn run<H: ToolHandler + ?Sized>(
        &self, client: &Client, messages: Vec<Message>, handler: &H,
        mut on_event: impl FnMut(LoopEvent<'_>),
    ) -> Result<LoopReport<Message>, Error> {
        let started = Instant::now();
        let mut report = LoopReport::new(messages);
        loop {
            report.next_turn(self.max_turns)?;
            on_event(LoopEvent::ModelCall { round_trip: report.round_trips });
            let response = client
                .converse()
                .model_id(&self.model_id)
                .set_messages(Some(report.messages.clone()))
                .set_system((!self.system.is_empty()).then(|| self.system.clone()))
                .set_tool_config(self.tool_config.clone())
                .inference_config(
                    InferenceConfiguration::builder().max_tokens(self.max_tokens).build(),
                )
                .send()
                .await
                .map_err(|err| Error::sdk("Converse", err))?;
            let usage = response.usage().map(Usage::from).unwrap_or_default();
            report.usage += usage;
            let stop_reason = response.stop_reason().clone();
            on_event(LoopEvent::ModelResponse {
                round_trip: report.round_trips,
                stop_reason: stop_reason.as_str(),
                usage,
            });
            let message = reply_of(&response)?;
            report.messages.push(message.clone());

            if stop_reason != StopReason::ToolUse {
                report.answer = text_of(&message);
                report.stop_reason = stop_reason.as_str().to_owned();
                report.wall_time = started.elapsed();
                return Ok(report);
            }

            let mut results = Vec::new();
            for tool_use in tool_uses(&message) {
                let input = document::to_json(tool_use.input());
                on_event(LoopEvent::ToolCall {
                    id: tool_use.tool_use_id(),
                    name: tool_use.name(),
                    input: &input,
                });
                let output = handler.call(tool_use.name(), input.clone()).await;
                report.tool_calls += 1;
                if let Some(expired) = output.expired_error() {
                    return Err(expired);
                }
                on_event(LoopEvent::ToolResult {
                    id: tool_use.tool_use_id(),
                    name: tool_use.name(),
                    output: &output,
                });
                results.push(tool_result(tool_use.tool_use_id(), &output)?);
            }
            if results.is_empty() {
                return Err(Error::UnexpectedResponse(
                    "stop reason tool_use without a toolUse block".to_owned(),
                ));
            }
            report.messages.push(user_message(results)?);
        }
    }
}
