//! InvokeModel with an Anthropic Messages body, once or as a tool-use loop.

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::primitives::Blob;

use crate::error::Error;
use crate::tool_loop::{
    LoopEvent, LoopReport, ModelApi, ModelReply, ToolCall, ToolHandler, ToolOutput, run_loop,
};
use crate::usage::Usage;
use messages::{
    ContentBlock, Message, MessagesRequest, MessagesResponse, Role, StopReason, SystemPrompt, Tool,
};

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

    /// Runs the conversation until the model stops asking for tools
    /// ([`crate::tool_loop::run_loop`]).
    pub async fn run<H: ToolHandler + ?Sized>(
        &self, client: &Client, messages: Vec<Message>, handler: &H,
        on_event: impl FnMut(LoopEvent<'_>),
    ) -> Result<LoopReport<Message>, Error> {
        let mut api = InvokeModelApi { client, settings: self };
        run_loop(&mut api, messages, self.max_turns, handler, on_event).await
    }
}

/// [`InvokeModelLoop`] as the loop's [`ModelApi`].
struct InvokeModelApi<'a> {
    client: &'a Client,
    settings: &'a InvokeModelLoop,
}

#[async_trait::async_trait]
impl ModelApi for InvokeModelApi<'_> {
    type Message = Message;
    const OPERATION: &'static str = "InvokeModel";

    async fn call(&mut self, messages: &[Message]) -> Result<ModelReply<Message>, Error> {
        let request =
            MessagesRequest { messages: messages.to_vec(), ..self.settings.request.clone() };
        let response = invoke_model(self.client, &self.settings.model_id, &request).await?;
        let tool_calls = (response.content.iter())
            .filter_map(|block| match block {
                ContentBlock::ToolUse { id, name, input, .. } => {
                    Some(ToolCall { id: id.clone(), name: name.clone(), input: input.clone() })
                }
                _ => None,
            })
            .collect();
        Ok(ModelReply {
            message: response.to_message(),
            stop_reason: response
                .stop_reason
                .as_ref()
                .map_or("none", StopReason::as_str)
                .to_owned(),
            wants_tools: response.stop_reason == Some(StopReason::ToolUse),
            tool_calls,
            text: response.text(),
            usage: Usage::from(&response.usage),
        })
    }

    fn tool_results(&self, results: Vec<(ToolCall, ToolOutput)>) -> Result<Message, Error> {
        let content = (results.into_iter())
            .map(|(call, output)| ContentBlock::tool_result(&call.id, output.text, output.is_error))
            .collect();
        Ok(Message { role: Role::User, content })
    }
}
