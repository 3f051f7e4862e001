//! One turn of the Messages API, served from Bedrock and AgentCore: the model on
//! Bedrock, the code execution calls in the container's AgentCore session, again,
//! until the model answers, asks for a client tool (directly or from its code), or
//! runs out of steps or time (`pause_turn`).
//!
//! Nothing here knows HTTP: a turn takes a request and writes events into a channel
//! ([`emit`]), so tests and benches drive it directly. Each model call is streamed
//! from Bedrock and forwarded as it arrives; the model's calls of the bridge's own
//! tools go out as `server_tool_use` blocks, their results as blocks of their own.
//!
//! Failures are safe to retry, as the SDKs do without asking (twice, for 429 and
//! 5xx). A failure before anything ran is an error answer: repeating the request
//! repeats nothing, and a container the turn started is stopped. Once code ran,
//! a failure that may pass (throttling, an overloaded or failing service) ends the
//! turn with `pause_turn` and what it did, container included, so the client goes
//! on where it stopped instead of running the code again.

mod container;
pub mod emit;
pub mod history;
pub mod plan;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use messages::{Assembler, ContentBlock, Message, Role, StopReason};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::Bridge;
use crate::agentcore::Container;
use crate::code_execution::{self, ptc};
use crate::error::ApiError;
use crate::files::FileMetadata;
pub use emit::{Emitted, Emitter, Gone};
use plan::Plan;

/// What the HTTP layer learns once a turn has ended, besides its events.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// How many tool calls the model's code made, when code that called the
    /// client's tools ended in this turn.
    pub tool_calls_from_code: Option<u64>,
}

/// Runs the turn `request` asks for (with the betas of its `anthropic-beta` header),
/// writing its events to `out`.
pub async fn run(
    bridge: &Bridge, request: messages::MessagesRequest, betas: &[String],
    out: mpsc::Sender<Emitted>,
) -> Outcome {
    let mut emitter = Emitter::new(out, request.model.clone().unwrap_or_default());
    let plan = match plan::plan(bridge, request, betas).await {
        Ok(plan) => plan,
        Err(err) => {
            emitter.fail(err).await;
            return Outcome::default();
        }
    };
    let mut turn = Turn::new(bridge, plan);
    let driven = turn.drive(&mut emitter).await;
    turn.end(driven, &mut emitter).await
}

/// Why a turn stopped early.
enum Failure {
    /// The client hung up.
    Gone,
    /// Bedrock, AgentCore or the request failed.
    Api(ApiError),
}

impl From<Gone> for Failure {
    fn from(_: Gone) -> Self {
        Self::Gone
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        Self::Api(err)
    }
}

/// What one model call returned, as the model on Bedrock sees it.
struct Step {
    content: Vec<ContentBlock>,
    stop_reason: Option<StopReason>,
    stop_sequence: Option<String>,
}

/// A turn under way.
struct Turn<'a> {
    bridge: &'a Bridge,
    plan: Plan,
    container: Option<Container>,
    /// The container was started by this turn (and is stopped if the turn fails).
    started_here: bool,
    /// Output files known (name → signature) once the directory has been looked at.
    reported: Option<HashMap<String, String>>,
    /// Something ran in the container: repeating the request would repeat it.
    side_effects: bool,
    /// The conversation as the model on Bedrock reads it.
    conversation: Vec<Message>,
    stop: (StopReason, Option<String>),
    outcome: Outcome,
    began: Instant,
}

impl<'a> Turn<'a> {
    fn new(bridge: &'a Bridge, mut plan: Plan) -> Self {
        let container = plan.container.take();
        Self {
            bridge,
            container,
            started_here: false,
            reported: None,
            side_effects: false,
            conversation: Vec::new(),
            stop: (StopReason::PauseTurn, None),
            outcome: Outcome::default(),
            began: Instant::now(),
            plan,
        }
    }

    fn out_of_time(&self) -> bool {
        self.began.elapsed() >= self.bridge.config.turn_budget
    }

    async fn drive(&mut self, out: &mut Emitter) -> Result<(), Failure> {
        // A new container gets every file the conversation uploaded; one that goes on
        // has those of earlier turns already.
        let to_place: Vec<FileMetadata> = if self.container.is_some() {
            self.plan.uploads.last().cloned().unwrap_or_default()
        } else {
            self.plan.uploads.iter().flatten().cloned().collect()
        };
        for meta in &to_place {
            self.place(meta).await?;
        }
        self.load_skills().await?;
        self.conversation = history::for_bedrock(&self.plan.messages);
        if !self.plan.callable.is_empty() && self.resume_code(out).await? {
            return Ok(());
        }
        let mut steps = 0;
        while steps < self.bridge.config.max_steps && !self.out_of_time() {
            steps += 1;
            let step = self.model_call(out).await?;
            self.conversation
                .push(Message { role: Role::Assistant, content: step.content.clone() });
            let mut results = Vec::new();
            let mut client_call = false;
            for block in &step.content {
                let ContentBlock::ToolUse { id, name, input, .. } = block else { continue };
                if !code_execution::runs(self.plan.version, &self.plan.callable, name) {
                    client_call = true;
                    continue;
                }
                let call_id = code_execution::server_id(id);
                let result = if !self.plan.callable.is_empty() && name == "code_execution" {
                    match self.run_code_with_tools(out, &call_id, input).await? {
                        Some(result) => result,
                        // Paused for the client's tools.
                        None => return Ok(()),
                    }
                } else {
                    self.run_tool(out, &call_id, name, input).await?
                };
                out.block(&result).await?;
                results.push(code_execution::for_model(id.clone(), &result));
            }
            if client_call || results.is_empty() {
                let stop_reason = step.stop_reason.unwrap_or(StopReason::EndTurn);
                self.stop = (stop_reason, step.stop_sequence);
                return Ok(());
            }
            self.conversation.push(Message { role: Role::User, content: results });
        }
        self.stop = (StopReason::PauseTurn, None);
        Ok(())
    }

    /// One streamed model call: its events forwarded as they come, the model's calls
    /// of the bridge's tools as `server_tool_use` blocks.
    async fn model_call(&mut self, out: &mut Emitter) -> Result<Step, Failure> {
        let body = plan::with_messages(&self.plan.body, self.conversation.clone());
        let mut stream = self.bridge.bedrock.stream(&self.plan.model_id, &body).await?;
        let base = out.base();
        let mut assembler = Assembler::new();
        while let Some(event) = stream.next().await {
            let event = event?;
            assembler.push(&event).map_err(|err| {
                ApiError::api("Bedrock sent a stream that does not make a response").caused_by(err)
            })?;
            match event.get("type").and_then(Value::as_str).unwrap_or_default() {
                "message_start" => {
                    let message = &event["message"];
                    let usage =
                        serde_json::from_value(message["usage"].clone()).unwrap_or_default();
                    out.start(message["id"].as_str(), usage).await?;
                }
                // The turn closes with its own, once.
                "message_delta" | "message_stop" => {}
                "error" => return Err(Failure::Api(error_event(&event))),
                "content_block_start" => {
                    let block = self.for_client(&event["content_block"]);
                    out.forward(base, event, block).await?;
                }
                _ => out.forward(base, event, None).await?,
            }
        }
        let response = assembler.finish().map_err(|err| {
            ApiError::api("Bedrock's stream ended before the response did").caused_by(err)
        })?;
        out.count(response.usage);
        Ok(Step {
            content: response.content,
            stop_reason: response.stop_reason,
            stop_sequence: response.stop_sequence,
        })
    }

    /// How the client sees a block the model started: a call of the bridge's own
    /// tools is a `server_tool_use`, its input still to come.
    fn for_client(&self, block: &Value) -> Option<Value> {
        if block["type"] != "tool_use" {
            return None;
        }
        let name = block["name"].as_str().unwrap_or_default();
        if !code_execution::runs(self.plan.version, &self.plan.callable, name) {
            return None;
        }
        let id = code_execution::server_id(block["id"].as_str().unwrap_or_default());
        let mut server = json!({"type": "server_tool_use", "id": id, "name": name, "input": {}});
        if !self.plan.callable.is_empty() && name == "code_execution" {
            server["caller"] = json!({"type": "direct"});
        }
        Some(server)
    }

    /// Runs one call of a code execution sub-tool in the container, pinging the
    /// client while it runs. A container that cannot run it answers the tool's
    /// `unavailable` error, as the API does.
    async fn run_tool(
        &mut self, out: &Emitter, call_id: &str, name: &str, input: &Value,
    ) -> Result<ContentBlock, Failure> {
        let container = self.container().await?;
        self.side_effects = true;
        let bridge = self.bridge;
        let ping = bridge.config.ping_interval;
        let ran = code_execution::run(&bridge.sessions, &container, call_id, name, input);
        let mut result = match with_pings(ping, out, ran).await? {
            Ok(result) => result,
            Err(err) => {
                tracing::warn!(%err, tool = name, "the container could not run a call");
                return Ok(code_execution::unavailable(name, call_id));
            }
        };
        if name != "text_editor_code_execution" {
            match with_pings(ping, out, self.new_outputs()).await? {
                Ok(outputs) => code_execution::attach_outputs(&mut result, &outputs),
                Err(err) => tracing::warn!(%err, "could not collect the output files"),
            }
        }
        Ok(result)
    }

    /// Runs the model's code with the client's tools as functions; `None` when it
    /// paused for them (its calls have gone out and the turn stops for the client).
    async fn run_code_with_tools(
        &mut self, out: &mut Emitter, call_id: &str, input: &Value,
    ) -> Result<Option<ContentBlock>, Failure> {
        let Some(code) = input.get("code").and_then(Value::as_str) else {
            return Ok(Some(code_execution::invalid_code_input(call_id)));
        };
        let container = self.container().await?;
        self.side_effects = true;
        let bridge = self.bridge;
        let (sessions, config) = (&bridge.sessions, &bridge.config);
        ptc::start(sessions, &container, call_id, code, &self.plan.callable, config.tool_wait)
            .await?;
        let budget = config.turn_budget.saturating_sub(self.began.elapsed());
        let none = HashSet::new();
        let progress = ptc::progress(sessions, &container, call_id, &none, budget);
        match with_pings(config.ping_interval, out, progress).await?? {
            ptc::Progress::Calls(calls) => {
                let version = self.plan.version.map(|v| v.kind).unwrap_or_default();
                self.hand_out(out, call_id, version, &calls).await?;
                Ok(None)
            }
            ptc::Progress::Done(status) => {
                self.outcome.tool_calls_from_code = Some(status.calls);
                Ok(Some(ptc::result_block(call_id, status)))
            }
        }
    }

    /// The calls the model's code waits on go to the client: the turn stops there.
    async fn hand_out(
        &mut self, out: &mut Emitter, call_id: &str, version: &str, calls: &[ptc::CodeCall],
    ) -> Result<(), Gone> {
        for call in calls {
            out.block(&ptc::tool_use_block(call_id, version, call)).await?;
        }
        self.stop = (StopReason::ToolUse, None);
        Ok(())
    }

    /// Carries on code that waited for the client's tools, if the request answers
    /// its calls; true when the code paused again (the turn stops there).
    async fn resume_code(&mut self, out: &mut Emitter) -> Result<bool, Failure> {
        let Some(resumed) = ptc::paused(&self.plan.messages)? else { return Ok(false) };
        let container = self
            .container
            .clone()
            .ok_or_else(|| ApiError::invalid_request(ptc::CONTAINER_REQUIRED))?;
        self.side_effects = true;
        let bridge = self.bridge;
        let sessions = &bridge.sessions;
        ptc::answer(sessions, &container, &resumed).await?;
        let budget = bridge.config.turn_budget;
        let progress =
            ptc::progress(sessions, &container, &resumed.call_id, &resumed.handed_out, budget);
        out.start(None, messages::Usage::default()).await?;
        match with_pings(bridge.config.ping_interval, out, progress).await?? {
            ptc::Progress::Calls(calls) => {
                self.hand_out(out, &resumed.call_id, &resumed.version, &calls).await?;
                Ok(true)
            }
            ptc::Progress::Done(status) => {
                self.outcome.tool_calls_from_code = Some(status.calls);
                let block = ptc::result_block(&resumed.call_id, status);
                out.block(&block).await?;
                let result =
                    code_execution::for_model(code_execution::model_id(&resumed.call_id), &block);
                self.conversation.push(Message { role: Role::User, content: vec![result] });
                Ok(false)
            }
        }
    }

    async fn end(self, driven: Result<(), Failure>, out: &mut Emitter) -> Outcome {
        let finish = match driven {
            Ok(()) => Some(self.stop.clone()),
            Err(Failure::Gone) => None,
            Err(Failure::Api(err)) if self.side_effects && err.transient() => {
                // Code ran: the client goes on from here rather than run it again.
                tracing::warn!(%err, "the turn paused after a failure, with what it did");
                Some((StopReason::PauseTurn, None))
            }
            Err(Failure::Api(err)) => {
                tracing::debug!(%err, "the turn failed");
                self.abandon().await;
                out.fail(err).await;
                return self.outcome;
            }
        };
        let Some((stop_reason, stop_sequence)) = finish else {
            self.abandon().await;
            return self.outcome;
        };
        let container = self.container_info().await;
        if out.finish(stop_reason, stop_sequence, container).await.is_err() {
            // The client left before the end: nobody will go on in this container.
            self.abandon().await;
        }
        self.outcome
    }
}

/// Awaits `work`, sending the client a `ping` every `interval` while it runs.
async fn with_pings<F: Future>(
    interval: std::time::Duration, out: &Emitter, work: F,
) -> Result<F::Output, Gone> {
    let mut work = std::pin::pin!(work);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        tokio::select! {
            output = &mut work => return Ok(output),
            _ = tick.tick() => out.ping().await?,
        }
    }
}

/// An Anthropic `error` event inside Bedrock's stream, as the API's error.
fn error_event(event: &Value) -> ApiError {
    let kind = event["error"]["type"].as_str().unwrap_or("api_error");
    let message = event["error"]["message"].as_str().unwrap_or("the model failed").to_owned();
    match kind {
        "overloaded_error" => ApiError::overloaded(message),
        "rate_limit_error" => ApiError::rate_limit(message, crate::bedrock::RETRY_AFTER_SECONDS),
        "invalid_request_error" => ApiError::invalid_request(message),
        _ => ApiError::api(message),
    }
}
