//! Example 05 (Claude Code in a custom code interpreter): offline in one process
//! with `--local`, and subcommand by subcommand against a standalone emulator, as
//! a reader would run it against AWS. The sandbox is pointed at a closed local
//! port for Node.js, so nothing leaves the machine and the download failure shows.

use std::process::{Command, Stdio};

use crate::support::{Run, example_binary, run_example, session_id};

const EXAMPLE: &str = "05_claude_code_in_code_interpreter";
/// Port 9 (discard) is closed on loopback: the download fails at once.
const NOWHERE: &str = "http://127.0.0.1:9/dist";
const DOWNLOAD_FAILED: &str = "Step 1 failed: could not download Node.js from http://127.0.0.1:9/dist/v22.16.0/node-v22.16.0-linux-";
const NEEDS_INTERNET: &str =
    "The sandbox needs internet access (a PUBLIC network-mode interpreter) for this step.";

fn assert_download_failure_reported(run: &Run) {
    let out = &run.stdout;
    assert!(out.contains(DOWNLOAD_FAILED), "{out}");
    assert!(out.contains(NEEDS_INTERNET), "{out}");
    assert!(out.contains("Step 2 skipped: Claude Code is not installed"), "{out}");
}

#[test]
fn local_runs_setup_run_and_teardown_in_one_process() {
    let run = run_example(EXAMPLE, &["--local", "--node-dist-url", NOWHERE], None);
    // Offline a failed download is expected: reported, then the teardown, exit 0.
    run.assert_success();
    let out = &run.stdout;
    assert!(out.contains("  Created role: arn:aws:iam::"), "{out}");
    assert!(out.contains("Step 2: no wait for IAM propagation (an emulator"), "{out}");
    assert!(out.contains("  Created code interpreter: claudeCodePublic-"), "{out}");
    // A session on the custom interpreter, started and stopped.
    session_id(out);
    assert_download_failure_reported(&run);
    assert!(out.contains("  Deleted code interpreter: claudeCodePublic-"));
    assert!(out.contains("  Deleted inline policy BedrockInvokeAccess"));
    assert!(out.contains("  Deleted role CodeInterpreterClaudeCodeRole"));
    let order = ["=== Setup ===", "[Session started", "[Session stopped", "=== Teardown ==="];
    let positions: Vec<usize> = order.iter().map(|s| out.find(s).unwrap()).collect();
    assert!(positions.is_sorted(), "out of order:\n{out}");
}

#[test]
fn local_json_reports_every_step() {
    let run = run_example(EXAMPLE, &["--local", "--json", "--node-dist-url", NOWHERE], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "05");
    assert_eq!(report["sessions_started"], 1);
    assert!(!report["session_id"].as_str().unwrap().is_empty());
    let id = report["code_interpreter_id"].as_str().unwrap();
    assert!(id.starts_with("claudeCodePublic"), "{id}");
    let steps = report["steps"].as_array().unwrap();
    let status = |name: &str| {
        let step = steps.iter().find(|s| s["step"] == name).unwrap();
        (step["status"].as_str().unwrap().to_owned(), step["message"].to_string())
    };
    assert_eq!(status("role").0, "ok");
    assert_eq!(status("code_interpreter").0, "ok");
    let (install, message) = status("install");
    assert_eq!(install, "failed");
    assert!(message.contains("could not download Node.js"), "{message}");
    assert_eq!(status("claude").0, "skipped");
    assert_eq!(status("delete_role").0, "ok");
}

#[test]
fn without_local_a_subcommand_is_required() {
    let run = run_example(EXAMPLE, &[], None);
    assert!(!run.success());
    assert!(run.stderr.contains("choose a subcommand"), "{}", run.stderr);
}

/// Runs the example against the emulator at `env`, without `--local`, the way a
/// shell with the emulator's `export` lines would.
fn against(env: &[(&'static str, String)], args: &[&str]) -> Run {
    let mut command = Command::new(example_binary(EXAMPLE));
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "BEDROCK_MODEL_ID",
        "MIGRATION_LOCAL",
        "MIGRATION_JSON",
        "MIGRATION_VERBOSE",
        "NODE_DIST_URL",
        "IAM_WAIT_SECS",
        "CODE_INTERPRETER_ID",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    let nowhere = "/nonexistent/aws-config";
    command
        .env("AWS_CONFIG_FILE", nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let output = command.output().expect("example runs");
    Run {
        status: output.status,
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn subcommands_one_by_one_against_a_standalone_emulator() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime.block_on(emulator::Emulator::builder().progress(false).start()).unwrap();
    let env = emulator.env_vars();

    let first = against(&env, &["setup"]);
    first.assert_success();
    let id = first
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("Code interpreter ID: "))
        .unwrap_or_else(|| panic!("no interpreter id:\n{}", first.stdout))
        .to_owned();
    assert!(first.stdout.contains("  Created role: "), "{}", first.stdout);
    assert!(first.stdout.contains(&format!("Next: cargo run --example {EXAMPLE} -- run {id} ")));
    assert_eq!((emulator.roles(), emulator.custom_interpreters()), (1, 1));

    let second = against(&env, &["setup"]);
    second.assert_success();
    let out = &second.stdout;
    assert!(out.contains("  Role already exists, reusing: arn:aws:iam::"), "{out}");
    assert!(out.contains("(the role already existed)"), "{out}");
    let reused = format!("  Code interpreter already exists, reusing: {id}\n");
    assert!(out.contains(&reused), "{out}");
    assert!(out.contains(&format!("Code interpreter ID: {id}\n")), "{out}");
    assert_eq!((emulator.roles(), emulator.custom_interpreters()), (1, 1));

    let ran = against(&env, &["run", &id, "Say hello", "--node-dist-url", NOWHERE]);
    // Against a real endpoint a failed step is a failed run.
    assert!(!ran.success(), "{}", ran.stdout);
    session_id(&ran.stdout);
    assert_download_failure_reported(&ran);
    assert!(ran.stderr.contains("a step failed"), "{}", ran.stderr);
    assert_eq!(emulator.live_sessions(), 0, "the session was stopped");

    let torn = against(&env, &["teardown"]);
    torn.assert_success();
    assert!(torn.stdout.contains(&format!("  Deleted code interpreter: {id}\n")));
    assert!(torn.stdout.contains("  Deleted role CodeInterpreterClaudeCodeRole\n"));

    let again = against(&env, &["teardown"]);
    again.assert_success();
    let out = &again.stdout;
    assert!(out.contains("  Code interpreter claudeCodePublic*: already gone"), "{out}");
    assert!(out.contains("  Inline policy BedrockInvokeAccess: already gone"), "{out}");
    assert!(out.contains("  Role CodeInterpreterClaudeCodeRole: already gone"), "{out}");
    let by_id = against(&env, &["teardown", "--code-interpreter-id", &id]);
    by_id.assert_success();
    assert!(by_id.stdout.contains(&format!("  Code interpreter {id}: already gone")));

    assert_eq!(emulator.live_sessions(), 0);
    assert_eq!(emulator.custom_interpreters(), 0);
    assert_eq!(emulator.roles(), 0);
}
