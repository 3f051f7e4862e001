//! A response built from the events that stream it, as the SDKs' accumulators build
//! it: each block as `content_block_start` gives it, grown by its deltas, and the
//! stop reason, container and usage of `message_delta` (whose counts are totals).
//!
//! It reads events as JSON, so blocks and deltas of kinds this crate does not know
//! (a server tool's result, a citation) are kept as they came.

use serde_json::{Map, Value};

use crate::response::MessagesResponse;

/// Folds streaming events (`message_start` ... `message_stop`) into the response.
#[derive(Debug, Default)]
pub struct Assembler {
    message: Option<Map<String, Value>>,
    blocks: Vec<Value>,
    /// The tool input JSON of each block, as its deltas bring it.
    inputs: Vec<String>,
}

/// Why a stream does not make a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembleError(pub String);

impl std::fmt::Display for AssembleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AssembleError {}

fn index_of(event: &Value) -> Result<usize, AssembleError> {
    event
        .get("index")
        .and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| AssembleError(format!("an event without an index: {event}")))
}

fn append(block: &mut Value, member: &str, more: &str) {
    if let Some(object) = block.as_object_mut() {
        let text = object.entry(member).or_insert_with(|| Value::String(String::new()));
        if let Value::String(text) = text {
            text.push_str(more);
        }
    }
}

impl Assembler {
    /// A new, empty assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in one event (`ping` and kinds it does not know change nothing).
    pub fn push(&mut self, event: &Value) -> Result<(), AssembleError> {
        match event.get("type").and_then(Value::as_str).unwrap_or_default() {
            "message_start" => {
                let message = event.get("message").and_then(Value::as_object).cloned();
                let mut message = message
                    .ok_or_else(|| AssembleError("message_start without a message".into()))?;
                if let Some(Value::Array(content)) = message.remove("content") {
                    self.inputs = vec![String::new(); content.len()];
                    self.blocks = content;
                }
                self.message = Some(message);
            }
            "content_block_start" => {
                let index = index_of(event)?;
                let block = event.get("content_block").cloned().unwrap_or(Value::Null);
                if index >= self.blocks.len() {
                    self.blocks.resize(index + 1, Value::Null);
                    self.inputs.resize(index + 1, String::new());
                }
                self.blocks[index] = block;
            }
            "content_block_delta" => {
                let index = index_of(event)?;
                let delta = event.get("delta").cloned().unwrap_or(Value::Null);
                let block = self.blocks.get_mut(index).ok_or_else(|| {
                    AssembleError(format!("a delta for block {index} before its start"))
                })?;
                let text = |name: &str| delta.get(name).and_then(Value::as_str).unwrap_or_default();
                match delta.get("type").and_then(Value::as_str).unwrap_or_default() {
                    "text_delta" => append(block, "text", text("text")),
                    "thinking_delta" => append(block, "thinking", text("thinking")),
                    "input_json_delta" => self.inputs[index].push_str(text("partial_json")),
                    "signature_delta" => {
                        if let Some(object) = block.as_object_mut() {
                            object.insert("signature".into(), Value::from(text("signature")));
                        }
                    }
                    "citations_delta" => {
                        if let (Some(object), Some(citation)) =
                            (block.as_object_mut(), delta.get("citation"))
                        {
                            let list = object
                                .entry("citations")
                                .or_insert_with(|| Value::Array(Vec::new()));
                            if let Value::Array(list) = list {
                                list.push(citation.clone());
                            }
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                let message = self
                    .message
                    .as_mut()
                    .ok_or_else(|| AssembleError("message_delta before message_start".into()))?;
                if let Some(delta) = event.get("delta").and_then(Value::as_object) {
                    for (name, value) in delta {
                        message.insert(name.clone(), value.clone());
                    }
                }
                if let Some(usage) = event.get("usage").and_then(Value::as_object) {
                    let total = message.entry("usage").or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(total) = total {
                        for (name, value) in usage.iter().filter(|(_, v)| !v.is_null()) {
                            total.insert(name.clone(), value.clone());
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The response the events made.
    pub fn finish(self) -> Result<MessagesResponse, AssembleError> {
        let mut message =
            self.message.ok_or_else(|| AssembleError("the stream had no message_start".into()))?;
        let mut content = Vec::with_capacity(self.blocks.len());
        for (mut block, input) in self.blocks.into_iter().zip(self.inputs) {
            if !input.is_empty()
                && let Some(object) = block.as_object_mut()
            {
                let parsed = serde_json::from_str(&input).map_err(|err| {
                    AssembleError(format!("a tool input that is not JSON ({err}): {input}"))
                })?;
                object.insert("input".into(), parsed);
            }
            content.push(block);
        }
        message.insert("content".into(), Value::Array(content));
        serde_json::from_value(Value::Object(message))
            .map_err(|err| AssembleError(format!("the stream does not make a response: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContentBlock, StopReason};
    use serde_json::json;

    #[test]
    fn blocks_grow_by_their_deltas_and_message_delta_gives_the_totals() {
        let events = [
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                "role": "assistant", "model": "m", "content": [], "stop_reason": null,
                "usage": {"input_tokens": 10, "output_tokens": 1}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
            json!({"type": "ping"}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "content_block_start", "index": 1, "content_block":
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "bash_code_execution", "input": {}}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"command\": \"ls\"}"}}),
            json!({"type": "content_block_stop", "index": 1}),
            json!({"type": "content_block_start", "index": 2, "content_block":
                {"type": "bash_code_execution_tool_result", "tool_use_id": "srvtoolu_1",
                 "content": {"type": "bash_code_execution_result", "stdout": "a\n", "stderr": "", "return_code": 0, "content": []}}}),
            json!({"type": "content_block_stop", "index": 2}),
            json!({"type": "content_block_start", "index": 3, "content_block": {"type": "tool_search_tool_result", "x": 1}}),
            json!({"type": "content_block_stop", "index": 3}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null,
                "container": {"id": "container_1", "expires_at": "2026-01-01T00:00:00Z"}},
                "usage": {"input_tokens": 30, "output_tokens": 7}}),
            json!({"type": "message_stop"}),
        ];
        let mut assembler = Assembler::new();
        for event in &events {
            assembler.push(event).unwrap();
        }
        let message = assembler.finish().unwrap();
        assert_eq!(message.text(), "Hello");
        assert!(matches!(&message.content[1],
            ContentBlock::ServerToolUse { input, .. } if input == &json!({"command": "ls"})));
        assert!(matches!(&message.content[2], ContentBlock::BashCodeExecutionToolResult { .. }));
        assert!(matches!(&message.content[3], ContentBlock::Other(_)));
        assert_eq!(message.stop_reason, Some(StopReason::EndTurn));
        assert_eq!((message.usage.input_tokens, message.usage.output_tokens), (30, 7));
        assert_eq!(message.container.unwrap().id, "container_1");
    }

    #[test]
    fn a_bad_stream_is_an_error() {
        let mut assembler = Assembler::new();
        let delta = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}});
        assert!(assembler.push(&delta).is_err());
        assert!(Assembler::new().finish().is_err());
    }
}
