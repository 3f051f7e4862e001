//! An agent in the spirit of Strands: a system prompt, tools and a model; one
//! call, [`Agent::ask`], runs the whole tool-use loop and returns the answer.
//!
//! - The model's text streams in through `ConverseStream`; the agent hands each
//!   piece to the `on_event` callback as it arrives and never prints itself.
//! - It keeps ONE code-interpreter session for its whole life, started before the
//!   first tool call, so state survives between calls (the Python tool of the
//!   Strands sample starts and stops a session inside every call instead).
//! - Stop it with [`Agent::close`], or run it in [`Agent::scope`], which closes
//!   it on every way out (success, error, panic, Ctrl-C). Dropping an agent that
//!   was not closed falls back on the session's `Drop`: a warning and a
//!   best-effort stop in the background.
//!
//! ```no_run
//! # async fn demo(clients: &common::Clients) -> Result<(), common::Error> {
//! use common::agent::{Agent, ExecutePython};
//! let agent = Agent::builder(clients, common::DEFAULT_MODEL_ID)
//!     .system_prompt("You check every answer by running code.")
//!     .tool(ExecutePython)
//!     .on_text(|piece| print!("{piece}"))
//!     .build()?;
//! let (answer, stats) = agent
//!     .scope(async |agent| agent.ask("What is 2**100?").await)
//!     .await?;
//! println!("\n{answer}\n{} tool calls", stats.tool_calls);
//! # Ok(()) }
//! ```

mod print;
mod stream;
mod tool;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_bedrockruntime::types::{
    InferenceConfiguration, Message, StopReason, SystemContentBlock, ToolConfiguration,
};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::cancel::{Guarded, guarded};
use crate::config::Clients;
use crate::converse::{text_of, tool_result, user_message, user_text};
use crate::error::Error;
use crate::session::{CodeInterpreterSession, SessionConfig};
use crate::tool_loop::{ModelApi, ModelReply, ToolCall, ToolHandler, ToolOutput, run_loop};
use crate::usage::Usage;

pub use crate::tools::{AgentTool, ExecutePython, ToolContext};
pub use stream::{StreamedMessage, StreamedTurn};

/// What the agent reports while it works.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum AgentEvent<'a> {
    /// A piece of the model's text, as it streams in.
    Text(&'a str),
    /// The agent's code-interpreter session started (once per agent).
    SessionStarted {
        /// The session's id.
        session_id: &'a str,
    },
    /// The model asked for a tool; it runs next. `number` counts from 1 over the
    /// agent's life.
    ToolCall {
        /// Counts from 1 over the agent's life.
        number: usize,
        /// The tool.
        name: &'a str,
        /// The input the model wrote.
        input: &'a Value,
    },
    /// A tool call finished.
    ToolResult {
        /// The number of its [`AgentEvent::ToolCall`].
        number: usize,
        /// The tool.
        name: &'a str,
        /// What goes back to the model.
        output: &'a ToolOutput,
    },
}

/// What the agent did so far, summed over every `ask`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentStats {
    /// Token usage summed over every model call.
    pub usage: Usage,
    /// Model calls made.
    pub round_trips: usize,
    /// Tool calls run.
    pub tool_calls: usize,
    /// Code-interpreter sessions started (0 or 1: the agent keeps one).
    pub sessions_started: usize,
}

type EventCallback = Box<dyn FnMut(AgentEvent<'_>) + Send>;

/// Builds an [`Agent`]; see [`Agent::builder`].
pub struct AgentBuilder {
    bedrock: aws_sdk_bedrockruntime::Client,
    agentcore: aws_sdk_bedrockagentcore::Client,
    model_id: String,
    system: Vec<String>,
    tools: Vec<Arc<dyn AgentTool>>,
    session: SessionConfig,
    max_tokens: i32,
    max_turns: usize,
    on_event: Option<EventCallback>,
}

impl std::fmt::Debug for AgentBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentBuilder")
            .field("model_id", &self.model_id)
            .field("tools", &self.tools.iter().map(|t| t.name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl AgentBuilder {
    /// Adds a system prompt block.
    pub fn system_prompt(mut self, text: impl Into<String>) -> Self {
        self.system.push(text.into());
        self
    }

    /// Adds a tool.
    pub fn tool(mut self, tool: impl AgentTool + 'static) -> Self {
        self.tools.push(Arc::new(tool));
        self
    }

    /// How the agent's session is started (default: named `agent-session`, 900 s).
    pub fn session(mut self, config: SessionConfig) -> Self {
        self.session = config;
        self
    }

    /// `maxTokens` of every model call (default 4096).
    pub fn max_tokens(mut self, max_tokens: i32) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// Most model calls per `ask` before [`Error::TurnLimit`] (default 10).
    pub fn max_turns(mut self, max_turns: usize) -> Self {
        self.max_turns = max_turns;
        self
    }

    /// Receives every [`AgentEvent`] (replaces an `on_text`).
    pub fn on_event(mut self, on_event: impl FnMut(AgentEvent<'_>) + Send + 'static) -> Self {
        self.on_event = Some(Box::new(on_event));
        self
    }

    /// Receives the model's text as it streams in (replaces an `on_event`).
    pub fn on_text(self, mut on_text: impl FnMut(&str) + Send + 'static) -> Self {
        self.on_event(move |event| {
            if let AgentEvent::Text(piece) = event {
                on_text(piece);
            }
        })
    }

    /// The agent. No session starts yet: that waits for the first tool call.
    pub fn build(self) -> Result<Agent, Error> {
        let tool_config = if self.tools.is_empty() {
            None
        } else {
            let specs = self
                .tools
                .iter()
                .map(|tool| tool::converse_spec(tool.as_ref()))
                .collect::<Result<Vec<_>, _>>()?;
            Some(
                ToolConfiguration::builder()
                    .set_tools(Some(specs))
                    .build()
                    .map_err(Error::build("the agent's tool configuration"))?,
            )
        };
        Ok(Agent {
            bedrock: self.bedrock,
            agentcore: self.agentcore,
            model_id: self.model_id,
            system: self.system.into_iter().map(SystemContentBlock::Text).collect(),
            tools: self.tools,
            tool_config,
            session_config: self.session,
            max_tokens: self.max_tokens,
            max_turns: self.max_turns,
            on_event: self.on_event.unwrap_or_else(|| Box::new(|_| {})),
            messages: Vec::new(),
            session: OnceCell::new(),
            stats: AgentStats::default(),
        })
    }
}

/// A model with a system prompt and tools, one code-interpreter session, and
/// the conversation so far. Close it with [`Agent::close`] or use [`Agent::scope`].
pub struct Agent {
    bedrock: aws_sdk_bedrockruntime::Client,
    agentcore: aws_sdk_bedrockagentcore::Client,
    model_id: String,
    system: Vec<SystemContentBlock>,
    tools: Vec<Arc<dyn AgentTool>>,
    tool_config: Option<ToolConfiguration>,
    session_config: SessionConfig,
    max_tokens: i32,
    max_turns: usize,
    on_event: EventCallback,
    messages: Vec<Message>,
    /// Started by the first tool call.
    session: OnceCell<CodeInterpreterSession>,
    stats: AgentStats,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("model_id", &self.model_id)
            .field("session_id", &self.session_id())
            .field("messages", &self.messages.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// A builder for an agent on `model_id` using the Bedrock and AgentCore
    /// clients of `clients`.
    pub fn builder(clients: &Clients, model_id: impl Into<String>) -> AgentBuilder {
        AgentBuilder {
            bedrock: clients.bedrock.clone(),
            agentcore: clients.agentcore.clone(),
            model_id: model_id.into(),
            system: Vec::new(),
            tools: Vec::new(),
            session: SessionConfig::named("agent-session"),
            max_tokens: 4096,
            max_turns: 10,
            on_event: None,
        }
    }

    /// Sends `prompt`, runs every tool call the model asks for, and returns the
    /// text of the model's final message. The conversation is kept, so a second
    /// `ask` follows up on the first; a failed `ask` leaves it as it was before.
    pub async fn ask(&mut self, prompt: &str) -> Result<String, Error> {
        let kept = self.messages.len();
        let answer = self.converse_until_answer(prompt).await;
        if answer.is_err() {
            self.messages.truncate(kept);
        }
        answer
    }

    async fn converse_until_answer(&mut self, prompt: &str) -> Result<String, Error> {
        let mut messages = self.messages.clone();
        messages.push(user_text(prompt)?);
        // The streamed text and the tool calls both go to the one callback.
        let events = Mutex::new(&mut self.on_event);
        let mut api = StreamingApi {
            bedrock: &self.bedrock,
            model_id: &self.model_id,
            system: &self.system,
            tool_config: self.tool_config.as_ref(),
            max_tokens: self.max_tokens,
            events: &events,
            usage: Usage::default(),
            round_trips: 0,
        };
        let handler = AgentTools {
            agentcore: &self.agentcore,
            tools: &self.tools,
            session_config: &self.session_config,
            session: &self.session,
            events: &events,
            calls: AtomicUsize::new(self.stats.tool_calls),
            sessions_started: AtomicUsize::new(0),
        };
        let report = run_loop(&mut api, messages, self.max_turns, &handler, |_| {}).await;
        self.stats.usage += api.usage;
        self.stats.round_trips += api.round_trips;
        self.stats.tool_calls = handler.calls.load(Ordering::Relaxed);
        self.stats.sessions_started += handler.sessions_started.load(Ordering::Relaxed);
        let report = report?;
        self.messages = report.messages;
        Ok(report.answer)
    }

    /// The conversation so far.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The agent's session id, once a tool call has started it.
    pub fn session_id(&self) -> Option<&str> {
        self.session.get().map(CodeInterpreterSession::id)
    }

    /// Usage, round trips, tool calls and sessions started so far.
    pub fn stats(&self) -> AgentStats {
        self.stats
    }

    /// Stops the session (if one started) and returns the final stats.
    pub async fn close(mut self) -> Result<AgentStats, Error> {
        if let Some(session) = self.session.take() {
            session.stop().await?;
        }
        Ok(self.stats)
    }

    /// Runs `body` with the agent, then closes it whatever happened:
    ///
    /// - `Ok`: the agent is closed (a failed stop is the error) and the body's
    ///   value comes back with the final stats;
    /// - `Err`: the agent is closed and the body's error returned (a failed stop
    ///   is logged);
    /// - a panic: the agent is closed, then the panic resumes;
    /// - Ctrl-C first: the body is dropped, the agent closed, and the result is
    ///   [`Error::Interrupted`].
    pub async fn scope<T, E, F>(mut self, body: F) -> Result<(T, AgentStats), E>
    where
        F: AsyncFnOnce(&mut Agent) -> Result<T, E>,
        E: From<Error>,
    {
        let outcome = guarded(body(&mut self)).await;
        let id = self.session_id().map(str::to_owned);
        let stats = self.stats;
        match (outcome, self.close().await) {
            (Guarded::Done(Ok(value)), closed) => Ok((value, closed?)),
            (outcome, closed) => {
                if let Err(err) = closed {
                    tracing::warn!(
                        session_id = id.as_deref().unwrap_or("none"),
                        error = %aws_smithy_types::error::display::DisplayErrorContext(&err),
                        "could not stop the agent's session"
                    );
                }
                // Never `Ok` here (that is the arm above); errors, Ctrl-C and panics.
                outcome.into_result().map(|value| (value, stats))
            }
        }
    }
}

/// The agent's `ConverseStream` calls as the loop's [`ModelApi`]: the text goes to the
/// callback as it streams in.
struct StreamingApi<'a> {
    bedrock: &'a aws_sdk_bedrockruntime::Client,
    model_id: &'a str,
    system: &'a [SystemContentBlock],
    tool_config: Option<&'a ToolConfiguration>,
    max_tokens: i32,
    events: &'a Mutex<&'a mut EventCallback>,
    usage: Usage,
    round_trips: usize,
}

#[async_trait::async_trait]
impl ModelApi for StreamingApi<'_> {
    type Message = Message;
    const OPERATION: &'static str = "ConverseStream";

    async fn call(&mut self, messages: &[Message]) -> Result<ModelReply<Message>, Error> {
        self.round_trips += 1;
        let mut output = self
            .bedrock
            .converse_stream()
            .model_id(self.model_id)
            .set_messages(Some(messages.to_vec()))
            .set_system((!self.system.is_empty()).then(|| self.system.to_vec()))
            .set_tool_config(self.tool_config.cloned())
            .inference_config(InferenceConfiguration::builder().max_tokens(self.max_tokens).build())
            .send()
            .await
            .map_err(|err| Error::sdk("ConverseStream", err))?;
        let mut message = StreamedMessage::new();
        let stream = &mut output.stream;
        while let Some(event) = stream
            .recv()
            .await
            .map_err(|err| Error::stream("ConverseStream (event stream)", err))?
        {
            if let Some(piece) = message.apply(&event)? {
                (lock(self.events))(AgentEvent::Text(piece));
            }
        }
        let turn = message.finish()?;
        self.usage += turn.usage;
        Ok(ModelReply {
            tool_calls: crate::converse::tool_calls(&turn.message),
            text: text_of(&turn.message),
            stop_reason: turn.stop_reason.as_str().to_owned(),
            wants_tools: turn.stop_reason == StopReason::ToolUse,
            usage: turn.usage,
            message: turn.message,
        })
    }

    fn tool_results(&self, results: Vec<(ToolCall, ToolOutput)>) -> Result<Message, Error> {
        let blocks = results.iter().map(|(call, output)| tool_result(&call.id, output));
        user_message(blocks.collect::<Result<_, _>>()?)
    }
}

/// The agent's tools as the loop's [`ToolHandler`]: the session starts with the first
/// call and serves every later one.
struct AgentTools<'a> {
    agentcore: &'a aws_sdk_bedrockagentcore::Client,
    tools: &'a [Arc<dyn AgentTool>],
    session_config: &'a SessionConfig,
    session: &'a OnceCell<CodeInterpreterSession>,
    events: &'a Mutex<&'a mut EventCallback>,
    /// Tool calls over the agent's life (numbers the events).
    calls: AtomicUsize,
    sessions_started: AtomicUsize,
}

#[async_trait::async_trait]
impl ToolHandler for AgentTools<'_> {
    async fn call(&self, name: &str, input: Value) -> Result<ToolOutput, Error> {
        let session = self
            .session
            .get_or_try_init(|| async {
                let session =
                    CodeInterpreterSession::start(self.agentcore, self.session_config.clone())
                        .await?;
                self.sessions_started.fetch_add(1, Ordering::Relaxed);
                (lock(self.events))(AgentEvent::SessionStarted { session_id: session.id() });
                Ok::<_, Error>(session)
            })
            .await?;
        let number = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        (lock(self.events))(AgentEvent::ToolCall { number, name, input: &input });
        let output = match self.tools.iter().find(|tool| tool.name() == name) {
            Some(tool) => tool.call(input, &ToolContext { session }).await?,
            None => ToolOutput::error(format!("unknown tool '{name}'")),
        };
        (lock(self.events))(AgentEvent::ToolResult { number, name, output: &output });
        Ok(output)
    }
}

/// The callback, even after a panic in another call of it (it holds no invariant).
fn lock<'a, 'b>(
    events: &'a Mutex<&'b mut EventCallback>,
) -> std::sync::MutexGuard<'a, &'b mut EventCallback> {
    events.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
