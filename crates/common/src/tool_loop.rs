//! What the Converse and InvokeModel tool-use loops share: the tool handler, the
//! events they report as they go, and the report they return.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::report::Usage;
use crate::session::ExecutionResult;

/// What a tool call produced, as it goes back to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// The text of the tool result.
    pub text: String,
    /// Sent as an error result (`status: error` / `is_error: true`).
    pub is_error: bool,
    /// Set when the call found its code-interpreter session ended: the loops stop
    /// with [`crate::Error::SessionExpired`] instead of going on without a sandbox.
    pub session_expired: Option<String>,
}

impl ToolOutput {
    /// A successful result. Blank text becomes "(no output)": the services refuse
    /// blank text blocks.
    pub fn ok(text: impl Into<String>) -> Self {
        Self { text: non_blank(text.into()), is_error: false, session_expired: None }
    }

    /// A result as the sandbox reported it: an error result when `is_error`.
    pub fn new(text: impl Into<String>, is_error: bool) -> Self {
        if is_error { Self::error(text) } else { Self::ok(text) }
    }

    /// What the model gets when a call failed: the error as an error result, so
    /// it can try again. An ended session is no result: its error comes back, since
    /// the loop cannot go on without a sandbox.
    pub fn from_failure(err: crate::Error) -> Result<Self, crate::Error> {
        if err.is_session_expired() {
            return Err(err);
        }
        let text = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
        Ok(Self::error(text))
    }

    /// An error result: the model sees the message and can try again.
    pub fn error(text: impl Into<String>) -> Self {
        Self { text: non_blank(text.into()), is_error: true, session_expired: None }
    }

    /// The session `session_id` has ended; the loop stops with
    /// [`crate::Error::SessionExpired`].
    pub fn session_expired(session_id: impl Into<String>) -> Self {
        let session_id = session_id.into();
        Self {
            text: format!("the code-interpreter session {session_id} has ended"),
            is_error: true,
            session_expired: Some(session_id),
        }
    }

    /// The [`crate::Error::SessionExpired`] to stop a loop with, if the session ended.
    pub fn expired_error(&self) -> Option<crate::Error> {
        self.session_expired.as_ref().map(|session_id| crate::Error::SessionExpired {
            session_id: session_id.clone(),
            source: self.text.clone().into(),
        })
    }
}

impl From<&ExecutionResult> for ToolOutput {
    /// The result's text; its stderr when the text is blank; and when the code
    /// printed nothing at all, a sentence that says so. Bedrock and the Messages
    /// API refuse a blank text block, so an empty tool result would end the run.
    fn from(result: &ExecutionResult) -> Self {
        let text = if !result.text.trim().is_empty() {
            result.text.clone()
        } else if !result.stderr.trim().is_empty() {
            result.stderr.clone()
        } else {
            silent_run(result.exit_code)
        };
        Self { text, is_error: result.is_error, session_expired: None }
    }
}

fn non_blank(text: String) -> String {
    if text.trim().is_empty() { "(no output)".to_owned() } else { text }
}

/// What a tool result says when the code printed nothing.
fn silent_run(exit_code: Option<i32>) -> String {
    match exit_code {
        Some(code) => format!("The code ran and printed nothing (exit code {code})."),
        None => "The code ran and printed nothing.".to_owned(),
    }
}

/// Runs the tool calls of a loop. A failure is a [`ToolOutput::error`], never a
/// panic or an abort: the model gets it and the loop goes on.
///
/// Closures `Fn(String, Value) -> impl Future<Output = ToolOutput>` are handlers.
#[async_trait::async_trait]
pub trait ToolHandler: Send + Sync {
    /// Runs tool `name` with `input` (the JSON the model wrote).
    async fn call(&self, name: &str, input: Value) -> ToolOutput;
}

#[async_trait::async_trait]
impl<F, Fut> ToolHandler for F
where
    F: Fn(String, Value) -> Fut + Send + Sync,
    Fut: Future<Output = ToolOutput> + Send,
{
    async fn call(&self, name: &str, input: Value) -> ToolOutput {
        self(name.to_owned(), input).await
    }
}

/// What a loop reports while it runs, so an example can print as it happens.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum LoopEvent<'a> {
    /// A model call is about to be made (1-based).
    ModelCall { round_trip: usize },
    /// A model call returned.
    ModelResponse { round_trip: usize, stop_reason: &'a str, usage: Usage },
    /// The model asked for a tool; it runs next.
    ToolCall { id: &'a str, name: &'a str, input: &'a Value },
    /// A tool call finished.
    ToolResult { id: &'a str, name: &'a str, output: &'a ToolOutput },
}

/// What a loop did: the answer, the whole conversation and the counts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoopReport<M> {
    /// The text of the last assistant message.
    pub answer: String,
    /// The conversation, first user message to last assistant message.
    pub messages: Vec<M>,
    /// The stop reason of the last model call.
    pub stop_reason: String,
    /// Usage summed over every model call.
    pub usage: Usage,
    /// Model calls made.
    pub round_trips: usize,
    /// Tool calls run.
    pub tool_calls: usize,
    /// Wall time of the loop.
    pub wall_time: Duration,
}

impl<M> LoopReport<M> {
    /// `answer`, `round_trips`, `tool_calls`, `usage` and `wall_ms` as one JSON
    /// object, the shape of one run in a `--json` report (06's `calls`, 07's runs).
    pub fn summary_json(&self) -> Value {
        serde_json::json!({
            "answer": self.answer,
            "round_trips": self.round_trips,
            "tool_calls": self.tool_calls,
            "usage": self.usage,
            "wall_ms": u64::try_from(self.wall_time.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// A table of several runs, one column each: round trips, tool calls, input
    /// tokens (cached ones included) and wall time, as measured.
    pub fn side_by_side(columns: &[(&str, &Self)]) -> String {
        let mut table = format!("{:<14}", "");
        for (label, _) in columns {
            table.push_str(&format!("{label:>14}"));
        }
        type Cell<R> = fn(&R) -> String;
        let rows: [(&str, Cell<Self>); 4] = [
            ("Round trips", |r| r.round_trips.to_string()),
            ("Tool calls", |r| r.tool_calls.to_string()),
            ("Input tokens", |r| r.usage.total_input_tokens().to_string()),
            ("Wall time", |r| format!("{} ms", r.wall_time.as_millis())),
        ];
        for (name, cell) in rows {
            table.push_str(&format!("\n{name:<14}"));
            for (_, report) in columns {
                table.push_str(&format!("{:>14}", cell(report)));
            }
        }
        table
    }

    /// A loop that starts with `messages` (the first user message).
    pub fn new(messages: Vec<M>) -> Self {
        Self {
            answer: String::new(),
            messages,
            stop_reason: String::new(),
            usage: Usage::default(),
            round_trips: 0,
            tool_calls: 0,
            wall_time: Duration::ZERO,
        }
    }

    /// Counts one more model call; [`crate::Error::TurnLimit`] past `max_turns`.
    pub fn next_turn(&mut self, max_turns: usize) -> Result<usize, crate::Error> {
        if self.round_trips >= max_turns {
            return Err(crate::Error::TurnLimit { max_turns });
        }
        self.round_trips += 1;
        Ok(self.round_trips)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(text: &str, stderr: &str, exit_code: Option<i32>) -> ExecutionResult {
        ExecutionResult {
            text: text.to_owned(),
            stderr: stderr.to_owned(),
            exit_code,
            ..ExecutionResult::default()
        }
    }

    #[test]
    fn silent_code_still_gives_the_model_a_non_blank_result() {
        // Bedrock and the Messages API refuse blank text blocks.
        let output = ToolOutput::from(&result("", "", Some(0)));
        assert_eq!(output.text, "The code ran and printed nothing (exit code 0).");
        assert!(!output.is_error);
        let output = ToolOutput::from(&result(" \n", "", None));
        assert_eq!(output.text, "The code ran and printed nothing.");
        let output = ToolOutput::from(&result("", "Traceback ...", Some(1)));
        assert_eq!(output.text, "Traceback ...");
        assert_eq!(ToolOutput::ok("").text, "(no output)");
        assert_eq!(ToolOutput::error("  ").text, "(no output)");
        assert_eq!(ToolOutput::from(&result("42\n", "", Some(0))).text, "42\n");
    }
}
