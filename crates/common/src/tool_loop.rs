//! What the Converse and InvokeModel tool-use loops share: the tool handler, the
//! events they report as they go, and the report they return.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::session::ExecutionResult;
use crate::usage::Usage;

/// What a tool call produced, as it goes back to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// The text of the tool result.
    pub text: String,
    /// Sent as an error result (`status: error` / `is_error: true`).
    pub is_error: bool,
}

impl ToolOutput {
    /// A successful result. Blank text becomes "(no output)": the services refuse
    /// blank text blocks.
    pub fn ok(text: impl Into<String>) -> Self {
        Self { text: non_blank(text.into()), is_error: false }
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
        let text = aws_smithy_types::error::display::DisplayErrorContext(&err);
        Ok(Self::error(format!("code execution failed: {text}")))
    }

    /// An error result: the model sees the message and can try again.
    pub fn error(text: impl Into<String>) -> Self {
        Self { text: non_blank(text.into()), is_error: true }
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
        Self { text, is_error: result.is_error }
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

/// Runs the tool calls of a loop. `Ok` is what the model gets, an error result
/// included (bad input, code that failed, a call the service refused): the loop goes
/// on. `Err` stops the loop with that error, sources kept: a session that has ended
/// ([`crate::Error::SessionExpired`]) leaves nothing to run the next call in.
///
/// Closures `Fn(String, Value) -> impl Future<Output = Result<ToolOutput, Error>>` are
/// handlers.
#[async_trait::async_trait]
pub trait ToolHandler: Send + Sync {
    /// Runs tool `name` with `input` (the JSON the model wrote).
    async fn call(&self, name: &str, input: Value) -> Result<ToolOutput, crate::Error>;
}

#[async_trait::async_trait]
impl<F, Fut> ToolHandler for F
where
    F: Fn(String, Value) -> Fut + Send + Sync,
    Fut: Future<Output = Result<ToolOutput, crate::Error>> + Send,
{
    async fn call(&self, name: &str, input: Value) -> Result<ToolOutput, crate::Error> {
        self(name.to_owned(), input).await
    }
}

/// What a loop reports while it runs, so an example can print as it happens.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum LoopEvent<'a> {
    /// A model call is about to be made.
    ModelCall {
        /// Its number, from 1.
        round_trip: usize,
    },
    /// A model call returned.
    ModelResponse {
        /// Its number, from 1.
        round_trip: usize,
        /// The API's stop reason.
        stop_reason: &'a str,
        /// Its tokens.
        usage: Usage,
    },
    /// The model asked for a tool; it runs next.
    ToolCall {
        /// The call's id.
        id: &'a str,
        /// The tool.
        name: &'a str,
        /// The input the model wrote.
        input: &'a Value,
    },
    /// A tool call finished.
    ToolResult {
        /// The call's id.
        id: &'a str,
        /// The tool.
        name: &'a str,
        /// What goes back to the model.
        output: &'a ToolOutput,
    },
}

/// A tool call the model asked for.
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// The id the result must name.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The JSON the model wrote.
    pub input: Value,
}

/// One answer of the model, in the API's own message type.
#[derive(Debug, Clone)]
pub struct ModelReply<M> {
    /// The assistant message, appended to the conversation.
    pub message: M,
    /// The API's stop reason (`tool_use`, `end_turn`, ...).
    pub stop_reason: String,
    /// Whether the model stopped to have tools run.
    pub wants_tools: bool,
    /// The tools it asked for, in order.
    pub tool_calls: Vec<ToolCall>,
    /// The text of the message.
    pub text: String,
    /// The call's tokens.
    pub usage: Usage,
}

/// A model API the tool loop drives (Converse, InvokeModel): one call with the
/// conversation so far, and the user message that answers a turn's tool calls.
#[async_trait::async_trait]
pub trait ModelApi: Send {
    /// The API's message type.
    type Message: Clone + Send + Sync;
    /// The name of the API call, for errors.
    const OPERATION: &'static str;
    /// Calls the model with the conversation.
    async fn call(
        &mut self, messages: &[Self::Message],
    ) -> Result<ModelReply<Self::Message>, crate::Error>;
    /// The user message with the results of one turn's tool calls.
    fn tool_results(
        &self, results: Vec<(ToolCall, ToolOutput)>,
    ) -> Result<Self::Message, crate::Error>;
}

/// The tool-use loop: calls the model, runs each tool it asks for with `handler`,
/// sends the results back in one user message, until it answers without asking
/// for tools. At most `max_turns` model calls ([`crate::Error::TurnLimit`]).
pub async fn run_loop<A: ModelApi, H: ToolHandler + ?Sized>(
    api: &mut A, messages: Vec<A::Message>, max_turns: usize, handler: &H,
    mut on_event: impl FnMut(LoopEvent<'_>),
) -> Result<LoopReport<A::Message>, crate::Error> {
    let started = std::time::Instant::now();
    let mut report = LoopReport::new(messages);
    loop {
        let round_trip = report.next_turn(max_turns)?;
        on_event(LoopEvent::ModelCall { round_trip });
        let reply = api.call(&report.messages).await?;
        report.usage += reply.usage;
        on_event(LoopEvent::ModelResponse {
            round_trip,
            stop_reason: &reply.stop_reason,
            usage: reply.usage,
        });
        report.messages.push(reply.message);
        if !reply.wants_tools {
            report.answer = reply.text;
            report.stop_reason = reply.stop_reason;
            report.wall_time = started.elapsed();
            return Ok(report);
        }
        if reply.tool_calls.is_empty() {
            let message = format!("{}: stop reason tool_use without a tool call", A::OPERATION);
            return Err(crate::Error::UnexpectedResponse(message));
        }
        let mut results = Vec::new();
        for call in reply.tool_calls {
            on_event(LoopEvent::ToolCall { id: &call.id, name: &call.name, input: &call.input });
            let output = handler.call(&call.name, call.input.clone()).await?;
            report.tool_calls += 1;
            on_event(LoopEvent::ToolResult { id: &call.id, name: &call.name, output: &output });
            results.push((call, output));
        }
        report.messages.push(api.tool_results(results)?);
    }
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
        let mut result = ExecutionResult::default();
        result.text = text.to_owned();
        result.stderr = stderr.to_owned();
        result.exit_code = exit_code;
        result
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
