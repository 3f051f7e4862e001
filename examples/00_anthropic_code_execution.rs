//! Example 00: the "before" — Anthropic's server-side code execution tool.
//!
//! One call to the Anthropic Messages API does everything: the model writes code,
//! Anthropic's container runs it, and the response holds the text, every tool call
//! and every result. There is no loop to write and no session to manage; the only
//! continuation is `pause_turn` (a long turn was paused: send it back to resume).
//! Examples 01–07 rebuild this on Amazon Bedrock + AgentCore Code Interpreter.
//!
//! API: Anthropic `POST /v1/messages` with the `code_execution_20250825` tool and
//! the `code-execution-2025-08-25` beta (needs `ANTHROPIC_API_KEY`).
//! Model: `claude-sonnet-4-6` ([`common::models::ANTHROPIC_MODEL`]); `--model` changes it.
//!
//! Differs from the Python: the Python uses `claude-sonnet-4-5-20250929`, which the
//! Anthropic API retired on 2026-11-30; it prints the output of every result block
//! (the Python's `code_execution_tool_result` check misses the 2025-08-25 tool's bash
//! and file results) and resumes a `pause_turn`.
//!
//! Against Anthropic: `cargo run --example 00_anthropic_code_execution`
//! Offline:           `cargo run --example 00_anthropic_code_execution -- --local`

use std::process::ExitCode;

use clap::Parser;
use common::anthropic::{ContainerRef, ContentBlock, Message, MessagesRequest, StopReason, Tool};
use common::{CommonArgs, JsonReport, Usage};

/// The beta that enables the 2025-08-25 code execution tool.
const CODE_EXECUTION_BETA: &str = "code-execution-2025-08-25";
/// How many times a paused turn is resumed before giving up.
const MAX_CONTINUATIONS: usize = 10;

#[derive(Debug, Parser)]
#[command(about = "Anthropic API with the server-side code execution tool (the starting point)")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let out = args.common.printer();
    // Offline, the bridge on the embedded emulator serves the Anthropic API; otherwise the
    // endpoint and key come from ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY.
    let api = common::anthropic::AnthropicApi::connect(&args.common).await?;

    // Step 1: one request: the prompt and the server-side code execution tool.
    let mut request = MessagesRequest {
        model: Some(args.common.model_or(common::models::ANTHROPIC_MODEL)),
        max_tokens: 4096,
        messages: vec![Message::user_text(common::STATS_PROMPT)],
        tools: vec![Tool::server("code_execution_20250825", "code_execution")],
        ..MessagesRequest::default()
    };
    let (mut usage, mut round_trips, mut tool_calls) = (Usage::default(), 0, 0);
    let mut answer = Vec::new();

    loop {
        round_trips += 1;
        let response = api.create_message(&[CODE_EXECUTION_BETA], &request).await?;
        usage += Usage::from(&response.usage);

        // Step 2: print every text block and the output of every code execution
        // result, whichever tool version produced it.
        for block in &response.content {
            match block {
                ContentBlock::Text { text, .. } => {
                    out.line(text);
                    answer.push(text.clone());
                }
                ContentBlock::ServerToolUse { .. } => tool_calls += 1,
                other => {
                    if let Some(output) = other.code_output() {
                        out.line(format_args!("[Code Output] {output}"));
                    }
                }
            }
        }

        // Step 3: a paused turn is resumed by sending the conversation back, in the
        // same container; any other stop reason ends the call.
        if response.stop_reason != Some(StopReason::PauseTurn) {
            break;
        }
        anyhow::ensure!(
            round_trips <= MAX_CONTINUATIONS,
            "the turn was still paused after {MAX_CONTINUATIONS} continuations"
        );
        request.messages.push(response.to_message());
        request.container = response.container.map(|c| ContainerRef::Id(c.id));
    }

    out.report(JsonReport {
        answer: Some(answer.join("\n")),
        round_trips: Some(round_trips),
        tool_calls: Some(tool_calls),
        sessions_started: Some(0),
        usage: Some(usage),
        ..JsonReport::new("00")
    })?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
