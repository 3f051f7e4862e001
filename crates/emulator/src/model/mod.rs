//! The scripted model: replays transcripts matched against the conversation.
//!
//! Wire handlers (Converse, InvokeModel) convert a request into a neutral [`Conversation`], call
//! [`ModelService::respond`], and convert the [`Reply`] back. Tool calls the model makes are
//! executed for real by the client (an example, or the bridge for the code execution tool); the
//! final answers quote values captured from those real results.
//!
//! # Transcript files
//!
//! One transcript per TOML file. The emulator embeds the files of `crates/emulator/transcripts/`
//! and loads `*.toml` from the directory given by `--transcripts DIR` or
//! `AGENTCORE_EMULATOR_TRANSCRIPTS`:
//!
//! ```toml
//! name = "mean-std"                      # unique; a user file with an embedded name replaces it
//! description = "what it is for"         # optional
//!
//! [match]
//! first_user_message = "Calculate ..."   # the first user message, exact (trimmed) ...
//! # first_user_contains = "mean"         # ... or a substring (exactly one of the two)
//! api = ["converse", "invoke_model"]     # optional: converse | invoke_model
//! tools = ["execute_python"]             # optional: tool names (or Anthropic tool types) that
//!                                        #   must all be offered
//! system_contains = ["verif", "check"]   # optional: any of these, case-insensitive, in the system
//!
//! [[turns]]                              # turn 1: the first reply
//! text = "I'll compute that."            # optional when the turn calls tools
//! [[turns.tool_calls]]
//! name = "execute_python"
//! [turns.tool_calls.input]               # the tool input, any TOML table
//! code = '''print("Mean: 5.5")'''
//!
//! [[turns]]                              # turn 2
//! text = "The mean is {mean}."
//! [turns.captures]                       # regexes over the tool results, latest first;
//! mean = 'Mean: ([0-9.]+)'               #   the value is group 1 (or the whole match)
//! # temp = { pattern = '"temp_f": (\d+)', tool = "get_weather", input = "Denver" }
//! #   only results of calls to that tool whose JSON input contains that text
//! ```
//!
//! Selection: of the transcripts whose rules all hold, the most specific wins (exact message 3,
//! contains 1, plus 1 per api rule, required tool and system rule); on a tie a user file wins
//! over an embedded one. The turn played is the number of assistant messages already in the
//! conversation, so each reply must be appended as its own assistant message. Past the last turn
//! the model says the transcript ended. In a text, `{name}` is a capture of that turn,
//! `{last_result}` the latest tool result, `{{`/`}}` literal braces. A capture that finds
//! nothing renders as `[could not find `name` in the tool output (pattern `...`)]`, and when the
//! latest tool result is an error the text gets a note quoting it.
//!
//! Tool-use ids are deterministic: `tooluse_` + 22 hex digits for Converse, `toolu_01` + 22 for
//! InvokeModel's Anthropic format.

mod anthropic_convert;
mod cache;
pub(crate) mod catalog;
mod error;
mod prompt;
mod render;
mod template;
mod transcript;
mod types;

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use anthropic_convert::{parse_request, response_for, to_conversation};
#[cfg(test)]
use cache::ManualClock;
pub use cache::{Clock, SystemClock};
#[cfg(test)]
use error::TRANSCRIPTS_ENV;
pub use error::{ModelError, NoTranscript};
pub use messages::{split_for_streaming, stream_events};
pub use prompt::{PromptBuilder, count_tokens, uncached_prompt_blocks};
pub use types::{
    Api, Block, CacheTtl, Conversation, Message, Reply, Role, StopReason, ToolDef, Usage,
};

use cache::{PromptCache, usage_for};
use transcript::Transcript;

/// The scripted model; `Send + Sync`, shared by every handler.
#[derive(Debug)]
pub struct ModelService {
    transcripts: Vec<Transcript>,
    cache: PromptCache,
}

impl ModelService {
    /// The embedded transcripts plus the `*.toml` files of `user_transcripts_dir`.
    pub fn new(user_transcripts_dir: Option<&Path>) -> Result<Self, ModelError> {
        Self::with_clock(user_transcripts_dir, Arc::new(SystemClock))
    }

    /// As [`ModelService::new`], with the clock the prompt cache uses for expiry.
    pub fn with_clock(
        user_transcripts_dir: Option<&Path>, clock: Arc<dyn Clock>,
    ) -> Result<Self, ModelError> {
        let transcripts = transcript::load_all(user_transcripts_dir)?;
        tracing::debug!(count = transcripts.len(), "transcripts loaded");
        Ok(Self { transcripts, cache: PromptCache::new(clock) })
    }

    /// The input tokens `conv` counts, as CountTokens reports them: what the
    /// prompt would cost uncached, without touching the prompt cache.
    pub fn input_tokens(conv: &Conversation) -> u64 {
        prompt_blocks(conv).iter().map(|b| u64::from(b.tokens)).sum()
    }

    /// Plays the next turn of the transcript matching `conv`.
    pub fn respond(&self, conv: &Conversation) -> Result<Reply, ModelError> {
        let transcript = self.select(conv)?;
        let turn_index = conv.assistant_turns();
        let mut content = Vec::new();
        match transcript.turns.get(turn_index) {
            Some(turn) => {
                if let Some(text) = render::render_text(turn, conv) {
                    content.push(Block::Text(text));
                }
                for (i, call) in turn.tool_calls.iter().enumerate() {
                    content.push(Block::ToolUse {
                        id: tool_use_id(conv, transcript, turn_index, i),
                        name: call.name.clone(),
                        input: call.input.clone(),
                    });
                }
            }
            None => content.push(Block::Text(format!(
                "[The scripted conversation `{}` has {} turn(s) and they have all been played; \
                 there is nothing more to say.]",
                transcript.name,
                transcript.turns.len()
            ))),
        }
        let mut stop_reason = if content.iter().any(|b| matches!(b, Block::ToolUse { .. })) {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        };
        let mut output_tokens = output_tokens(&content);
        if let Some(max) = conv.max_tokens
            && output_tokens > max
        {
            content = truncate(content, max);
            output_tokens = max;
            stop_reason = StopReason::MaxTokens;
        }

        let blocks = &*prompt_blocks(conv);
        let outcome = self.cache.apply(&conv.model_id, blocks);
        let usage = usage_for(blocks, outcome, output_tokens);
        tracing::info!(
            transcript = %transcript.name,
            turn = turn_index + 1,
            api = %conv.api,
            model = %conv.model_id,
            stop_reason = stop_reason.as_str(),
            input_tokens = usage.input_tokens,
            cache_read = usage.cache_read_input_tokens,
            cache_write = usage.cache_write_input_tokens,
            "scripted model replied"
        );
        Ok(Reply { content, stop_reason, usage })
    }

    fn select(&self, conv: &Conversation) -> Result<&Transcript, ModelError> {
        self.transcripts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.matches(conv).map(|score| (score, t.origin, i, t)))
            // Highest score, then user over embedded, then the earliest loaded.
            .max_by(|a, b| {
                (a.0, a.1, std::cmp::Reverse(a.2)).cmp(&(b.0, b.1, std::cmp::Reverse(b.2)))
            })
            .map(|(.., t)| t)
            .ok_or_else(|| {
                ModelError::NoTranscript(Box::new(NoTranscript {
                    api: conv.api,
                    model_id: conv.model_id.clone(),
                    first_user_message: conv.first_user_text(),
                    tools: conv.tools.iter().map(|t| t.name.clone()).collect(),
                    system: (!conv.system.is_empty()).then(|| conv.system.join("\n")),
                }))
            })
    }
}

/// The prompt as cacheable blocks: the ones the request marked, or else the whole
/// prompt uncached.
fn prompt_blocks(conv: &Conversation) -> std::borrow::Cow<'_, [types::PromptBlock]> {
    if conv.prompt_blocks.is_empty() {
        std::borrow::Cow::Owned(uncached_prompt_blocks(conv))
    } else {
        std::borrow::Cow::Borrowed(&conv.prompt_blocks)
    }
}

fn output_tokens(content: &[Block]) -> u32 {
    count_tokens(&serde_json::to_string(content).unwrap_or_default())
}

/// Keeps the text that fits in `max` tokens and drops tool calls.
fn truncate(content: Vec<Block>, max: u32) -> Vec<Block> {
    let mut left = usize::try_from(max).unwrap_or(usize::MAX).saturating_mul(4);
    let mut out = Vec::new();
    for b in content {
        if let Block::Text(t) = b {
            let kept: String = t.chars().take(left).collect();
            left -= kept.chars().count();
            if !kept.is_empty() {
                out.push(Block::Text(kept));
            }
        }
    }
    out
}

fn tool_use_id(conv: &Conversation, transcript: &Transcript, turn: usize, call: usize) -> String {
    let mut h = Sha256::new();
    h.update(transcript.name.as_bytes());
    h.update([0]);
    h.update(conv.first_user_text().unwrap_or_default().as_bytes());
    h.update([0]);
    h.update(turn.to_le_bytes());
    h.update(call.to_le_bytes());
    let digest = hex::encode(h.finalize());
    format!("{}{}", conv.api.tool_use_prefix(), &digest[..22])
}

#[cfg(test)]
mod tests;
