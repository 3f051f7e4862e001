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
//! Against AWS:  `cargo run --example 04_code_interpreter_highlevel_api`
//! Offline:      `cargo run --example 04_code_interpreter_highlevel_api -- --local`
//! Other code:   `echo 'print(2 + 2)' | cargo run --example 04_code_interpreter_highlevel_api -- --local --code-file -`

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use aws_sdk_bedrockagentcore::types::{ToolArguments, ToolName};
use clap::Parser;
use common::{CommonArgs, ExecutionResult, JsonReport, Language, SessionConfig, with_session};

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

async fn run(args: Args) -> anyhow::Result<()> {
    let wall = Instant::now();
    let json = args.common.json;

    // Step 1: the code. Read it before anything starts, so a bad path fails fast.
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

    // Step 2: clients for AWS, or for the embedded emulator with --local.
    let clients = args.common.connect().await?;

    // Step 3: a session that is stopped on every way out of the block.
    let (session_id, result) = with_session(
        &clients.agentcore,
        SessionConfig::default(),
        async |session| {
            if !json {
                println!("[Session started: {}]", session.id());
                println!("--- Executing code via AgentCore Code Interpreter ---");
            }
            // Step 4: executeCode. The answer is an event stream of `result` events.
            let output = clients
                .agentcore
                .invoke_code_interpreter()
                .code_interpreter_identifier(session.interpreter_id())
                .session_id(session.id())
                .name(ToolName::ExecuteCode)
                .arguments(
                    ToolArguments::builder()
                        .language(args.language.into())
                        .code(&code)
                        .build(),
                )
                .send()
                .await
                .map_err(|err| common::Error::sdk("InvokeCodeInterpreter", err))?;
            let result = ExecutionResult::from_stream(output).await?;
            anyhow::Ok((session.id().to_owned(), result))
        },
    )
    .await?;

    // Step 5: show the output (the session is already stopped).
    if json {
        let report = JsonReport {
            session_id: Some(session_id),
            sessions_started: Some(1),
            ..JsonReport::new("04")
        }
        .wall(wall.elapsed())
        .with("language", args.language.as_str())
        .with("output", result.text.clone())
        .with("exit_code", result.exit_code)
        .with("is_error", result.is_error);
        println!("{}", report.to_json_line()?);
    } else {
        println!("{}", result.text.trim_end());
        println!("[Session stopped: {session_id}]");
    }
    if result.is_error {
        let code = result
            .exit_code
            .map_or("none".to_owned(), |c| c.to_string());
        bail!("the code failed (exit code {code})");
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
