//! Streaming: the server-sent events of the Anthropic API, which are also the
//! decoded `chunk`s of Bedrock's InvokeModelWithResponseStream.

use serde::{Deserialize, Serialize};

use serde_json::Value;

use crate::content::ContentBlock;
use crate::response::{MessagesResponse, StopReason};

/// One streaming event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The response without content yet.
    MessageStart {
        /// The response so far.
        message: MessagesResponse,
    },
    /// A block begins.
    ContentBlockStart {
        /// Its position in `content`.
        index: usize,
        /// The block, text and input still empty.
        content_block: ContentBlock,
    },
    /// More of a block.
    ContentBlockDelta {
        /// Its position in `content`.
        index: usize,
        /// What to add.
        delta: BlockDelta,
    },
    /// A block ends.
    ContentBlockStop {
        /// Its position in `content`.
        index: usize,
    },
    /// The stop reason and the output tokens.
    MessageDelta {
        /// The stop reason.
        delta: MessageDeltaBody,
        /// The usage so far.
        usage: DeltaUsage,
    },
    /// The end of the response.
    MessageStop {
        /// What Bedrock adds to the last chunk.
        #[serde(
            rename = "amazon-bedrock-invocationMetrics",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        invocation_metrics: Option<InvocationMetrics>,
    },
    /// Keeps the connection open.
    Ping,
}

impl StreamEvent {
    /// The SSE event name (the `type`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop { .. } => "message_stop",
            Self::Ping => "ping",
        }
    }
}

/// What a `content_block_delta` adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    /// More text.
    TextDelta {
        /// The text.
        text: String,
    },
    /// More of a tool input's JSON.
    InputJsonDelta {
        /// A piece of the JSON text.
        partial_json: String,
    },
}

/// The `delta` of `message_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDeltaBody {
    /// Why the model stopped.
    pub stop_reason: Option<StopReason>,
    /// The stop sequence it wrote, if that is why.
    pub stop_sequence: Option<String>,
}

/// The `usage` of `message_delta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaUsage {
    /// Output tokens so far.
    pub output_tokens: u64,
    /// Input tokens, when the service repeats them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Cache writes, when the service repeats them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Cache reads, when the service repeats them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
}

/// What Bedrock adds to the final `message_stop` chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationMetrics {
    /// Input tokens.
    pub input_token_count: u64,
    /// Output tokens.
    pub output_token_count: u64,
    /// Milliseconds of the whole call.
    pub invocation_latency: u64,
    /// Milliseconds to the first byte.
    pub first_byte_latency: u64,
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
pub fn stream_events(msg: &MessagesResponse) -> Vec<StreamEvent> {
    let mut start = msg.clone();
    start.content = Vec::new();
    start.stop_reason = None;
    start.usage.output_tokens = 1.min(msg.usage.output_tokens);
    let mut events = vec![StreamEvent::MessageStart { message: start }];
    for (index, block) in msg.content.iter().enumerate() {
        let (first, deltas) = match block {
            ContentBlock::Text { text, .. } => (
                ContentBlock::text(String::new()),
                split_for_streaming(text)
                    .into_iter()
                    .map(|text| BlockDelta::TextDelta { text })
                    .collect(),
            ),
            ContentBlock::ToolUse { id, name, input, .. }
            | ContentBlock::ServerToolUse { id, name, input, .. } => {
                let empty = Value::Object(serde_json::Map::new());
                let (id, name) = (id.clone(), name.clone());
                let first = if let ContentBlock::ToolUse { caller, .. } = block {
                    let caller = caller.clone();
                    ContentBlock::ToolUse { id, name, input: empty, caller, cache_control: None }
                } else {
                    let caller = match block {
                        ContentBlock::ServerToolUse { caller, .. } => caller.clone(),
                        _ => None,
                    };
                    ContentBlock::ServerToolUse {
                        id,
                        name,
                        input: empty,
                        caller,
                        cache_control: None,
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
        delta: MessageDeltaBody { stop_reason: msg.stop_reason, stop_sequence: None },
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
