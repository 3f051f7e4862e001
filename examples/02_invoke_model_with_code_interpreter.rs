//! Example 02: the loop of 01 over Bedrock InvokeModel with the native Anthropic Messages body
//! (`model` goes in the URL; `anthropic_version` is added). Every AWS call it makes is here.
//!
//! AWS APIs: bedrock-runtime `InvokeModel`; bedrock-agentcore `StartCodeInterpreterSession`,
//! `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//!
//! Model: as in 01, `global.anthropic.claude-sonnet-4-6`; `--model` / `BEDROCK_MODEL_ID`.
//!
//! Differs from the Python: Ctrl-C also stops the session; empty output goes back as
//! "(no output)" (the API refuses blank text); at most 10 model calls.
//!
//! Against AWS:  `cargo run --example 02_invoke_model_with_code_interpreter`
//! Offline:      `cargo run --example 02_invoke_model_with_code_interpreter -- --local`

use aws_sdk_bedrockagentcore::types::{CodeInterpreterStreamOutput, ToolArguments, ToolName};
use aws_sdk_bedrockruntime::primitives::Blob;
use clap::Parser;
use common::anthropic::{
    BEDROCK_ANTHROPIC_VERSION, ContentBlock, Message, MessagesRequest, MessagesResponse, Role,
    StopReason,
};
use common::example::{Printer, finally_stop};
use common::tools::{ExecutePythonInput, anthropic_tool};
use common::{Clients, CommonArgs, Error, JsonReport, SYSTEM_INTERPRETER_ID, ToolOutput, Usage};
use std::process::ExitCode;

type Run = common::LoopReport<Message>;

#[derive(Debug, Parser)]
#[command(about = "InvokeModel (Messages body) tool-use loop with AgentCore Code Interpreter")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

/// Runs `code` in the session; the answer is an event stream whose `result` events carry the text.
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

/// The loop: InvokeModel with a Messages body until the model stops asking for the tool.
async fn invoke_model_with_code_execution(
    aws: &Clients, model: &str, session_id: &str, out: &Printer,
) -> Result<Run, Error> {
    let mut run = Run::new(vec![Message::user_text(common::STATS_PROMPT)]);
    loop {
        // Step 1: call the model through InvokeModel, in the native Anthropic format.
        run.next_turn(10)?;
        let body = serde_json::to_vec(&MessagesRequest {
            anthropic_version: Some(BEDROCK_ANTHROPIC_VERSION.into()),
            max_tokens: 4096,
            messages: run.messages.clone(),
            tools: vec![anthropic_tool()],
            ..MessagesRequest::default()
        });
        let response = aws
            .bedrock
            .invoke_model()
            .model_id(model)
            .body(Blob::new(body.map_err(Error::json("write the InvokeModel body"))?))
            .content_type("application/json")
            .accept("application/json")
            .send()
            .await
            .map_err(|err| Error::sdk("InvokeModel", err))?;
        let result: MessagesResponse = serde_json::from_slice(response.body().as_ref())
            .map_err(Error::json("read the InvokeModel response body"))?;
        run.usage += Usage::from(&result.usage);
        run.messages.push(result.to_message());

        // Step 2: no tool request means the model is done.
        if result.stop_reason != Some(StopReason::ToolUse) {
            run.answer = result.text();
            return Ok(run);
        }

        // Step 3: run each requested tool; a failure goes back as an error result.
        let mut tool_results = Vec::new();
        for block in &result.content {
            let ContentBlock::ToolUse { id, input, .. } = block else { continue };
            out.line("[Executing code...]");
            let output = match ExecutePythonInput::parse(input.clone()) {
                // An ended session is no result: the loop stops with its error.
                Ok(input) => execute_code(aws, &input.code, session_id)
                    .await
                    .or_else(ToolOutput::from_failure)?,
                Err(message) => ToolOutput::error(message),
            };
            out.code_output(&output.text);
            run.tool_calls += 1;
            tool_results.push(ContentBlock::tool_result(id, output.text, output.is_error));
        }

        // Step 4: send the tool results back to the model, and loop.
        run.messages.push(Message { role: Role::User, content: tool_results });
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
        .name("invoke-model-session")
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
    let run = finally_stop(invoke_model_with_code_execution(&aws, &model, session_id, &out), stop)
        .await?;
    out.line(format!("[Session stopped: {session_id}]"));

    out.line(format_args!("\n--- Final Answer ---\n{}", run.answer));
    out.report(JsonReport::of_loop("02", &run).session(session_id))?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
