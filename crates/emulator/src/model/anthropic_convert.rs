//! Conversions between the Anthropic Messages format and the neutral conversation.

use super::anthropic_types::{
    AnthropicUsage, BlockDelta, CacheControl, CacheCreation, ContentBlockParam, ContentParam,
    DeltaUsage, MessageDeltaBody, MessageResponse, MessageRole, MessagesRequest, ResponseBlock,
    ServerToolResultContent, StreamEvent, SystemParam, ToolResultBlock, ToolResultContent,
};
use super::error::ModelError;
use super::prompt::PromptBuilder;
use super::types::{Api, Block, CacheTtl, Conversation, Message, Reply, Role, ToolDef, Usage};

/// Prefix of server tool-use ids; a reply block with it becomes `server_tool_use`.
pub const SERVER_TOOL_USE_PREFIX: &str = "srvtoolu_";

fn invalid(reason: impl Into<String>) -> ModelError {
    ModelError::InvalidRequest { reason: reason.into() }
}

fn ttl(cc: &CacheControl, at: &str) -> Result<CacheTtl, ModelError> {
    if cc.kind != "ephemeral" {
        return Err(invalid(format!(
            "{at}.cache_control.type: expected \"ephemeral\", got {:?}",
            cc.kind
        )));
    }
    match cc.ttl.as_deref() {
        None => Ok(CacheTtl::FiveMinutes),
        Some(t) => CacheTtl::parse(t).ok_or_else(|| {
            invalid(format!("{at}.cache_control.ttl: expected \"5m\" or \"1h\", got {t:?}"))
        }),
    }
}

/// The text the model reads from a server tool result, and whether it is an error.
pub fn server_result_text(c: &ServerToolResultContent) -> (String, bool) {
    let mut parts = Vec::new();
    if let Some(out) = c.stdout.as_deref().filter(|s| !s.is_empty()) {
        parts.push(out.to_owned());
    }
    if let Some(err) = c.stderr.as_deref().filter(|s| !s.is_empty()) {
        parts.push(format!("stderr: {err}"));
    }
    if let Some(code) = &c.error_code {
        parts.push(format!("error: {code}"));
    }
    if let Some(msg) = &c.error_message {
        parts.push(msg.clone());
    }
    if let Some(text) = c.content.as_ref().and_then(|v| v.as_str()) {
        parts.push(text.to_owned());
    }
    if parts.is_empty() {
        parts.push(c.kind.clone());
    }
    let is_error = c.error_code.is_some() || c.return_code.is_some_and(|rc| rc != 0);
    (parts.join("\n"), is_error)
}

/// The Messages API refuses text blocks that are empty or only white space, in
/// messages and in tool results alike.
fn check_text(text: &str) -> Result<(), ModelError> {
    let message = if text.is_empty() {
        "messages: text content blocks must be non-empty"
    } else if text.trim().is_empty() {
        "messages: text content blocks must contain non-whitespace text"
    } else {
        return Ok(());
    };
    Err(ModelError::Rejected { message: message.to_owned() })
}

fn check_tool_result_text(content: Option<&ToolResultContent>) -> Result<(), ModelError> {
    if let Some(ToolResultContent::Blocks(blocks)) = content {
        for block in blocks {
            if let ToolResultBlock::Text { text } = block {
                check_text(text)?;
            }
        }
    }
    Ok(())
}

fn tool_result_text(content: Option<&ToolResultContent>) -> String {
    match content {
        None => String::new(),
        Some(ToolResultContent::Text(t)) => t.clone(),
        Some(ToolResultContent::Blocks(blocks)) => blocks
            .iter()
            .filter_map(|b| match b {
                ToolResultBlock::Text { text } => Some(text.as_str()),
                ToolResultBlock::Other => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

impl MessagesRequest {
    /// Parses a request body; errors name the field that is wrong (`messages[1].content: ...`).
    pub fn from_json(body: &[u8]) -> Result<Self, ModelError> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
        let Some(object) = value.as_object() else {
            return Err(invalid("the body must be a JSON object"));
        };
        if !object.get("max_tokens").is_some_and(serde_json::Value::is_u64) {
            return Err(invalid("max_tokens: a positive integer is required"));
        }
        let Some(messages) = object.get("messages").and_then(|m| m.as_array()) else {
            return Err(invalid("messages: a list of messages is required"));
        };
        for (i, m) in messages.iter().enumerate() {
            serde_json::from_value::<super::anthropic_types::MessageParam>(m.clone())
                .map_err(|e| invalid(format!("messages[{i}]: {e}")))?;
        }
        if let Some(tools) = object.get("tools").and_then(|t| t.as_array()) {
            for (i, t) in tools.iter().enumerate() {
                serde_json::from_value::<super::anthropic_types::ToolParam>(t.clone())
                    .map_err(|e| invalid(format!("tools[{i}]: {e}")))?;
            }
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// The neutral conversation, with prompt blocks and cache points from `cache_control`.
    pub fn to_conversation(&self, api: Api, model_id: &str) -> Result<Conversation, ModelError> {
        if self.messages.is_empty() {
            return Err(invalid("messages: at least one message is required"));
        }
        let mut prompt = PromptBuilder::new();
        let mut tools = Vec::with_capacity(self.tools.len());
        for (i, t) in self.tools.iter().enumerate() {
            let kind = t.kind.clone().filter(|k| k != "custom");
            if kind.is_none() && t.input_schema.is_none() {
                return Err(invalid(format!(
                    "tools[{i}].input_schema: required for custom tool {:?}",
                    t.name
                )));
            }
            let def = ToolDef {
                name: t.name.clone(),
                description: t.description.clone().unwrap_or_default(),
                input_schema: t.input_schema.clone().unwrap_or_default(),
                kind,
            };
            prompt.tool(&def);
            if let Some(cc) = &t.cache_control {
                prompt.cache_point(ttl(cc, &format!("tools[{i}]"))?);
            }
            tools.push(def);
        }
        let mut system = Vec::new();
        match &self.system {
            None => {}
            Some(SystemParam::Text(t)) => {
                prompt.system(t);
                system.push(t.clone());
            }
            Some(SystemParam::Blocks(blocks)) => {
                for (i, b) in blocks.iter().enumerate() {
                    prompt.system(&b.text);
                    if let Some(cc) = &b.cache_control {
                        prompt.cache_point(ttl(cc, &format!("system[{i}]"))?);
                    }
                    system.push(b.text.clone());
                }
            }
        }
        let mut messages = Vec::with_capacity(self.messages.len());
        for (mi, m) in self.messages.iter().enumerate() {
            let role = match m.role {
                MessageRole::User => Role::User,
                MessageRole::Assistant => Role::Assistant,
            };
            let mut content = Vec::new();
            match &m.content {
                ContentParam::Text(t) => {
                    let b = Block::Text(t.clone());
                    prompt.block(role, &b);
                    content.push(b);
                }
                ContentParam::Blocks(blocks) => {
                    for (bi, b) in blocks.iter().enumerate() {
                        let (block, cc) = match b {
                            ContentBlockParam::Text { text, cache_control } => {
                                check_text(text)?;
                                (Block::Text(text.clone()), cache_control)
                            }
                            ContentBlockParam::ToolUse { id, name, input, cache_control }
                            | ContentBlockParam::ServerToolUse { id, name, input, cache_control } => {
                                (
                                    Block::ToolUse {
                                        id: id.clone(),
                                        name: name.clone(),
                                        input: input.clone(),
                                    },
                                    cache_control,
                                )
                            }
                            ContentBlockParam::ToolResult {
                                tool_use_id,
                                content,
                                is_error,
                                cache_control,
                            } => {
                                check_tool_result_text(content.as_ref())?;
                                (
                                    Block::ToolResult {
                                        tool_use_id: tool_use_id.clone(),
                                        text: tool_result_text(content.as_ref()),
                                        is_error: is_error.unwrap_or(false),
                                    },
                                    cache_control,
                                )
                            }
                            ContentBlockParam::CodeExecutionToolResult {
                                tool_use_id,
                                content,
                                cache_control,
                            }
                            | ContentBlockParam::BashCodeExecutionToolResult {
                                tool_use_id,
                                content,
                                cache_control,
                            }
                            | ContentBlockParam::TextEditorCodeExecutionToolResult {
                                tool_use_id,
                                content,
                                cache_control,
                            } => {
                                let (text, is_error) = server_result_text(content);
                                let block = Block::ToolResult {
                                    tool_use_id: tool_use_id.clone(),
                                    text,
                                    is_error,
                                };
                                (block, cache_control)
                            }
                            ContentBlockParam::Other => continue,
                        };
                        prompt.block(role, &block);
                        if let Some(cc) = cc {
                            prompt.cache_point(ttl(cc, &format!("messages[{mi}].content[{bi}]"))?);
                        }
                        content.push(block);
                    }
                }
            }
            messages.push(Message { role, content });
        }
        if let Some(cc) = &self.cache_control {
            prompt.cache_point(ttl(cc, "request")?);
        }
        Ok(Conversation {
            api,
            model_id: model_id.to_owned(),
            system,
            tools,
            messages,
            prompt_blocks: prompt.finish(),
            max_tokens: Some(self.max_tokens),
        })
    }
}

impl From<&Usage> for AnthropicUsage {
    fn from(u: &Usage) -> Self {
        Self {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_creation_input_tokens: u.cache_write_input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
            cache_creation: CacheCreation {
                ephemeral_5m_input_tokens: u.cache_write_5m,
                ephemeral_1h_input_tokens: u.cache_write_1h,
            },
        }
    }
}

/// The reply's blocks in Anthropic form; ids with the server prefix become `server_tool_use`.
pub fn response_blocks(content: &[Block]) -> Vec<ResponseBlock> {
    content
        .iter()
        .filter_map(|b| match b {
            Block::Text(text) => Some(ResponseBlock::Text { text: text.clone() }),
            Block::ToolUse { id, name, input } if id.starts_with(SERVER_TOOL_USE_PREFIX) => {
                Some(ResponseBlock::ServerToolUse {
                    id: id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                })
            }
            Block::ToolUse { id, name, input } => Some(ResponseBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: input.clone(),
            }),
            Block::ToolResult { .. } => None,
        })
        .collect()
}

impl MessageResponse {
    /// A response Message for `reply`.
    pub fn from_reply(reply: &Reply, model: &str, id: String) -> Self {
        Self {
            id,
            kind: "message".to_owned(),
            role: MessageRole::Assistant,
            model: model.to_owned(),
            content: response_blocks(&reply.content),
            stop_reason: Some(reply.stop_reason.as_str().to_owned()),
            stop_sequence: None,
            usage: AnthropicUsage::from(&reply.usage),
            container: None,
        }
    }
}

/// Splits text into a few pieces (on character boundaries) to stream as deltas.
pub fn split_for_streaming(text: &str) -> Vec<String> {
    const PIECES: usize = 4;
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return Vec::new();
    }
    let size = chars.len().div_ceil(PIECES).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// The stream of events that delivers `msg`: `message_start` (empty content, the input usage),
/// per block start / deltas / stop, `message_delta` (stop reason, usage) and `message_stop`.
pub fn stream_events(msg: &MessageResponse) -> Vec<StreamEvent> {
    let mut start = msg.clone();
    start.content = Vec::new();
    start.stop_reason = None;
    start.usage.output_tokens = 1.min(msg.usage.output_tokens);
    let mut events = vec![StreamEvent::MessageStart { message: start }];
    for (index, block) in msg.content.iter().enumerate() {
        let (first, deltas) = match block {
            ResponseBlock::Text { text } => (
                ResponseBlock::Text { text: String::new() },
                split_for_streaming(text)
                    .into_iter()
                    .map(|text| BlockDelta::TextDelta { text })
                    .collect(),
            ),
            ResponseBlock::ToolUse { id, name, input }
            | ResponseBlock::ServerToolUse { id, name, input } => {
                let empty = serde_json::Value::Object(serde_json::Map::new());
                let first = if matches!(block, ResponseBlock::ToolUse { .. }) {
                    ResponseBlock::ToolUse { id: id.clone(), name: name.clone(), input: empty }
                } else {
                    ResponseBlock::ServerToolUse {
                        id: id.clone(),
                        name: name.clone(),
                        input: empty,
                    }
                };
                let deltas = split_for_streaming(&input.to_string())
                    .into_iter()
                    .map(|partial_json| BlockDelta::InputJsonDelta { partial_json })
                    .collect();
                (first, deltas)
            }
            other => (other.clone(), Vec::new()),
        };
        events.push(StreamEvent::ContentBlockStart { index, content_block: first });
        events.extend(
            deltas.into_iter().map(|delta| StreamEvent::ContentBlockDelta { index, delta }),
        );
        events.push(StreamEvent::ContentBlockStop { index });
    }
    events.push(StreamEvent::MessageDelta {
        delta: MessageDeltaBody { stop_reason: msg.stop_reason.clone(), stop_sequence: None },
        usage: DeltaUsage {
            output_tokens: msg.usage.output_tokens,
            input_tokens: Some(msg.usage.input_tokens),
            cache_creation_input_tokens: Some(msg.usage.cache_creation_input_tokens),
            cache_read_input_tokens: Some(msg.usage.cache_read_input_tokens),
        },
    });
    events.push(StreamEvent::MessageStop { invocation_metrics: None });
    events
}

impl From<ResponseBlock> for ContentBlockParam {
    /// A response block sent back as part of the conversation.
    fn from(block: ResponseBlock) -> Self {
        match block {
            ResponseBlock::Text { text } => ContentBlockParam::Text { text, cache_control: None },
            ResponseBlock::ToolUse { id, name, input } => {
                ContentBlockParam::ToolUse { id, name, input, cache_control: None }
            }
            ResponseBlock::ServerToolUse { id, name, input } => {
                ContentBlockParam::ServerToolUse { id, name, input, cache_control: None }
            }
            ResponseBlock::CodeExecutionToolResult { tool_use_id, content } => {
                ContentBlockParam::CodeExecutionToolResult {
                    tool_use_id,
                    content,
                    cache_control: None,
                }
            }
            ResponseBlock::BashCodeExecutionToolResult { tool_use_id, content } => {
                ContentBlockParam::BashCodeExecutionToolResult {
                    tool_use_id,
                    content,
                    cache_control: None,
                }
            }
            ResponseBlock::TextEditorCodeExecutionToolResult { tool_use_id, content } => {
                ContentBlockParam::TextEditorCodeExecutionToolResult {
                    tool_use_id,
                    content,
                    cache_control: None,
                }
            }
        }
    }
}

impl std::ops::AddAssign for AnthropicUsage {
    /// Sums the usage of several model calls that make up one response.
    fn add_assign(&mut self, more: Self) {
        self.input_tokens += more.input_tokens;
        self.output_tokens += more.output_tokens;
        self.cache_creation_input_tokens += more.cache_creation_input_tokens;
        self.cache_read_input_tokens += more.cache_read_input_tokens;
        self.cache_creation.ephemeral_5m_input_tokens +=
            more.cache_creation.ephemeral_5m_input_tokens;
        self.cache_creation.ephemeral_1h_input_tokens +=
            more.cache_creation.ephemeral_1h_input_tokens;
    }
}
