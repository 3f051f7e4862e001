//! Example 03: an agent in the spirit of Strands: one call does everything.
//!
//! `common::Agent` is built from a system prompt (an assistant that checks its
//! answers by running code), the `execute_python` tool and the model; one
//! `ask` runs the tool-use loop of 01 and returns the answer. The model's text
//! streams to the terminal as it arrives (ConverseStream), as Strands does by
//! default. Unlike the Python sample, whose tool starts and stops a new session
//! inside every call, the agent keeps ONE code-interpreter session for its life,
//! so state survives between calls, and `scope` stops it on every way out.
//!
//! AWS APIs: bedrock-runtime `ConverseStream`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//! Builds on 01 (the same loop, inside `common::Agent`).
//!
//! Model: `global.anthropic.claude-sonnet-4-6` ([`common::models::BEDROCK_MODEL_ID`]),
//! the global cross-region profile of a current Claude; `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! Against AWS:  `cargo run --example 03_strands_agent_with_code_interpreter`
//! Offline:      `cargo run --example 03_strands_agent_with_code_interpreter -- --local`

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use common::agent::{Agent, AgentEvent, ExecutePython};
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
    let wall = Instant::now();
    let json = args.common.json;
    let model = args.common.model_or(common::DEFAULT_MODEL_ID);
    let clients = args.common.connect().await?;

    // Step 1: the agent: system prompt, tool, model. It hands us the model's text
    // as it streams in; printing it (or not, with --json) is our choice.
    let mut at_line_start = true;
    let agent = Agent::builder(&clients, &model)
        .system_prompt(SYSTEM_PROMPT)
        .tool(ExecutePython)
        .session(SessionConfig::named("strands-agent-session"))
        .on_event(move |event| {
            let marker = match event {
                _ if json => return,
                AgentEvent::Text(piece) => {
                    print!("{piece}");
                    let _ = std::io::stdout().flush();
                    at_line_start = piece.ends_with('\n');
                    return;
                }
                AgentEvent::SessionStarted { session_id } => {
                    format!("[Session started: {session_id}]")
                }
                AgentEvent::ToolCall { number, name, .. } => format!("[Tool #{number}: {name}]"),
                _ => return,
            };
            // What the agent does goes on lines of its own, between the text.
            if !at_line_start {
                println!();
            }
            println!("{marker}");
            at_line_start = true;
        })
        .build()?;

    // Step 2: one call with the prompt. `scope` stops the agent's session when the
    // block ends, whether it succeeds, fails, panics or meets Ctrl-C.
    let ((answer, session_id), stats) = agent
        .scope(async |agent| {
            let answer = agent.ask(common::STATS_PROMPT).await?;
            anyhow::Ok((answer, agent.session_id().map(str::to_owned)))
        })
        .await?;

    // Step 3: the answer, and proof that one session served every tool call.
    if json {
        let report = JsonReport {
            answer: Some(answer),
            session_id,
            round_trips: Some(stats.round_trips),
            tool_calls: Some(stats.tool_calls),
            sessions_started: Some(stats.sessions_started),
            usage: Some(stats.usage),
            ..JsonReport::new("03")
        };
        println!("{}", report.wall(wall.elapsed()).to_json_line()?);
        return Ok(());
    }
    println!("\n--- Final Answer ---");
    println!("{answer}");
    if let Some(id) = session_id {
        println!("[Session stopped: {id}]");
    }
    println!(
        "Sessions started: {} (one for the agent's life; the Python tool starts one per call)",
        stats.sessions_started
    );
    println!("Tool calls: {}", stats.tool_calls);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
