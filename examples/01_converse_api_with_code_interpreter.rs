//! Example 01: a tool-use loop with the Bedrock Converse API, running the model's
//! code in AgentCore Code Interpreter.
//!
//! Converse is Bedrock's model-agnostic message format. The model gets one tool,
//! `execute_python`; every call it makes runs in one code-interpreter session, and
//! the output goes back as a `toolResult` until the model answers in text.
//!
//! AWS APIs: bedrock-runtime `Converse`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//!
//! Model: `global.anthropic.claude-sonnet-4-6` ([`common::models::BEDROCK_MODEL_ID`]),
//! the global cross-region profile of a current Claude; `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! Against AWS:  `cargo run --example 01_converse_api_with_code_interpreter`
//! Offline:      `cargo run --example 01_converse_api_with_code_interpreter -- --local`

use std::process::ExitCode;
use std::time::Instant;

use aws_sdk_bedrockruntime::types::{
    ConversationRole, InferenceConfiguration, Message, StopReason,
};
use aws_smithy_types::error::display::DisplayErrorContext;
use clap::Parser;
use common::converse::{text_of, tool_result, tool_uses, user_text};
use common::tools::{ExecutePythonInput, converse_tool_config};
use common::{CommonArgs, JsonReport, SessionConfig, ToolOutput, Usage, with_session};

/// Most model calls before giving up.
const MAX_TURNS: usize = 10;

#[derive(Debug, Parser)]
#[command(about = "Converse API tool-use loop with AgentCore Code Interpreter")]
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
    let config = SessionConfig::named("converse-session");
    let mut report = with_session(&clients.agentcore, config, async |session| {
        say(&format!("[Session started: {}]", session.id()));

        // Step 2: the conversation and the tool the model may call.
        let mut messages = vec![user_text(common::STATS_PROMPT)?];
        let tool_config = converse_tool_config()?;
        let (mut usage, mut round_trips, mut tool_calls) = (Usage::default(), 0, 0);

        // Step 3: call the model until it stops asking for tools.
        let answer = loop {
            if round_trips == MAX_TURNS {
                anyhow::bail!(common::Error::TurnLimit {
                    max_turns: MAX_TURNS
                });
            }
            round_trips += 1;
            let response = clients
                .bedrock
                .converse()
                .model_id(&model)
                .set_messages(Some(messages.clone()))
                .tool_config(tool_config.clone())
                .inference_config(InferenceConfiguration::builder().max_tokens(4096).build())
                .send()
                .await
                .map_err(|err| common::Error::sdk("Converse", err))?;
            usage += response.usage().map(Usage::from).unwrap_or_default();
            let Some(Ok(message)) = response.output().map(|output| output.as_message()) else {
                anyhow::bail!("Converse returned no message");
            };
            messages.push(message.clone());
            if *response.stop_reason() != StopReason::ToolUse {
                break text_of(message);
            }

            // Step 4: run each tool call in the session; failures go back as errors.
            let mut results = Vec::new();
            for tool_use in tool_uses(message) {
                say("[Executing code...]");
                let input = common::document::to_json(tool_use.input());
                let output = match ExecutePythonInput::parse(input) {
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
                results.push(tool_result(tool_use.tool_use_id(), &output)?);
            }
            // All results go back in one user message.
            messages.push(
                Message::builder()
                    .role(ConversationRole::User)
                    .set_content(Some(results))
                    .build()?,
            );
        };

        // Step 5: the final answer is the text of the last assistant message.
        say("--- Final Answer ---");
        say(&answer);
        Ok(JsonReport {
            answer: Some(answer),
            session_id: Some(session.id().to_owned()),
            round_trips: Some(round_trips),
            tool_calls: Some(tool_calls),
            sessions_started: Some(1),
            usage: Some(usage),
            ..JsonReport::new("01")
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
