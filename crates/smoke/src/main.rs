//! `smoke`: the checks `scripts/smoke.sh` needs around a run of the examples against
//! a real account, with nothing but Rust on the machine (no AWS CLI, no boto3).
//!
//! - `credentials`: do the default-chain credentials resolve, and whose are they
//!   (STS GetCallerIdentity)? Exit code 3 when there are none, so the script can skip.
//! - `model-access`: one tiny Converse call per model id, with a clear message when
//!   the model is not enabled.
//! - `sessions [--stop] [--since EPOCH]`: READY sessions on the system code
//!   interpreter that the examples started, stopped with `--stop`.
//!
//! It reads the same environment as the examples (`AWS_REGION`, `AWS_PROFILE`,
//! `AWS_ENDPOINT_URL`, ...), so it works against a standalone emulator as well.

use std::process::ExitCode;

use aws_sdk_bedrockagentcore::types::CodeInterpreterSessionStatus;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message,
};
use aws_smithy_types::error::display::DisplayErrorContext;
use clap::{Parser, Subcommand};
use common::CommonArgs;

/// Exit code for "no credentials": the smoke run is skipped, not failed.
const NO_CREDENTIALS: u8 = 3;

/// Session names the examples use; 04's sessions have no name.
const EXAMPLE_SESSION_NAMES: &[&str] = &[
    "converse-session",
    "invoke-model-session",
    "strands-agent-session",
    "agent-session",
    "caching-demo",
    "programmatic-tool-calling",
    "claude_code_session",
];

#[derive(Debug, Parser)]
#[command(about = "Checks around a smoke run of the examples against AWS")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Resolve credentials and print the caller identity (exit 3 without credentials).
    Credentials,
    /// Send one tiny Converse request to each model.
    ModelAccess {
        /// Model ids to check [default: the ids the examples use].
        #[arg(long = "model-id")]
        models: Vec<String>,
    },
    /// List READY sessions the examples started; stop them with --stop.
    Sessions {
        /// Stop every session listed.
        #[arg(long)]
        stop: bool,
        /// Only sessions created at or after this Unix time (seconds).
        #[arg(long)]
        since: Option<i64>,
        /// Every READY session, not only those named as the examples name theirs.
        #[arg(long)]
        all: bool,
        /// The code interpreter [default: aws.codeinterpreter.v1].
        #[arg(long, default_value = common::SYSTEM_INTERPRETER_ID)]
        interpreter: String,
    },
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let clients = match args.common.connect().await {
        Ok(clients) => clients,
        Err(err @ common::Error::NoCredentials(_)) => {
            eprintln!("smoke: {err}");
            if let Some(source) = std::error::Error::source(&err) {
                eprintln!("  {source}");
            }
            return Ok(ExitCode::from(NO_CREDENTIALS));
        }
        Err(err) => return Err(err.into()),
    };
    match args.command {
        Command::Credentials => {
            let identity = clients
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|err| common::Error::sdk("GetCallerIdentity", err))?;
            println!(
                "account {} as {} in {}",
                identity.account().unwrap_or("?"),
                identity.arn().unwrap_or("?"),
                args.common.region
            );
        }
        Command::ModelAccess { models } => {
            let models = if models.is_empty() {
                vec![
                    args.common.model_or(common::DEFAULT_MODEL_ID),
                    common::models::CACHING_MODEL_ID.to_owned(),
                ]
            } else {
                models
            };
            let mut failed = false;
            for model in models {
                match ping(&clients.bedrock, &model).await {
                    Ok(()) => println!("model {model}: ok"),
                    Err(message) => {
                        failed = true;
                        println!("model {model}: FAILED: {message}");
                    }
                }
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Sessions { stop, since, all, interpreter } => {
            let strays = strays(&clients.agentcore, &interpreter, since, all).await?;
            if strays.is_empty() {
                println!("no READY sessions left on {interpreter}");
            }
            for (id, name) in &strays {
                println!("READY session {id} ({name})");
                if stop {
                    clients
                        .agentcore
                        .stop_code_interpreter_session()
                        .code_interpreter_identifier(&interpreter)
                        .session_id(id)
                        .send()
                        .await
                        .map_err(|err| common::Error::sdk("StopCodeInterpreterSession", err))?;
                    println!("  stopped {id}");
                }
            }
            // Found strays are an error even when stopped: an example leaked them.
            if !strays.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A Converse call of a few tokens; the error text says what to fix.
async fn ping(client: &aws_sdk_bedrockruntime::Client, model: &str) -> Result<(), String> {
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("Reply with the word OK.".into()))
        .build()
        .map_err(|err| err.to_string())?;
    let result = client
        .converse()
        .model_id(model)
        .messages(message)
        .inference_config(InferenceConfiguration::builder().max_tokens(5).build())
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(err) => {
            let service = err.as_service_error();
            let hint = if service.is_some_and(|e| e.is_access_denied_exception()) {
                " (enable the model in the Bedrock console's Model access page, and allow bedrock:InvokeModel)"
            } else if service.is_some_and(|e| e.is_resource_not_found_exception()) {
                " (the model id is not offered in this region)"
            } else {
                ""
            };
            Err(format!("{}{hint}", DisplayErrorContext(&err)))
        }
    }
}

/// READY sessions of `interpreter` (id, name) that the examples may have left.
async fn strays(
    client: &aws_sdk_bedrockagentcore::Client, interpreter: &str, since: Option<i64>, all: bool,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_code_interpreter_sessions()
            .code_interpreter_identifier(interpreter)
            .status(CodeInterpreterSessionStatus::Ready)
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .map_err(|err| common::Error::sdk("ListCodeInterpreterSessions", err))?;
        for item in page.items() {
            let name = item.name().unwrap_or_default();
            let ours = all || name.is_empty() || EXAMPLE_SESSION_NAMES.contains(&name);
            let recent = since.is_none_or(|t| item.created_at().secs() >= t);
            if *item.status() == CodeInterpreterSessionStatus::Ready && ours && recent {
                out.push((item.session_id().to_owned(), name.to_owned()));
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    common::init_tracing(args.common.verbose);
    match run(args).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
