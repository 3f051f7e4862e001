//! What a turn sends its client: one Anthropic stream, whatever happens behind it.
//!
//! A turn makes several model calls and runs tools between them; the client sees
//! one `message_start`, the blocks of every call with their indices renumbered into
//! one sequence, each tool result as one block the moment it is there, `ping`s while
//! a tool runs, and one closing `message_delta` (stop reason, container, usage summed
//! over the calls) and `message_stop`. The events go into a channel: the streaming
//! answer writes them out as they come, the plain answer folds them into one response
//! ([`messages::Assembler`]): one turn, two ways of delivering it.

use messages::{Container, ContentBlock, StopReason, Usage};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::error::ApiError;

/// What a turn hands its client, in order.
#[derive(Debug)]
pub enum Emitted {
    /// One event of the stream (its `type` is the SSE event name).
    Event(Value),
    /// The turn failed and nothing it did needs keeping: an error answer (before the
    /// first event) or an `error` event.
    Failed(ApiError),
}

/// The client hung up: nobody reads the turn any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone;

/// Writes one turn's events.
#[derive(Debug)]
pub struct Emitter {
    out: mpsc::Sender<Emitted>,
    /// The model name the client asked for (responses carry it, not Bedrock's id).
    model: String,
    started: bool,
    /// The index the next block gets.
    next_index: usize,
    /// Blocks started and not yet stopped (a model call that broke off).
    open: Vec<usize>,
    /// Usage of every model call so far.
    usage: Usage,
}

impl Emitter {
    /// An emitter of the turn for `model` into `out`.
    pub fn new(out: mpsc::Sender<Emitted>, model: String) -> Self {
        Self {
            out,
            model,
            started: false,
            next_index: 0,
            open: Vec::new(),
            usage: Usage::default(),
        }
    }

    async fn send(&self, event: Value) -> Result<(), Gone> {
        self.out.send(Emitted::Event(event)).await.map_err(|_| Gone)
    }

    /// Whether anything has gone out yet.
    pub fn started(&self) -> bool {
        self.started
    }

    /// `message_start`, once: with the id of the first model call (or a new one)
    /// and its usage.
    pub async fn start(&mut self, id: Option<&str>, usage: Usage) -> Result<(), Gone> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let id = id.map_or_else(|| format!("msg_bridge_{}", crate::random_suffix()), str::to_owned);
        let message = json!({
            "id": id, "type": "message", "role": "assistant", "model": self.model,
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage,
        });
        self.send(json!({"type": "message_start", "message": message})).await
    }

    /// Adds a model call's usage to the turn's.
    pub fn count(&mut self, usage: Usage) {
        self.usage += usage;
    }

    /// The index the next block gets: a model call's block `i` is `base + i`.
    pub fn base(&self) -> usize {
        self.next_index
    }

    /// Passes on an event of a model call whose block indices start at `base`,
    /// `block` replacing the event's `content_block` when given.
    pub async fn forward(
        &mut self, base: usize, mut event: Value, block: Option<Value>,
    ) -> Result<(), Gone> {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
        if let Some(index) = event.get("index").and_then(Value::as_u64) {
            let index = base + usize::try_from(index).unwrap_or_default();
            event["index"] = json!(index);
            match kind.as_str() {
                "content_block_start" => {
                    self.open.push(index);
                    self.next_index = self.next_index.max(index + 1);
                }
                "content_block_stop" => self.open.retain(|&open| open != index),
                _ => {}
            }
        }
        if let Some(block) = block {
            event["content_block"] = block;
        }
        self.send(event).await
    }

    /// A whole block at once (a tool's result, a call made by code).
    pub async fn block(&mut self, block: &ContentBlock) -> Result<(), Gone> {
        let index = self.next_index;
        self.next_index += 1;
        let block = serde_json::to_value(block).unwrap_or(Value::Null);
        self.send(json!({"type": "content_block_start", "index": index, "content_block": block}))
            .await?;
        self.send(json!({"type": "content_block_stop", "index": index})).await
    }

    /// Keeps the connection busy while a tool runs.
    pub async fn ping(&self) -> Result<(), Gone> {
        self.send(json!({"type": "ping"})).await
    }

    /// Stops the blocks a broken-off model call left open.
    pub async fn close_open(&mut self) -> Result<(), Gone> {
        for index in std::mem::take(&mut self.open) {
            self.send(json!({"type": "content_block_stop", "index": index})).await?;
        }
        Ok(())
    }

    /// `message_delta` (stop reason, container, the turn's usage) and `message_stop`.
    pub async fn finish(
        &mut self, stop_reason: StopReason, stop_sequence: Option<String>,
        container: Option<Container>,
    ) -> Result<(), Gone> {
        self.start(None, Usage::default()).await?;
        self.close_open().await?;
        let mut delta = json!({"stop_reason": stop_reason, "stop_sequence": stop_sequence});
        if let Some(container) = container {
            delta["container"] = json!(container);
        }
        let usage = self.usage;
        self.send(json!({"type": "message_delta", "delta": delta, "usage": usage})).await?;
        self.send(json!({"type": "message_stop"})).await
    }

    /// The turn failed: its error goes to the client (who decides how to show it).
    pub async fn fail(&self, error: ApiError) {
        let _ = self.out.send(Emitted::Failed(error)).await;
    }
}
