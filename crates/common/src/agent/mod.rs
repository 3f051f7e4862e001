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

mod stream;
mod tool;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use aws_sdk_bedrockruntime::types::{
    ConversationRole, InferenceConfiguration, Message, StopReason, SystemContentBlock,
    ToolConfiguration,
};
use futures::FutureExt;
use serde_json::Value;

use crate::config::Clients;
use crate::converse::{text_of, tool_result, tool_uses, user_text};
use crate::error::Error;
use crate::report::Usage;
use crate::session::{CodeInterpreterSession, SessionConfig};
use crate::tool_loop::ToolOutput;

pub use stream::{StreamedMessage, StreamedTurn};
pub use tool::{AgentTool, ExecutePython, ToolContext};

/// What the agent reports while it works.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum AgentEvent<'a> {
    /// A piece of the model's text, as it streams in.
    Text(&'a str),
    /// The agent's code-interpreter session started (once per agent).
    SessionStarted { session_id: &'a str },
    /// The model asked for a tool; it runs next. `number` counts from 1 over the
    /// agent's life.
    ToolCall { number: usize, name: &'a str, input: &'a Value },
    /// A tool call finished.
    ToolResult { number: usize, name: &'a str, output: &'a ToolOutput },
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
            session: None,
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
    session: Option<CodeInterpreterSession>,
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
        self.messages.push(user_text(prompt)?);
        for _ in 0..self.max_turns {
            let turn = self.stream_one_turn().await?;
            self.messages.push(turn.message.clone());
            if turn.stop_reason != StopReason::ToolUse {
                return Ok(text_of(&turn.message));
            }
            let mut results = Vec::new();
            for tool_use in tool_uses(&turn.message) {
                let input = crate::document::to_json(tool_use.input());
                let output = self.call_tool(tool_use.name(), &input).await?;
                results.push(tool_result(tool_use.tool_use_id(), &output)?);
            }
            if results.is_empty() {
                return Err(Error::UnexpectedResponse(
                    "stop reason tool_use without a toolUse block".to_owned(),
                ));
            }
            let reply = Message::builder()
                .role(ConversationRole::User)
                .set_content(Some(results))
                .build()
                .map_err(Error::build("the tool results message"))?;
            self.messages.push(reply);
        }
        Err(Error::TurnLimit { max_turns: self.max_turns })
    }

    /// One `ConverseStream` call, its text handed out as it arrives.
    async fn stream_one_turn(&mut self) -> Result<StreamedTurn, Error> {
        self.stats.round_trips += 1;
        let mut output = self
            .bedrock
            .converse_stream()
            .model_id(&self.model_id)
            .set_messages(Some(self.messages.clone()))
            .set_system((!self.system.is_empty()).then(|| self.system.clone()))
            .set_tool_config(self.tool_config.clone())
            .inference_config(InferenceConfiguration::builder().max_tokens(self.max_tokens).build())
            .send()
            .await
            .map_err(|err| Error::sdk("ConverseStream", err))?;
        let mut message = StreamedMessage::new();
        while let Some(event) = output
            .stream
            .recv()
            .await
            .map_err(|err| Error::stream("ConverseStream (event stream)", err))?
        {
            if let Some(piece) = message.apply(&event)? {
                (self.on_event)(AgentEvent::Text(piece));
            }
        }
        let turn = message.finish()?;
        self.stats.usage += turn.usage;
        Ok(turn)
    }

    /// Runs one tool call in the agent's session, starting it the first time.
    async fn call_tool(&mut self, name: &str, input: &Value) -> Result<ToolOutput, Error> {
        if self.session.is_none() {
            let session =
                CodeInterpreterSession::start(&self.agentcore, self.session_config.clone()).await?;
            self.stats.sessions_started += 1;
            (self.on_event)(AgentEvent::SessionStarted { session_id: session.id() });
            self.session = Some(session);
        }
        let Some(session) = self.session.as_ref() else {
            return Err(Error::UnexpectedResponse("no session".to_owned()));
        };
        self.stats.tool_calls += 1;
        let number = self.stats.tool_calls;
        (self.on_event)(AgentEvent::ToolCall { number, name, input });
        let output = match self.tools.iter().find(|tool| tool.name() == name) {
            Some(tool) => tool.call(input.clone(), &ToolContext { session }).await,
            None => ToolOutput::error(format!("unknown tool '{name}'")),
        };
        (self.on_event)(AgentEvent::ToolResult { number, name, output: &output });
        if let Some(expired) = output.expired_error() {
            return Err(expired);
        }
        Ok(output)
    }

    /// The conversation so far.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The agent's session id, once a tool call has started it.
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_ref().map(CodeInterpreterSession::id)
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
        let outcome = {
            let run = AssertUnwindSafe(body(&mut self)).catch_unwind();
            tokio::select! {
                outcome = run => Some(outcome),
                () = crate::session::ctrl_c() => None,
            }
        };
        let id = self.session_id().map(str::to_owned);
        let closed = self.close().await;
        let log_failed_close = |closed: Result<AgentStats, Error>| {
            if let Err(err) = closed {
                tracing::warn!(
                    session_id = id.as_deref().unwrap_or("none"),
                    error = %aws_smithy_types::error::display::DisplayErrorContext(&err),
                    "could not stop the agent's session"
                );
            }
        };
        match outcome {
            Some(Ok(Ok(value))) => Ok((value, closed?)),
            Some(Ok(Err(err))) => {
                log_failed_close(closed);
                Err(err)
            }
            Some(Err(panic)) => {
                log_failed_close(closed);
                std::panic::resume_unwind(panic)
            }
            None => {
                log_failed_close(closed);
                Err(Error::Interrupted.into())
            }
        }
    }
}
