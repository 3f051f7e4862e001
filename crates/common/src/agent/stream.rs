//! Turning the events of one `ConverseStream` response back into a message.
//!
//! The stream sends a message in pieces: text arrives as text deltas, a tool call
//! as a `contentBlockStart` (id and name) followed by deltas that are fragments of
//! the input's JSON. [`StreamedMessage`] gathers them by block index and, at the
//! end, builds the same `Message` that `Converse` would have returned.

use std::collections::BTreeMap;

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConversationRole, ConverseStreamOutput,
    Message, StopReason, ToolUseBlock,
};
use serde_json::Value;

use crate::document;
use crate::error::Error;
use crate::usage::Usage;

/// One content block while it is still arriving.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PartialBlock {
    Text(String),
    ToolUse { id: String, name: String, input_json: String },
}

/// The assistant message of one `ConverseStream` call, built up event by event.
#[derive(Debug, Clone, Default)]
pub struct StreamedMessage {
    blocks: BTreeMap<i32, PartialBlock>,
    stop_reason: Option<StopReason>,
    usage: Usage,
}

/// A finished streamed response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamedTurn {
    /// The assistant message, as `Converse` would have returned it.
    pub message: Message,
    /// Why the model stopped.
    pub stop_reason: StopReason,
    /// The usage of the call (from the `metadata` event).
    pub usage: Usage,
}

impl StreamedMessage {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one event. Returns the text of a text delta, so the caller can
    /// show it as it arrives; `None` for every other event.
    pub fn apply<'e>(&mut self, event: &'e ConverseStreamOutput) -> Result<Option<&'e str>, Error> {
        match event {
            ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool_use)) = start.start() {
                    self.blocks.insert(
                        start.content_block_index(),
                        PartialBlock::ToolUse {
                            id: tool_use.tool_use_id().to_owned(),
                            name: tool_use.name().to_owned(),
                            input_json: String::new(),
                        },
                    );
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                let index = delta.content_block_index();
                match delta.delta() {
                    Some(ContentBlockDelta::Text(text)) => {
                        // Text blocks have no start event: the first delta opens one.
                        match self
                            .blocks
                            .entry(index)
                            .or_insert_with(|| PartialBlock::Text(String::new()))
                        {
                            PartialBlock::Text(so_far) => so_far.push_str(text),
                            PartialBlock::ToolUse { .. } => {
                                return Err(unexpected(format!(
                                    "a text delta for tool-use block {index}"
                                )));
                            }
                        }
                        return Ok(Some(text));
                    }
                    Some(ContentBlockDelta::ToolUse(tool_delta)) => {
                        match self.blocks.get_mut(&index) {
                            Some(PartialBlock::ToolUse { input_json, .. }) => {
                                input_json.push_str(tool_delta.input());
                            }
                            _ => {
                                return Err(unexpected(format!(
                                    "a tool-use delta for block {index}, which did not start as a tool use"
                                )));
                            }
                        }
                    }
                    other => tracing::debug!(?other, "ignoring a content block delta"),
                }
            }
            ConverseStreamOutput::MessageStop(stop) => {
                self.stop_reason = Some(stop.stop_reason().clone());
            }
            ConverseStreamOutput::Metadata(metadata) => {
                if let Some(usage) = metadata.usage() {
                    self.usage = Usage::from(usage);
                }
            }
            ConverseStreamOutput::MessageStart(_) | ConverseStreamOutput::ContentBlockStop(_) => {}
            other => tracing::debug!(?other, "ignoring an unknown stream event"),
        }
        Ok(None)
    }

    /// The finished message. Fails when the stream ended without `messageStop`
    /// or a tool call's input is not JSON.
    pub fn finish(self) -> Result<StreamedTurn, Error> {
        let stop_reason = self
            .stop_reason
            .ok_or_else(|| unexpected("the stream ended without a messageStop event".to_owned()))?;
        let content = self
            .blocks
            .into_values()
            .map(|block| match block {
                PartialBlock::Text(text) => Ok(ContentBlock::Text(text)),
                PartialBlock::ToolUse { id, name, input_json } => {
                    // A tool without parameters may stream no input at all.
                    let input: Value = if input_json.trim().is_empty() {
                        Value::Object(serde_json::Map::new())
                    } else {
                        serde_json::from_str(&input_json)
                            .map_err(Error::json("read a streamed tool input"))?
                    };
                    let block = ToolUseBlock::builder()
                        .tool_use_id(id)
                        .name(name)
                        .input(document::from_json(&input))
                        .build()
                        .map_err(Error::build("a toolUse block"))?;
                    Ok(ContentBlock::ToolUse(block))
                }
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let message = Message::builder()
            .role(ConversationRole::Assistant)
            .set_content(Some(content))
            .build()
            .map_err(Error::build("the streamed assistant message"))?;
        Ok(StreamedTurn { message, stop_reason, usage: self.usage })
    }
}

fn unexpected(what: String) -> Error {
    Error::UnexpectedResponse(format!("ConverseStream: {what}"))
}

#[cfg(test)]
mod tests {
    use aws_sdk_bedrockruntime::types::{
        ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent,
        ConverseStreamMetadataEvent, MessageStartEvent, MessageStopEvent, TokenUsage,
        ToolUseBlockDelta, ToolUseBlockStart,
    };
    use serde_json::json;

    use super::*;

    fn text(index: i32, text: &str) -> ConverseStreamOutput {
        ConverseStreamOutput::ContentBlockDelta(
            ContentBlockDeltaEvent::builder()
                .content_block_index(index)
                .delta(ContentBlockDelta::Text(text.to_owned()))
                .build()
                .unwrap(),
        )
    }

    fn tool_start(index: i32, id: &str, name: &str) -> ConverseStreamOutput {
        ConverseStreamOutput::ContentBlockStart(
            ContentBlockStartEvent::builder()
                .content_block_index(index)
                .start(ContentBlockStart::ToolUse(
                    ToolUseBlockStart::builder().tool_use_id(id).name(name).build().unwrap(),
                ))
                .build()
                .unwrap(),
        )
    }

    fn tool_input(index: i32, piece: &str) -> ConverseStreamOutput {
        ConverseStreamOutput::ContentBlockDelta(
            ContentBlockDeltaEvent::builder()
                .content_block_index(index)
                .delta(ContentBlockDelta::ToolUse(
                    ToolUseBlockDelta::builder().input(piece).build().unwrap(),
                ))
                .build()
                .unwrap(),
        )
    }

    fn block_stop(index: i32) -> ConverseStreamOutput {
        ConverseStreamOutput::ContentBlockStop(
            ContentBlockStopEvent::builder().content_block_index(index).build().unwrap(),
        )
    }

    fn stop(reason: StopReason) -> ConverseStreamOutput {
        ConverseStreamOutput::MessageStop(
            MessageStopEvent::builder().stop_reason(reason).build().unwrap(),
        )
    }

    fn metadata(input: i32, output: i32) -> ConverseStreamOutput {
        ConverseStreamOutput::Metadata(
            ConverseStreamMetadataEvent::builder()
                .usage(
                    TokenUsage::builder()
                        .input_tokens(input)
                        .output_tokens(output)
                        .total_tokens(input + output)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
    }

    fn start() -> ConverseStreamOutput {
        ConverseStreamOutput::MessageStart(
            MessageStartEvent::builder().role(ConversationRole::Assistant).build().unwrap(),
        )
    }

    fn feed(events: &[ConverseStreamOutput]) -> (StreamedMessage, String) {
        let mut message = StreamedMessage::new();
        let mut shown = String::new();
        for event in events {
            if let Some(piece) = message.apply(event).unwrap() {
                shown.push_str(piece);
            }
        }
        (message, shown)
    }

    #[test]
    fn text_and_tool_input_are_joined_from_their_pieces() {
        let (message, shown) = feed(&[
            start(),
            text(0, "Let me "),
            text(0, "check."),
            block_stop(0),
            tool_start(1, "tooluse_1", "execute_python"),
            tool_input(1, "{\"co"),
            tool_input(1, "de\": \"print(1"),
            tool_input(1, " + 1)\"}"),
            block_stop(1),
            stop(StopReason::ToolUse),
            metadata(120, 30),
        ]);
        assert_eq!(shown, "Let me check.");
        let turn = message.finish().unwrap();
        assert_eq!(turn.stop_reason, StopReason::ToolUse);
        assert_eq!(turn.usage.input_tokens, 120);
        assert_eq!(turn.usage.output_tokens, 30);
        assert_eq!(turn.message.role(), &ConversationRole::Assistant);
        let content = turn.message.content();
        assert_eq!(content.len(), 2);
        assert_eq!(content[0].as_text().unwrap(), "Let me check.");
        let tool_use = content[1].as_tool_use().unwrap();
        assert_eq!(tool_use.tool_use_id(), "tooluse_1");
        assert_eq!(tool_use.name(), "execute_python");
        assert_eq!(document::to_json(tool_use.input()), json!({"code": "print(1 + 1)"}));
    }

    #[test]
    fn blocks_keep_their_index_order() {
        // Parallel tool calls may interleave; the index decides the order.
        let (message, _) = feed(&[
            tool_start(2, "b", "get_population"),
            tool_start(1, "a", "get_weather"),
            tool_input(2, "{\"city\": \"Denver\"}"),
            tool_input(1, "{\"city\": \"Seattle\"}"),
            text(0, "Two lookups."),
            stop(StopReason::ToolUse),
        ]);
        let turn = message.finish().unwrap();
        let names: Vec<_> = turn
            .message
            .content()
            .iter()
            .map(|block| match block {
                ContentBlock::Text(text) => text.clone(),
                ContentBlock::ToolUse(tool_use) => tool_use.name().to_owned(),
                _ => "?".to_owned(),
            })
            .collect();
        assert_eq!(names, ["Two lookups.", "get_weather", "get_population"]);
        assert_eq!(turn.usage, Usage::default());
    }

    #[test]
    fn a_tool_without_input_gets_an_empty_object() {
        let (message, _) = feed(&[tool_start(0, "t", "now"), stop(StopReason::ToolUse)]);
        let turn = message.finish().unwrap();
        let tool_use = turn.message.content()[0].as_tool_use().unwrap();
        assert_eq!(document::to_json(tool_use.input()), json!({}));
    }

    #[test]
    fn a_text_only_answer_ends_the_turn() {
        let (message, shown) =
            feed(&[text(0, "Mean: "), text(0, "5.5"), stop(StopReason::EndTurn)]);
        assert_eq!(shown, "Mean: 5.5");
        let turn = message.finish().unwrap();
        assert_eq!(turn.stop_reason, StopReason::EndTurn);
        assert_eq!(crate::converse::text_of(&turn.message), "Mean: 5.5");
    }

    #[test]
    fn broken_streams_are_errors() {
        let (message, _) = feed(&[text(0, "cut off")]);
        let err = message.finish().unwrap_err();
        assert!(err.to_string().contains("without a messageStop"), "{err}");

        let (message, _) = feed(&[
            tool_start(0, "t", "execute_python"),
            tool_input(0, "{\"code\": "),
            stop(StopReason::ToolUse),
        ]);
        assert!(matches!(message.finish(), Err(Error::Json { .. })));

        let mut message = StreamedMessage::new();
        assert!(message.apply(&tool_input(3, "{}")).is_err());
        message.apply(&tool_start(4, "t", "x")).unwrap();
        assert!(message.apply(&text(4, "oops")).is_err());
    }
}
