//! `run`: Claude Code in a session on the custom interpreter (the Python set's
//! run.py). Both steps are Python run with `executeCode`; the scripts are the
//! `.py` files beside this one.

use std::time::Duration;

use anyhow::Context;
use common::{Clients, CodeInterpreterSession, ExecutionResult, SessionConfig, with_session};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::output::{Output, Status};

const NODE_VERSION: &str = "22.16.0";
const SESSION_NAME: &str = "claude_code_session";
const SESSION_TIMEOUT_SECS: i32 = 1800;
/// npm install and Claude Code take minutes inside one `executeCode` call.
const READ_TIMEOUT: Duration = Duration::from_secs(600);
const CLAUDE_TIMEOUT_SECS: u64 = 300;
const MARKER: &str = "@@result ";

/// What `run` needs.
pub struct RunConfig {
    pub interpreter_id: String,
    pub prompt: String,
    pub model: String,
    pub region: String,
    pub node_dist_url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Report {
    ok: bool,
    stage: String,
    reason: String,
    url: String,
    notes: Vec<String>,
    version: String,
    exit_code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs both steps in one session, stopped on every way out. `Ok(false)`: a step failed.
pub async fn run(clients: &Clients, config: &RunConfig, out: &mut Output) -> anyhow::Result<bool> {
    // Read, attempt and operation timeouts all sized for the long calls.
    let agentcore = clients.agentcore_with_read_timeout(READ_TIMEOUT);
    let session_config = SessionConfig {
        interpreter_id: config.interpreter_id.clone(),
        name: Some(SESSION_NAME.to_owned()),
        timeout_secs: SESSION_TIMEOUT_SECS,
    };
    let (session_id, ok) = with_session(&agentcore, session_config, async |session| {
        out.say(format!("[Session started: {}]", session.id()));
        out.report.session_id = Some(session.id().to_owned());
        out.report.sessions_started = Some(1);
        let ok = install(session, config, out).await? && claude(session, config, out).await?;
        anyhow::Ok((session.id().to_owned(), ok))
    })
    .await?;
    out.say(format!("[Session stopped: {session_id}]"));
    Ok(ok)
}

/// Step 1: Node.js for the sandbox's CPU, then `npm install @anthropic-ai/claude-code`.
async fn install(
    session: &CodeInterpreterSession, config: &RunConfig, out: &mut Output,
) -> anyhow::Result<bool> {
    out.say(format!("Step 1: installing Node.js v{NODE_VERSION} and Claude Code in the sandbox"));
    let code = format!(
        "NODE_VERSION = {}\nNODE_DIST_URL = {}\n{}",
        py_str(NODE_VERSION)?,
        py_str(&config.node_dist_url)?,
        include_str!("install.py")
    );
    let report: Report =
        execute(session, out, "Step 1: downloading Node.js, npm install", &code).await?;
    report.notes.iter().for_each(|note| out.say(format!("  {note}")));
    if report.ok {
        out.step("install", Status::Ok, format!("  Claude Code version: {}", report.version));
        return Ok(true);
    }
    let needs_net =
        "The sandbox needs internet access (a PUBLIC network-mode interpreter) for this step.";
    let message = match report.stage.as_str() {
        "download" => format!(
            "could not download Node.js from {}: {}. {needs_net}",
            report.url, report.reason
        ),
        "install" => format!(
            "npm could not install @anthropic-ai/claude-code: {}. {needs_net}",
            report.reason
        ),
        _ => report.reason,
    };
    out.step("install", Status::Failed, format!("Step 1 failed: {message}"));
    let skipped =
        "Step 2 skipped: Claude Code is not installed in the session, so there is nothing to run.";
    out.step("claude", Status::Skipped, skipped);
    Ok(false)
}

/// Step 2: `claude -p <prompt>` in /tmp/workspace, with Bedrock as the provider.
async fn claude(
    session: &CodeInterpreterSession, config: &RunConfig, out: &mut Output,
) -> anyhow::Result<bool> {
    out.say(format!("Step 2: running Claude Code in /tmp/workspace (model {})", config.model));
    let code = format!(
        "PROMPT = {}\nMODEL = {}\nREGION = {}\nTIMEOUT_SECS = {CLAUDE_TIMEOUT_SECS}\n{}",
        py_str(&config.prompt)?,
        py_str(&config.model)?,
        py_str(&config.region)?,
        include_str!("claude.py")
    );
    let report: Report = execute(session, out, "Step 2: Claude Code is working", &code).await?;
    out.say("--- Claude Code output ---");
    out.say(report.stdout.trim_end());
    let stderr: Vec<&str> = report.stderr.lines().filter(|l| !is_node_warning(l)).collect();
    if !stderr.is_empty() {
        out.say("--- stderr ---");
        out.say(stderr.join("\n"));
    }
    out.report = std::mem::take(&mut out.report).with("claude_output", report.stdout.clone());
    let (status, message) = match (report.ok, report.exit_code) {
        (true, _) => (Status::Ok, "Step 2 finished: Claude Code exited with code 0".to_owned()),
        (false, Some(code)) => {
            (Status::Failed, format!("Step 2 failed: Claude Code exited with code {code}"))
        }
        (false, None) => (Status::Failed, format!("Step 2 failed: {}", report.reason)),
    };
    out.step("claude", status, message);
    Ok(report.ok)
}

/// Runs one script under a spinner and reads its `@@result` line.
async fn execute<T: DeserializeOwned>(
    session: &CodeInterpreterSession, out: &Output, progress: &str, code: &str,
) -> anyhow::Result<T> {
    let spinner = out.spinner(progress);
    let result = session.execute_python(code).await;
    spinner.finish_and_clear();
    let result: ExecutionResult = result?;
    let line = result.text.lines().rev().find_map(|line| line.strip_prefix(MARKER));
    let line = line
        .with_context(|| format!("the sandbox script ended without a result:\n{}", result.text))?;
    serde_json::from_str(line).context("the sandbox script's result is not valid JSON")
}

/// A Python string literal (a JSON string is one).
fn py_str(value: &str) -> anyhow::Result<String> {
    Ok(serde_json::to_string(value)?)
}

/// Node's warnings on stderr, which are noise here.
fn is_node_warning(line: &str) -> bool {
    let line = line.to_ascii_lowercase();
    ["experimental", "deprecat", "punycode", "--trace-warnings"]
        .iter()
        .any(|word| line.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_warnings_are_dropped_and_errors_kept() {
        let warning = "(node:42) ExperimentalWarning: The Fetch API is an experimental feature.";
        assert!(is_node_warning(warning));
        assert!(is_node_warning(
            "(node:7) [DEP0040] DeprecationWarning: The `punycode` module is deprecated."
        ));
        assert!(!is_node_warning("Error: Could not load credentials from any providers"));
    }

    #[test]
    fn prompts_become_python_literals() {
        let literal = py_str("say \"hi\"\nand 'bye' \\o/").unwrap_or_default();
        assert_eq!(literal, r#""say \"hi\"\nand 'bye' \\o/""#);
    }
}
