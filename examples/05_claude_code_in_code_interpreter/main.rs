//! Example 05: Claude Code running inside a custom AgentCore Code Interpreter.
//!
//! Here the agent loop does not run on our side at all: Claude Code (a Node.js
//! CLI) is installed into a code-interpreter session and calls Bedrock itself,
//! with the interpreter's execution role. `setup` creates that IAM role and a
//! custom interpreter with network mode PUBLIC (the sandbox downloads Node.js and
//! the npm package); `run` installs both in a session and runs `claude -p`;
//! `teardown` deletes what `setup` made. README.md beside this file lists the IAM
//! permissions, the cost and the cleanup.
//!
//! AWS APIs: iam `CreateRole`, `GetRole`, `PutRolePolicy`, `DeleteRolePolicy`,
//! `DeleteRole`; bedrock-agentcore-control `CreateCodeInterpreter`,
//! `GetCodeInterpreter`, `ListCodeInterpreters`, `DeleteCodeInterpreter`;
//! bedrock-agentcore `StartCodeInterpreterSession`, `InvokeCodeInterpreter`,
//! `StopCodeInterpreterSession`. Inside the sandbox, Claude Code calls
//! bedrock-runtime `InvokeModelWithResponseStream`.
//!
//! Model: as in 01, `global.anthropic.claude-sonnet-4-6`; `--model` / `BEDROCK_MODEL_ID`.
//!
//! Differs from the Python (hence about twice its length): a `teardown` subcommand
//! deletes what `setup` made (the Python leaves that to the AWS CLI); `setup` waits
//! until the interpreter is READY and replaces a failed one; a failed install skips
//! the run with the reason; `--json` lists each step's status.
//!
//! Against AWS:  `cargo run --example 05_claude_code_in_code_interpreter -- setup`
//!               `cargo run --example 05_claude_code_in_code_interpreter -- run <id> "<prompt>"`
//!               `cargo run --example 05_claude_code_in_code_interpreter -- teardown`
//! Offline:      `cargo run --example 05_claude_code_in_code_interpreter -- --local`
//!               (setup, run and teardown in one process, against the embedded emulator)

mod output;
mod run;
mod setup;
mod teardown;

use std::process::ExitCode;

use anyhow::bail;
use clap::{Parser, Subcommand};
use common::CommonArgs;
use output::Output;

/// The prompt of `--local` when no `run` subcommand gives one.
const DEFAULT_PROMPT: &str = "Write a Python script that prints the mean and standard deviation \
     of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], then run it";

#[derive(Debug, Parser)]
#[command(about = "Claude Code inside a custom AgentCore Code Interpreter")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,

    /// Where the sandbox downloads Node.js from.
    #[arg(long, env = "NODE_DIST_URL", default_value = "https://nodejs.org/dist", global = true)]
    node_dist_url: String,

    /// Seconds to wait for a new IAM role to propagate [default: 10, 0 against an emulator].
    #[arg(long, env = "IAM_WAIT_SECS", global = true)]
    iam_wait_secs: Option<u64>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create (or reuse) the IAM role and the custom code interpreter.
    Setup,
    /// Install Claude Code in a session on the interpreter and run one prompt.
    Run {
        /// The interpreter id that `setup` printed.
        code_interpreter_id: String,
        /// What Claude Code should do.
        prompt: String,
    },
    /// Delete the code interpreter, the role policy and the role.
    Teardown {
        /// Delete this interpreter instead of every `claudeCodePublic*` one.
        #[arg(long, env = "CODE_INTERPRETER_ID")]
        code_interpreter_id: Option<String>,
    },
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mut out = Output::new(args.common.printer());
    if args.command.is_none() && !args.common.local {
        bail!(
            "choose a subcommand: setup, run <code-interpreter-id> <prompt>, or teardown \
             (or add --local to run all three offline)"
        );
    }
    let clients = args.common.connect().await?;
    let run_config = |interpreter_id: String, prompt: String| run::RunConfig {
        interpreter_id,
        prompt,
        model: args.common.model_or(common::DEFAULT_MODEL_ID),
        region: args.common.region.clone(),
        node_dist_url: args.node_dist_url.clone(),
    };

    if clients.is_local() {
        // The emulator lives as long as this process, so all three run here.
        let prompt = match args.command {
            Some(Command::Run { prompt, .. }) => prompt,
            _ => DEFAULT_PROMPT.to_owned(),
        };
        let interpreter_id = setup::setup(&clients, args.iam_wait_secs, &mut out).await?;
        out.say("");
        // Offline the sandbox cannot reach the internet: a failed step is reported
        // in the output, and the run goes on to the teardown.
        let ran = run::run(&clients, &run_config(interpreter_id, prompt), &mut out).await;
        out.say("");
        let torn_down = teardown::teardown(&clients, None, &mut out).await;
        ran?;
        torn_down?;
        return out.print_json();
    }

    match args.command {
        None => {} // Only with --local, handled above.
        Some(Command::Setup) => {
            setup::setup(&clients, args.iam_wait_secs, &mut out).await?;
        }
        Some(Command::Run { code_interpreter_id, prompt }) => {
            let config = run_config(code_interpreter_id, prompt);
            run::run(&clients, &config, &mut out).await?;
        }
        Some(Command::Teardown { code_interpreter_id }) => {
            teardown::teardown(&clients, code_interpreter_id.as_deref(), &mut out).await?
        }
    }
    let failed = out.any_failed();
    out.print_json()?;
    if failed {
        bail!("a step failed (see its line above); the session was stopped");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
