//! Example 03: an agent in the spirit of Strands: one call does everything.
//!
//! `common::Agent` is built from a system prompt (an assistant that checks its answers
//! by running code), the `execute_python` tool and the model; one `ask` runs the
//! tool-use loop and returns the answer, while the model's text streams to the terminal
//! (ConverseStream), as Strands does by default.
//!
//! AWS APIs: bedrock-runtime `ConverseStream`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//! Builds on 01, which makes these calls itself; here `common::Agent` makes them.
//!
//! Model: `global.anthropic.claude-sonnet-4-6` ([`common::models::BEDROCK_MODEL_ID`]), the
//! global cross-region profile of a current Claude; `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! Differs from the Python: the agent keeps one code-interpreter session for its life
//! (the Python's tool starts and stops one in every call), so state survives between
//! calls; it prints the session's id and, at the end, the sessions and tool calls used.
//!
//! Against AWS:  `cargo run --example 03_strands_agent_with_code_interpreter`
//! Offline:      `cargo run --example 03_strands_agent_with_code_interpreter -- --local`

use std::process::ExitCode;

use clap::Parser;
use common::agent::{Agent, ExecutePython};
use common::{CommonArgs, JsonReport, SessionConfig};

/// What makes this assistant different from 01's: it checks its work with code.
const SYSTEM_PROMPT: &str = "You are a helpful assistant that can run Python code. \
    Check every answer by running code with the execute_python tool before you give it, \
    and report the values the code printed rather than values worked out in your head.";

#[derive(Debug, Parser)]
#[command(about = "An agent that streams its answer and keeps one Code Interpreter session")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let out = args.common.printer();
    let model = args.common.model_or(common::DEFAULT_MODEL_ID);
    let clients = args.common.connect().await?;

    // Create the agent: system prompt, tool, model. What it does streams to the terminal.
    let printer = out.clone();
    let agent = Agent::builder(&clients, &model)
        .system_prompt(SYSTEM_PROMPT)
        .tool(ExecutePython)
        .session(SessionConfig::named("strands-agent-session"))
        .on_event(move |event| event.print(&printer))
        .build()?;

    // Run: one call with the prompt. `scope` stops the agent's session when the block
    // ends, whether it succeeds, fails, panics or meets Ctrl-C.
    let ((answer, session_id), stats) = agent
        .scope(async |agent| {
            let answer = agent.ask(common::STATS_PROMPT).await?;
            anyhow::Ok((answer, agent.session_id().unwrap_or_default().to_owned()))
        })
        .await?;

    // The streamed text ends mid-line; `line` starts a new one, as the Python's "\n" does.
    out.line(format_args!("--- Final Answer ---\n{answer}"));
    out.line(format_args!("[Session stopped: {session_id}]"));
    let sessions = stats.sessions_started;
    out.line(format_args!("Sessions started: {sessions} (one for the agent's life; the Python tool starts one per call)"));
    out.line(format_args!("Tool calls: {}", stats.tool_calls));
    out.report(JsonReport {
        answer: Some(answer),
        round_trips: Some(stats.round_trips),
        tool_calls: Some(stats.tool_calls),
        usage: Some(stats.usage),
        ..JsonReport::new("03").session(&session_id)
    })?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
