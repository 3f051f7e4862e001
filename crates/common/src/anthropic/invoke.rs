//! InvokeModel with an Anthropic Messages body, once or as a tool-use loop.

use std::time::Instant;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::primitives::Blob;

use super::types::{
    ContentBlock, Message, MessagesRequest, MessagesResponse, Role, StopReason, SystemPrompt, Tool,
};
use crate::error::Error;
use crate::report::Usage;
use crate::tool_loop::{LoopEvent, LoopReport, ToolHandler};

/// One InvokeModel call: the request as the JSON body, the response parsed.
pub async fn invoke_model(
    client: &Client, model_id: &str, request: &MessagesRequest,
) -> Result<MessagesResponse, Error> {
    let body = serde_json::to_vec(request).map_err(Error::json("write the InvokeModel body"))?;
    let response = client
        .invoke_model()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .send()
        .await
        .map_err(|err| Error::sdk("InvokeModel", err))?;
    serde_json::from_slice(response.body().as_ref())
        .map_err(Error::json("read the InvokeModel response body"))
}

/// The settings of an InvokeModel tool-use loop. `request` is the template of
/// every call (version, `max_tokens`, `system`, `tools`); its messages are
/// replaced by the conversation.
#[derive(Debug, Clone)]
pub struct InvokeModelLoop {
    /// Model id or inference profile.
    pub model_id: String,
    /// The body template.
    pub request: MessagesRequest,
    /// Most model calls before [`Error::TurnLimit`] (default 10).
    pub max_turns: usize,
}

impl InvokeModelLoop {
    /// A loop with `anthropic_version` `bedrock-2023-05-31` and `max_tokens` 4096.
    pub fn new(model_id: impl Into<String>) -> Self {
        Self {
            model_id: model_id.into(),
            request: MessagesRequest::bedrock(4096, Vec::new()),
            max_turns: 10,
        }
    }

    /// Sets the system prompt (a string, or blocks with `cache_control`).
    pub fn system(mut self, system: SystemPrompt) -> Self {
        self.request.system = Some(system);
        self
    }

    /// Sets the tools.
    pub fn tools(mut self, tools: Vec<Tool>) -> Self {
        self.request.tools = tools;
        self
    }

    /// Sets `max_tokens`.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.request.max_tokens = max_tokens;
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
        let mut request = self.request.clone();
        request.messages = messages;
        let mut report = LoopReport::new(Vec::new());
        loop {
            report.next_turn(self.max_turns)?;
            on_event(LoopEvent::ModelCall { round_trip: report.round_trips });
            let response = invoke_model(client, &self.model_id, &request).await?;
            let usage = Usage::from(&response.usage);
            report.usage += usage;
            let stop_reason = response.stop_reason.as_ref().map_or("none", StopReason::as_str);
            on_event(LoopEvent::ModelResponse {
                round_trip: report.round_trips,
                stop_reason,
                usage,
            });
            request.messages.push(response.to_message());

            if response.stop_reason != Some(StopReason::ToolUse) {
                report.answer = response.text();
                report.stop_reason = stop_reason.to_owned();
                report.messages = request.messages;
                report.wall_time = started.elapsed();
                return Ok(report);
            }

            let mut results = Vec::new();
            for block in &response.content {
                let ContentBlock::ToolUse { id, name, input } = block else {
                    continue;
                };
                on_event(LoopEvent::ToolCall { id, name, input });
                let output = handler.call(name, input.clone()).await;
                report.tool_calls += 1;
                if let Some(expired) = output.expired_error() {
                    return Err(expired);
                }
                on_event(LoopEvent::ToolResult { id, name, output: &output });
                results.push(ContentBlock::tool_result(id, output.text, output.is_error));
            }
            if results.is_empty() {
                return Err(Error::UnexpectedResponse(
                    "stop_reason tool_use without a tool_use block".to_owned(),
                ));
            }
            request.messages.push(Message { role: Role::User, content: results });
        }
    }
}
