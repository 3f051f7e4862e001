//! The assistant reply, read back from each response format. Streams are decoded frame by
//! frame and their deltas joined into the final message.

use std::collections::BTreeMap;

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::Value;

/// One block of what the model said.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyBlock {
    Text(String),
    ToolCall { name: String, input: Value },
}

/// A Converse response body: `output.message.content[]` of `{text}` and `{toolUse}`.
pub fn converse(body: &[u8]) -> Result<Vec<ReplyBlock>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let content = value
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .ok_or("the Converse response has no output.message.content")?;
    Ok(content
        .iter()
        .filter_map(|block| {
            if let Some(text) = block.get("text").and_then(Value::as_str) {
                return Some(ReplyBlock::Text(text.to_owned()));
            }
            let tool = block.get("toolUse")?;
            Some(ReplyBlock::ToolCall {
                name: tool.get("name")?.as_str()?.to_owned(),
                input: tool.get("input").cloned().unwrap_or(Value::Null),
            })
        })
        .collect())
}

/// An Anthropic Messages response (InvokeModel): `content[]` of text and tool_use blocks.
pub fn anthropic_message(body: &[u8]) -> Result<Vec<ReplyBlock>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let content = value
        .get("content")
        .and_then(Value::as_array)
        .ok_or("the InvokeModel response has no content")?;
    Ok(content.iter().filter_map(anthropic_block).collect())
}

fn anthropic_block(block: &Value) -> Option<ReplyBlock> {
    match block.get("type")?.as_str()? {
        "text" => Some(ReplyBlock::Text(block.get("text")?.as_str()?.to_owned())),
        "tool_use" => Some(ReplyBlock::ToolCall {
            name: block.get("name")?.as_str()?.to_owned(),
            input: block.get("input").cloned().unwrap_or(Value::Null),
        }),
        _ => None,
    }
}

/// The event-stream messages of a whole body.
fn frames(body: &[u8]) -> Result<Vec<Message>, String> {
    let mut buf = Bytes::copy_from_slice(body);
    let mut decoder = MessageFrameDecoder::new();
    let mut out = Vec::new();
    while let DecodedFrame::Complete(message) =
        decoder.decode_frame(&mut buf).map_err(|e| e.to_string())?
    {
        out.push(message);
    }
    Ok(out)
}

fn header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message.headers().iter().find(|h| h.name().as_str() == name).and_then(|h| match h.value() {
        HeaderValue::String(s) => Some(s.as_str()),
        _ => None,
    })
}

/// A block being assembled from deltas.
#[derive(Debug, Default)]
struct Partial {
    tool: Option<String>,
    text: String,
    /// An input given whole in the start event (Anthropic's `tool_use.input`).
    input: Option<Value>,
}

impl Partial {
    fn finish(self) -> ReplyBlock {
        match self.tool {
            None => ReplyBlock::Text(self.text),
            Some(name) => {
                let input = if self.text.trim().is_empty() {
                    self.input.unwrap_or(Value::Object(serde_json::Map::new()))
                } else {
                    serde_json::from_str(&self.text).unwrap_or(Value::String(self.text))
                };
                ReplyBlock::ToolCall { name, input }
            }
        }
    }
}

fn finish(blocks: BTreeMap<u64, Partial>) -> Vec<ReplyBlock> {
    blocks.into_values().map(Partial::finish).collect()
}

/// A ConverseStream body: `contentBlockStart` names tool calls, `contentBlockDelta` carries
/// text or partial tool input JSON.
pub fn converse_stream(body: &[u8]) -> Result<Vec<ReplyBlock>, String> {
    let mut blocks: BTreeMap<u64, Partial> = BTreeMap::new();
    for message in frames(body)? {
        if header(&message, ":message-type") != Some("event") {
            continue;
        }
        let event = header(&message, ":event-type").unwrap_or_default();
        let payload: Value = serde_json::from_slice(message.payload()).unwrap_or(Value::Null);
        let index = payload.get("contentBlockIndex").and_then(Value::as_u64).unwrap_or(0);
        match event {
            "contentBlockStart" => {
                if let Some(name) = payload.pointer("/start/toolUse/name").and_then(Value::as_str) {
                    blocks.entry(index).or_default().tool = Some(name.to_owned());
                }
            }
            "contentBlockDelta" => {
                let partial = blocks.entry(index).or_default();
                if let Some(text) = payload.pointer("/delta/text").and_then(Value::as_str) {
                    partial.text.push_str(text);
                } else if let Some(json) =
                    payload.pointer("/delta/toolUse/input").and_then(Value::as_str)
                {
                    partial.text.push_str(json);
                }
            }
            _ => {}
        }
    }
    Ok(finish(blocks))
}

/// An InvokeModelWithResponseStream body: `chunk` events whose base64 `bytes` are Anthropic
/// stream events.
pub fn invoke_stream(body: &[u8]) -> Result<Vec<ReplyBlock>, String> {
    let mut blocks: BTreeMap<u64, Partial> = BTreeMap::new();
    for message in frames(body)? {
        if header(&message, ":event-type") != Some("chunk") {
            continue;
        }
        let payload: Value = serde_json::from_slice(message.payload()).unwrap_or(Value::Null);
        let Some(bytes) = payload.get("bytes").and_then(Value::as_str) else {
            continue;
        };
        let Ok(decoded) = BASE64.decode(bytes) else {
            continue;
        };
        let event: Value = serde_json::from_slice(&decoded).unwrap_or(Value::Null);
        let index = event.get("index").and_then(Value::as_u64).unwrap_or(0);
        match event.get("type").and_then(Value::as_str) {
            Some("content_block_start") => {
                let Some(block) = event.get("content_block") else {
                    continue;
                };
                let partial = blocks.entry(index).or_default();
                match anthropic_block(block) {
                    Some(ReplyBlock::Text(text)) => partial.text = text,
                    Some(ReplyBlock::ToolCall { name, input }) => {
                        partial.tool = Some(name);
                        partial.input = Some(input);
                    }
                    None => {}
                }
            }
            Some("content_block_delta") => {
                let partial = blocks.entry(index).or_default();
                let delta = event.get("delta");
                if let Some(text) = delta.and_then(|d| d.get("text")).and_then(Value::as_str) {
                    partial.text.push_str(text);
                } else if let Some(json) =
                    delta.and_then(|d| d.get("partial_json")).and_then(Value::as_str)
                {
                    partial.text.push_str(json);
                }
            }
            _ => {}
        }
    }
    Ok(finish(blocks))
}
