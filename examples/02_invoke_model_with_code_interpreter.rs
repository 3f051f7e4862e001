//! Example 02: the same tool-use loop as 01, with Bedrock InvokeModel and the
//! native Anthropic Messages body.
//!
//! This is the shortest path from code written against the Anthropic API: the
//! body is the Messages request without `model` (it goes in the URL) and with
//! `anthropic_version: "bedrock-2023-05-31"`. Tools, `tool_use` and `tool_result`
//! blocks keep their Anthropic shapes; the code runs in AgentCore Code Interpreter.
//!
//! AWS APIs: bedrock-runtime `InvokeModel`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//!
//! Model: `global.anthropic.claude-sonnet-4-6` ([`common::models::BEDROCK_MODEL_ID`]),
//! the global cross-region profile of a current Claude; `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! Against AWS:  `cargo run --example 02_invoke_model_with_code_interpreter`
//! Offline:      `cargo run --example 02_invoke_model_with_code_interpreter -- --local`

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_smithy_types::error::display::DisplayErrorContext;
use clap::Parser;
use common::anthropic::{
    ContentBlock, Message, MessagesRequest, MessagesResponse, Role, StopReason,
};
use common::tools::{ExecutePythonInput, anthropic_tool};
use common::{CommonArgs, JsonReport, SessionConfig, ToolOutput, Usage, with_session};

/// Most model calls before giving up.
const MAX_TURNS: usize = 10;

#[derive(Debug, Parser)]
#[command(
    about = "InvokeModel (Anthropic Messages body) tool-use loop with AgentCore Code Interpreter"
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let wall = Instant::now();
    let json = args.common.json;
    let say = |line: &str| {
        if !json {
            println!("{line}");
        }
    };
    let model = args.common.model_or(common::DEFAULT_MODEL_ID);
    let clients = args.common.connect().await?;

    // Step 1: start a session (900 s timeout); with_session stops it on every way out.
    let config = SessionConfig::named("invoke-model-session");
    let mut report = with_session(&clients.agentcore, config, async |session| {
        say(&format!("[Session started: {}]", session.id()));

        // Step 2: the Messages body: what the Anthropic API takes, minus `model`.
        let mut request =
            MessagesRequest::bedrock(4096, vec![Message::user_text(common::STATS_PROMPT)]);
        request.tools = vec![anthropic_tool()];
        let (mut usage, mut round_trips, mut tool_calls) = (Usage::default(), 0, 0);

        // Step 3: call the model until it stops asking for tools.
        let answer = loop {
            if round_trips == MAX_TURNS {
                anyhow::bail!(common::Error::TurnLimit {
                    max_turns: MAX_TURNS
                });
            }
            round_trips += 1;
            let body = serde_json::to_vec(&request)?;
            let output = clients
                .bedrock
                .invoke_model()
                .model_id(&model)
                .content_type("application/json")
                .accept("application/json")
                .body(Blob::new(body))
                .send()
                .await
                .map_err(|err| common::Error::sdk("InvokeModel", err))?;
            let response: MessagesResponse = serde_json::from_slice(output.body().as_ref())
                .context("InvokeModel returned a body that is not a Messages response")?;
            usage += Usage::from(&response.usage);
            request.messages.push(response.to_message());
            if response.stop_reason != Some(StopReason::ToolUse) {
                break response.text();
            }

            // Step 4: run each tool_use in the session; failures go back with is_error.
            let mut results = Vec::new();
            for block in &response.content {
                let ContentBlock::ToolUse { id, input, .. } = block else {
                    continue;
                };
                say("[Executing code...]");
                let output = match ExecutePythonInput::parse(input.clone()) {
                    Ok(input) => match session.execute_python(&input.code).await {
                        Ok(result) => ToolOutput::from(&result),
                        // Without its session the loop cannot go on: say so and stop.
                        Err(err) if err.is_session_expired() => return Err(err.into()),
                        Err(err) => ToolOutput::error(DisplayErrorContext(&err).to_string()),
                    },
                    Err(message) => ToolOutput::error(message),
                };
                tool_calls += 1;
                let preview: String = output.text.chars().take(100).collect();
                say(&format!("[Code output: {preview}...]"));
                results.push(ContentBlock::tool_result(id, output.text, output.is_error));
            }
            // All results go back in one user message.
            request.messages.push(Message {
                role: Role::User,
                content: results,
            });
        };

        // Step 5: the final answer is the text of the last response.
        say("--- Final Answer ---");
        say(&answer);
        Ok(JsonReport {
            answer: Some(answer),
            session_id: Some(session.id().to_owned()),
            round_trips: Some(round_trips),
            tool_calls: Some(tool_calls),
            sessions_started: Some(1),
            usage: Some(usage),
            ..JsonReport::new("02")
        })
    })
    .await?;

    // Step 6: the session is stopped by now.
    let session_id = report.session_id.clone().unwrap_or_default();
    say(&format!("[Session stopped: {session_id}]"));
    if json {
        report = report.wall(wall.elapsed());
        println!("{}", report.to_json_line()?);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    common::init_tracing(args.common.verbose);
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
