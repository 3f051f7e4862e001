//! What the model answers: the response, its stop reason and usage.

use serde::{Deserialize, Serialize};

use crate::content::{ContentBlock, Message, Role, text_of};

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// It finished its answer.
    EndTurn,
    /// It ran into `max_tokens`.
    MaxTokens,
    /// It wrote a stop sequence.
    StopSequence,
    /// It wants client tools run.
    ToolUse,
    /// A long server-tool turn paused; send the conversation back to go on.
    PauseTurn,
    /// It declined.
    Refusal,
    /// The conversation outgrew the context window.
    ModelContextWindowExceeded,
    /// A reason this crate does not know.
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
    /// Input tokens read at the full price.
    #[serde(default)]
    pub input_tokens: u64,
    /// Tokens the model wrote.
    #[serde(default)]
    pub output_tokens: u64,
    /// Input tokens written to the prompt cache.
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    /// Input tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    /// The cache writes by time to live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation: Option<CacheCreation>,
}

impl std::ops::AddAssign for Usage {
    /// Sums the usage of several model calls that make up one response.
    fn add_assign(&mut self, more: Self) {
        self.input_tokens += more.input_tokens;
        self.output_tokens += more.output_tokens;
        self.cache_creation_input_tokens += more.cache_creation_input_tokens;
        self.cache_read_input_tokens += more.cache_read_input_tokens;
        self.cache_creation = match (self.cache_creation, more.cache_creation) {
            (Some(a), Some(b)) => Some(CacheCreation {
                ephemeral_5m_input_tokens: a.ephemeral_5m_input_tokens
                    + b.ephemeral_5m_input_tokens,
                ephemeral_1h_input_tokens: a.ephemeral_1h_input_tokens
                    + b.ephemeral_1h_input_tokens,
            }),
            (a, b) => a.or(b),
        };
    }
}

/// Cache writes by time to live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheCreation {
    /// Written for five minutes.
    #[serde(default)]
    pub ephemeral_5m_input_tokens: u64,
    /// Written for an hour.
    #[serde(default)]
    pub ephemeral_1h_input_tokens: u64,
}

/// The code execution container of a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// Its id, for `container` in the next request.
    pub id: String,
    /// When it expires (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The skills loaded into it (`{type, skill_id, version}`), when any were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<serde_json::Value>>,
}

fn message_kind() -> String {
    "message".to_owned()
}

/// A Messages response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesResponse {
    /// `msg_...`.
    #[serde(default)]
    pub id: String,
    /// `message`.
    #[serde(rename = "type", default = "message_kind")]
    pub kind: String,
    /// Always the assistant.
    pub role: Role,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// What it wrote.
    pub content: Vec<ContentBlock>,
    /// Why it stopped.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// The stop sequence it wrote, if that is why.
    #[serde(default)]
    pub stop_sequence: Option<String>,
    /// Its tokens.
    #[serde(default)]
    pub usage: Usage,
    /// The code execution container, when a server tool ran.
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
