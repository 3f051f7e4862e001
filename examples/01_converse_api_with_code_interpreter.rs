//! Example 01: the Bedrock Converse API in a tool-use loop, running the model's code in
//! AgentCore Code Interpreter: model → `toolUse`? → run the code → `toolResult` → model →
//! final answer. Every AWS call it makes is in this file.
//!
//! AWS APIs: bedrock-runtime `Converse`; bedrock-agentcore `StartCodeInterpreterSession`,
//! `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//!
//! Model: `global.anthropic.claude-sonnet-4-6` ([`common::models::BEDROCK_MODEL_ID`]), the
//! global cross-region profile of a current Claude; `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! Differs from the Python: Ctrl-C also stops the session; empty output goes back as
//! "(no output)" (Converse refuses blank text); at most 10 model calls.
//!
//! Against AWS:  `cargo run --example 01_converse_api_with_code_interpreter`
//! Offline:      `cargo run --example 01_converse_api_with_code_interpreter -- --local`

use aws_sdk_bedrockagentcore::types::{CodeInterpreterStreamOutput, ToolArguments, ToolName};
use aws_sdk_bedrockruntime::types::{InferenceConfiguration, Message, StopReason};
use clap::Parser;
use common::converse::{reply_of, text_of, tool_result, tool_uses, user_message, user_text};
use common::document::to_json;
use common::example::{Printer, finally_stop};
use common::tools::{ExecutePythonInput, converse_tool_config};
use common::{Clients, CommonArgs, Error, JsonReport, SYSTEM_INTERPRETER_ID, ToolOutput, Usage};
use std::process::ExitCode;

type Run = common::LoopReport<Message>;

#[derive(Debug, Parser)]
#[command(about = "Converse API tool-use loop with AgentCore Code Interpreter")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

/// Runs `code` in the session and returns the text it produced.
async fn execute_code(aws: &Clients, code: &str, session_id: &str) -> Result<ToolOutput, Error> {
    let mut response = aws
        .agentcore
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM_INTERPRETER_ID)
        .session_id(session_id)
        .name(ToolName::ExecuteCode)
        .arguments(ToolArguments::builder().language("python".into()).code(code).build())
        .send()
        .await
        .map_err(|err| Error::invoke(session_id, err))?;
    // The answer is an event stream; its `result` events carry the output.
    let (mut parts, mut failed) = (Vec::new(), false);
    let stream = &mut response.stream;
    while let Some(event) = stream.recv().await.map_err(|e| Error::invoke(session_id, e))? {
        if let CodeInterpreterStreamOutput::Result(result) = event {
            failed |= result.is_error() == Some(true);
            parts.extend(result.content().iter().filter_map(|item| item.text().map(String::from)));
        }
    }
    Ok(ToolOutput::new(parts.join("\n"), failed))
}

/// The loop: Converse until the model stops asking for the tool.
async fn converse_with_code_execution(
    aws: &Clients, model: &str, session_id: &str, out: &Printer,
) -> Result<Run, Error> {
    let mut run = Run::new(vec![user_text(common::STATS_PROMPT)?]);
    loop {
        // Step 1: call the model through Converse.
        run.next_turn(10)?;
        let response = aws
            .bedrock
            .converse()
            .model_id(model)
            .set_messages(Some(run.messages.clone()))
            .tool_config(converse_tool_config()?)
            .inference_config(InferenceConfiguration::builder().max_tokens(4096).build())
            .send()
            .await
            .map_err(|err| Error::sdk("Converse", err))?;
        run.usage += response.usage().map(Usage::from).unwrap_or_default();
        let message = reply_of(&response)?;
        run.messages.push(message.clone());

        // Step 2: no tool request means the model is done.
        if *response.stop_reason() != StopReason::ToolUse {
            run.answer = text_of(&message);
            return Ok(run);
        }

        // Step 3: run each requested tool; a failure goes back as an error result.
        let mut tool_results = Vec::new();
        for tool in tool_uses(&message) {
            out.line("[Executing code...]");
            let output = match ExecutePythonInput::parse(to_json(tool.input())) {
                // An ended session is no result: the loop stops with its error.
                Ok(input) => execute_code(aws, &input.code, session_id)
                    .await
                    .or_else(ToolOutput::from_failure)?,
                Err(message) => ToolOutput::error(message),
            };
            out.code_output(&output.text);
            run.tool_calls += 1;
            tool_results.push(tool_result(tool.tool_use_id(), &output)?);
        }

        // Step 4: send the tool results back to the model, and loop.
        run.messages.push(user_message(tool_results)?);
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let out = args.common.printer();
    let model = args.common.model_or(common::DEFAULT_MODEL_ID);
    let aws = args.common.connect().await?;

    // Start a code interpreter session.
    let session = aws
        .agentcore
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM_INTERPRETER_ID)
        .name("converse-session")
        .session_timeout_seconds(900)
        .send()
        .await
        .map_err(|err| Error::sdk("StartCodeInterpreterSession", err))?;
    let session_id = session.session_id();
    out.line(format!("[Session started: {session_id}]"));

    // try: the loop; finally: always clean up the session.
    let stop = aws
        .agentcore
        .stop_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM_INTERPRETER_ID)
        .session_id(session_id)
        .send();
    let run =
        finally_stop(converse_with_code_execution(&aws, &model, session_id, &out), stop).await?;
    out.line(format!("[Session stopped: {session_id}]"));

    out.line(format_args!("\n--- Final Answer ---\n{}", run.answer));
    out.report(JsonReport::of_loop("01", &run).session(session_id))?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
