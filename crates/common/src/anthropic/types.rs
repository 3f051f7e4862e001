//! Requests, messages, content blocks and usage of the Anthropic Messages format.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::server_tools::{
    BashCodeExecutionContent, CodeExecutionContent, TextEditorCodeExecutionContent,
};

/// The `anthropic_version` that Bedrock's InvokeModel expects for Claude.
pub const BEDROCK_ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

/// A Messages request. On Bedrock `model` is in the URL (leave it `None`) and
/// `anthropic_version` is set; on the Anthropic API it is the other way round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anthropic_beta: Vec<String>,
    pub max_tokens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

impl MessagesRequest {
    /// A Bedrock InvokeModel body: `anthropic_version` set, no `model`.
    pub fn bedrock(max_tokens: u32, messages: Vec<Message>) -> Self {
        Self {
            anthropic_version: Some(BEDROCK_ANTHROPIC_VERSION.to_owned()),
            max_tokens,
            messages,
            ..Self::default()
        }
    }
}

/// `system`: a plain string or text blocks (which can carry `cache_control`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tool {
    /// A client-side tool: `{name, description, input_schema}`.
    Custom(CustomTool),
    /// A server tool such as `{"type":"code_execution_20250825","name":"code_execution"}`.
    Server(ServerTool),
}

/// A tool the client runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomTool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
}

/// A tool Anthropic runs on its side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerTool {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
}

/// `{"type":"ephemeral","ttl"?: "5m"|"1h"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheControl {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

impl CacheControl {
    /// `{"type":"ephemeral"}` (five-minute cache).
    pub fn ephemeral() -> Self {
        Self { kind: "ephemeral".to_owned(), ttl: None }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One message of the conversation. `content` given as a plain string is read
/// as one text block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(deserialize_with = "string_or_blocks")]
    pub content: Vec<ContentBlock>,
}

impl Message {
    /// A user message with one text block.
    pub fn user_text(text: impl Into<String>) -> Self {
        Self { role: Role::User, content: vec![ContentBlock::text(text)] }
    }

    /// The text blocks joined with newlines.
    pub fn text(&self) -> String {
        text_of(&self.content)
    }
}

/// The text blocks of some content, joined with newlines.
pub fn text_of(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn string_or_blocks<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<ContentBlock>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Content {
        Text(String),
        Blocks(Vec<ContentBlock>),
    }
    Ok(match Content::deserialize(de)? {
        Content::Text(text) => vec![ContentBlock::text(text)],
        Content::Blocks(blocks) => blocks,
    })
}

/// A content block. Block types this crate does not know are kept as raw JSON
/// in [`ContentBlock::Other`], so they survive a round trip (`pause_turn`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    /// A client tool call.
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// The client's answer to a `tool_use`.
    ToolResult {
        tool_use_id: String,
        #[serde(deserialize_with = "string_or_blocks")]
        content: Vec<ContentBlock>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_error: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// A server tool call (`code_execution`, `bash_code_execution`, ...).
    ServerToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// Result of the 2025-05-22 code execution tool.
    CodeExecutionToolResult {
        tool_use_id: String,
        content: CodeExecutionContent,
    },
    /// Result of a bash command of the 2025-08-25 tool.
    BashCodeExecutionToolResult {
        tool_use_id: String,
        content: BashCodeExecutionContent,
    },
    /// Result of a file operation of the 2025-08-25 tool.
    TextEditorCodeExecutionToolResult {
        tool_use_id: String,
        content: TextEditorCodeExecutionContent,
    },
    /// Any other block, kept as it came.
    #[serde(untagged)]
    Other(Value),
}

impl ContentBlock {
    /// The output of a code execution result block of either tool version, or
    /// `None` for any other block.
    pub fn code_output(&self) -> Option<super::CodeOutput> {
        match self {
            Self::CodeExecutionToolResult { content, .. } => Some(content.output()),
            Self::BashCodeExecutionToolResult { content, .. } => Some(content.output()),
            Self::TextEditorCodeExecutionToolResult { content, .. } => Some(content.output()),
            _ => None,
        }
    }

    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into(), cache_control: None }
    }

    /// A `tool_result` with one text block; `is_error` is sent only when true.
    pub fn tool_result(
        tool_use_id: impl Into<String>, text: impl Into<String>, is_error: bool,
    ) -> Self {
        Self::ToolResult {
            tool_use_id: tool_use_id.into(),
            content: vec![Self::text(text)],
            is_error: is_error.then_some(true),
            cache_control: None,
        }
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    PauseTurn,
    Refusal,
    ModelContextWindowExceeded,
    #[serde(other)]
    Other,
}

impl StopReason {
    /// The wire name (`other` for a reason this crate does not know).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::EndTurn => "end_turn",
            Self::MaxTokens => "max_tokens",
            Self::StopSequence => "stop_sequence",
            Self::ToolUse => "tool_use",
            Self::PauseTurn => "pause_turn",
            Self::Refusal => "refusal",
            Self::ModelContextWindowExceeded => "model_context_window_exceeded",
            Self::Other => "other",
        }
    }
}

/// Token usage of one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
}

impl From<&Usage> for crate::report::Usage {
    fn from(usage: &Usage) -> Self {
        Self {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens.unwrap_or(0),
            cache_write_input_tokens: usage.cache_creation_input_tokens.unwrap_or(0),
        }
    }
}

/// The sandbox container of the Anthropic API's code execution tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub id: String,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// A Messages response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub model: String,
    pub role: Role,
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
}

impl MessagesResponse {
    /// The response as a message to append to the conversation.
    pub fn to_message(&self) -> Message {
        Message { role: self.role, content: self.content.clone() }
    }

    /// The text blocks joined with newlines.
    pub fn text(&self) -> String {
        text_of(&self.content)
    }
}
