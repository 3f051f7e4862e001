//! The neutral conversation the wire handlers convert into, and the reply they convert back.

use serde::Serialize;

/// Which wire API a conversation arrived through. Transcripts may restrict themselves to some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// Bedrock `Converse` / `ConverseStream`.
    Converse,
    /// Bedrock `InvokeModel` / `InvokeModelWithResponseStream` with an Anthropic Messages body.
    InvokeModel,
}

impl Api {
    /// The name used in transcript files (`match.api`).
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Converse => "converse",
            Api::InvokeModel => "invoke_model",
        }
    }

    /// Prefix of generated tool-use ids for a client-side tool in this API.
    pub(crate) fn tool_use_prefix(self) -> &'static str {
        match self {
            Api::Converse => "tooluse_",
            Api::InvokeModel => "toolu_01",
        }
    }
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    /// The tool name the model calls (`execute_python`, `code_execution`, ...).
    pub name: String,
    /// Free-text description; may be empty.
    pub description: String,
    /// JSON Schema of the input; `Value::Null` for server tools without one.
    pub input_schema: serde_json::Value,
    /// For Anthropic server tools, the tool `type` (e.g. `code_execution_20250825`); `None` for
    /// custom tools. Transcript `tools` rules match either the name or this type.
    pub kind: Option<String>,
}

impl ToolDef {
    /// A custom (client-side) tool.
    pub fn custom(
        name: impl Into<String>, description: impl Into<String>, input_schema: serde_json::Value,
    ) -> Self {
        Self { name: name.into(), description: description.into(), input_schema, kind: None }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// One content block of a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    Text(String),
    ToolUse { id: String, name: String, input: serde_json::Value },
    ToolResult { tool_use_id: String, text: String, is_error: bool },
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Vec<Block>,
}

#[cfg(test)]
impl Message {
    pub fn user(content: Vec<Block>) -> Self {
        Self { role: Role::User, content }
    }

    pub fn assistant(content: Vec<Block>) -> Self {
        Self { role: Role::Assistant, content }
    }
}

/// How long a cache entry lives after its last use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CacheTtl {
    #[default]
    FiveMinutes,
    OneHour,
}

impl CacheTtl {
    pub fn duration(self) -> std::time::Duration {
        match self {
            CacheTtl::FiveMinutes => std::time::Duration::from_secs(5 * 60),
            CacheTtl::OneHour => std::time::Duration::from_secs(60 * 60),
        }
    }

    /// Parses the wire value (`5m` / `1h`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "5m" => Some(CacheTtl::FiveMinutes),
            "1h" => Some(CacheTtl::OneHour),
            _ => None,
        }
    }
}

/// One unit of the prompt as the cache sees it; see [`crate::model::PromptBuilder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptBlock {
    /// Tokens of this block alone.
    pub tokens: u32,
    /// SHA-256 chained over the canonical text of every block up to and including this one.
    pub fingerprint: [u8; 32],
    /// `Some` when the client asked to cache the prefix that ends with this block.
    pub cache_point: Option<CacheTtl>,
}

/// A request to the model, independent of the wire format.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub api: Api,
    pub model_id: String,
    pub system: Vec<String>,
    pub tools: Vec<ToolDef>,
    /// Alternating user / assistant messages, starting with a user message. Every earlier reply
    /// of the model is one assistant message here: the turn played is the number of them.
    pub messages: Vec<Message>,
    /// In the order tools → system → messages; see [`crate::model::PromptBuilder`].
    pub prompt_blocks: Vec<PromptBlock>,
    /// The request's `maxTokens` / `max_tokens`; a longer reply stops with `MaxTokens`.
    pub max_tokens: Option<u32>,
}

impl Conversation {
    /// The text of the first user message (its text blocks joined with newlines).
    pub fn first_user_text(&self) -> Option<String> {
        self.messages.iter().find(|m| m.role == Role::User).map(|m| {
            m.content
                .iter()
                .filter_map(|b| match b {
                    Block::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// How many replies the model has already given in this conversation.
    pub fn assistant_turns(&self) -> usize {
        self.messages.iter().filter(|m| m.role == Role::Assistant).count()
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
}

impl StopReason {
    /// The wire value, the same in Converse and the Anthropic format.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::EndTurn => "end_turn",
            StopReason::ToolUse => "tool_use",
            StopReason::MaxTokens => "max_tokens",
        }
    }
}

/// Token counts of one model call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Input tokens neither read from nor written to the cache.
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub cache_read_input_tokens: u32,
    /// `cache_write_5m + cache_write_1h`.
    pub cache_write_input_tokens: u32,
    pub cache_write_5m: u32,
    pub cache_write_1h: u32,
}

impl Usage {
    /// Every input token, cached or not.
    pub fn total_input_tokens(&self) -> u32 {
        self.input_tokens + self.cache_read_input_tokens + self.cache_write_input_tokens
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// `Text` and `ToolUse` blocks only.
    pub content: Vec<Block>,
    pub stop_reason: StopReason,
    pub usage: Usage,
}
