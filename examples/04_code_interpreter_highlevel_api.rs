//! Example 04: AgentCore Code Interpreter directly, with no model in the loop.
//!
//! Starts a session on the system code interpreter, runs one block of code with
//! `InvokeCodeInterpreter` (tool `executeCode`), prints what it printed, and stops
//! the session. By default the code computes the mean and standard deviations of
//! 1..=10 with numpy; `--code-file PATH` (or `-` for stdin) and `--language` run
//! other code the same way, which is handy for batch jobs.
//!
//! AWS APIs: bedrock-agentcore `StartCodeInterpreterSession`,
//! `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//!
//! Model: none; this example runs code without a model.
//!
//! Differs from the Python: the SDK calls the Python's `CodeInterpreter` helper makes are
//! written out; the session's id is printed at start and stop; `--code-file` and
//! `--language` run other code; code that fails ends the run with a failure status.
//!
//! Against AWS:  `cargo run --example 04_code_interpreter_highlevel_api`
//! Offline:      `cargo run --example 04_code_interpreter_highlevel_api -- --local`
//! Other code:   `echo 'print(2 + 2)' | cargo run --example 04_code_interpreter_highlevel_api -- --local --code-file -`

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use aws_sdk_bedrockagentcore::types::{ToolArguments, ToolName};
use clap::Parser;
use common::example::{Printer, finally_stop};
use common::{
    Clients, CommonArgs, Error, ExecutionResult, JsonReport, Language, SYSTEM_INTERPRETER_ID,
};

/// The code run when no `--code-file` is given.
const DEFAULT_CODE: &str = r#"import numpy as np

data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
print(f"Data: {data}")
print(f"Mean: {np.mean(data)}")
print(f"Standard Deviation: {np.std(data):.4f}")
print(f"Population Std Dev: {np.std(data, ddof=0):.4f}")
print(f"Sample Std Dev:     {np.std(data, ddof=1):.4f}")
"#;

#[derive(Debug, Parser)]
#[command(about = "Run code in AgentCore Code Interpreter, no model involved")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,

    /// File with the code to run (`-` reads stdin); default: the numpy statistics.
    #[arg(long, env = "CODE_FILE")]
    code_file: Option<PathBuf>,

    /// Language of the code.
    #[arg(long, env = "CODE_LANGUAGE", value_enum, default_value_t = Language::Python)]
    language: Language,
}

/// Runs `code` in a session of its own: start, `executeCode`, stop (the Python's `run_code`).
async fn run_code(
    aws: &Clients, code: &str, language: Language, out: &Printer,
) -> Result<(String, ExecutionResult), Error> {
    let session = aws
        .agentcore
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM_INTERPRETER_ID)
        .send()
        .await
        .map_err(|err| Error::sdk("StartCodeInterpreterSession", err))?;
    let session_id = session.session_id();
    out.line(format!("[Session started: {session_id}]"));

    // try: executeCode, whose answer is an event stream; finally: always stop the session.
    let invoke = async {
        let response = aws
            .agentcore
            .invoke_code_interpreter()
            .code_interpreter_identifier(SYSTEM_INTERPRETER_ID)
            .session_id(session_id)
            .name(ToolName::ExecuteCode)
            .arguments(ToolArguments::builder().language(language.into()).code(code).build())
            .send()
            .await
            .map_err(|err| Error::invoke(session_id, err))?;
        Ok::<_, Error>(ExecutionResult::from_stream(response).await?)
    };
    let stop = aws
        .agentcore
        .stop_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM_INTERPRETER_ID)
        .session_id(session_id)
        .send();
    let result = finally_stop(invoke, stop).await?;
    out.line(format!("[Session stopped: {session_id}]"));
    Ok((session_id.to_owned(), result))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let out = args.common.printer();
    // The code, read before anything starts so that a bad path fails fast.
    let code = match &args.code_file {
        None => DEFAULT_CODE.to_owned(),
        Some(path) if path.as_os_str() == "-" => {
            let mut code = String::new();
            std::io::stdin()
                .read_to_string(&mut code)
                .context("could not read the code from stdin")?;
            code
        }
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("could not read --code-file {}", path.display()))?,
    };
    let aws = args.common.connect().await?;

    out.line("--- Executing code via AgentCore Code Interpreter ---");
    let (session_id, result) = run_code(&aws, &code, args.language, &out).await?;
    out.line(result.text.trim_end());
    out.report(
        JsonReport::new("04")
            .session(&session_id)
            .with("language", args.language.as_str())
            .with("output", result.text.clone())
            .with("exit_code", result.exit_code)
            .with("is_error", result.is_error),
    )?;
    if result.is_error {
        let code = result.exit_code.map_or("none".to_owned(), |c| c.to_string());
        bail!("the code failed (exit code {code})");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
