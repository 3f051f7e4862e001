//! The Anthropic Messages format as serde types: requests, messages and their
//! content blocks, responses, usage and streaming events. One definition serves
//! every side of the project: the examples' clients (`common`), the offline
//! emulator's Bedrock InvokeModel, and the bridge.
//!
//! The same body goes to the Anthropic API (`model` set, `anthropic-beta` as a
//! header) and to Bedrock's InvokeModel (`model` in the URL, `anthropic_version` in
//! the body). Block types this crate does not know are kept as raw JSON
//! ([`ContentBlock::Other`]), so a conversation survives a round trip unchanged.
//!
//! ```
//! use messages::{ContentBlock, Message, MessagesRequest};
//! let request = MessagesRequest {
//!     anthropic_version: Some(messages::BEDROCK_ANTHROPIC_VERSION.into()),
//!     max_tokens: 1024,
//!     messages: vec![Message::user_text("What is 6 * 7?")],
//!     ..MessagesRequest::default()
//! };
//! let body = serde_json::to_value(&request).unwrap();
//! assert_eq!(body["messages"][0]["content"][0]["text"], "What is 6 * 7?");
//! let back: MessagesRequest = serde_json::from_value(body).unwrap();
//! assert!(matches!(&back.messages[0].content[0], ContentBlock::Text { .. }));
//! ```

#![warn(missing_docs)]

mod assemble;
mod content;
mod response;
mod stream;

pub use assemble::Assembler;
pub use content::{
    CacheControl, Caller, CodeOutput, ContentBlock, Message, Role, ServerToolResult, text_of,
};
pub use response::{CacheCreation, Container, MessagesResponse, StopReason, Usage};
pub use stream::{
    BlockDelta, DeltaUsage, InvocationMetrics, MessageDeltaBody, StreamEvent, split_for_streaming,
    stream_events,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `anthropic_version` that Bedrock's InvokeModel expects for Claude.
pub const BEDROCK_ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

/// A Messages request. On Bedrock `model` is in the URL (leave it `None`) and
/// `anthropic_version` is set; on the Anthropic API it is the other way round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    /// The model (Anthropic API only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `bedrock-2023-05-31` (Bedrock only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_version: Option<String>,
    /// Beta features, in the body (Bedrock); the Anthropic API takes a header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anthropic_beta: Vec<String>,
    /// Most tokens the model may write.
    pub max_tokens: u32,
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    /// The conversation, first user message first.
    pub messages: Vec<Message>,
    /// The tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// Server-sent events instead of one response (Anthropic API only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Automatic caching: the prefix that ends with the last block is cached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    /// The code execution container to continue in (Anthropic API only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerRef>,
    /// Every other member (`temperature`, `tool_choice`, `thinking`, ...), kept as it came.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
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

/// `container` of a request: an id, or an object such as `{"id": ..., "skills": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContainerRef {
    /// The id of a container the API returned.
    Id(String),
    /// The object form, kept as it came.
    Object(Value),
}

impl ContainerRef {
    /// The container's id, whichever form named it.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Id(id) => Some(id),
            Self::Object(value) => value.get("id").and_then(Value::as_str),
        }
    }
}

/// `system`: a plain string or text blocks (which can carry `cache_control`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    /// A plain string.
    Text(String),
    /// Text blocks.
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

impl Tool {
    /// A client-side tool the model calls directly, not cached.
    pub fn custom(
        name: impl Into<String>, description: impl Into<String>, input_schema: Value,
    ) -> Self {
        Self::Custom(CustomTool::new(name, description, input_schema))
    }

    /// A server tool of `kind` (`code_execution_20250825`, say) named `name`.
    pub fn server(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self::Server(ServerTool {
            kind: kind.into(),
            name: name.into(),
            cache_control: None,
            extra: serde_json::Map::new(),
        })
    }

    /// The name the model calls it by.
    pub fn name(&self) -> &str {
        match self {
            Self::Custom(tool) => &tool.name,
            Self::Server(tool) => &tool.name,
        }
    }

    /// Its `cache_control`, if it marks the end of a cached prefix.
    pub fn cache_control(&self) -> Option<&CacheControl> {
        match self {
            Self::Custom(tool) => tool.cache_control.as_ref(),
            Self::Server(tool) => tool.cache_control.as_ref(),
        }
    }
}

/// A tool the client runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomTool {
    /// Its name.
    pub name: String,
    /// What the model is told it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON schema of its input.
    pub input_schema: Value,
    /// Who may call it: `direct` (the model) and code execution versions
    /// (programmatic tool calling); absent means the model only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_callers: Option<Vec<String>>,
    /// Marks the end of a cached prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    /// Every other member (`strict`, `input_examples`, `defer_loading`, `type`), kept
    /// as it came.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl CustomTool {
    /// A tool the model calls directly, not cached.
    pub fn new(
        name: impl Into<String>, description: impl Into<String>, input_schema: Value,
    ) -> Self {
        Self {
            name: name.into(),
            description: Some(description.into()),
            input_schema,
            allowed_callers: None,
            cache_control: None,
            extra: serde_json::Map::new(),
        }
    }
}

/// A tool the service runs on its side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerTool {
    /// The versioned type, `code_execution_20250825` say.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Marks the end of a cached prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    /// Every other member (`max_characters`, `allowed_callers`, `defer_loading`, a
    /// computer's display size, ...), kept as it came.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

#[cfg(test)]
mod tests;
