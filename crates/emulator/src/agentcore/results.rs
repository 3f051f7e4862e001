//! What InvokeCodeInterpreter answers: the `result` event's shapes, and the tool
//! results as AgentCore writes them (the wording and layout captured from the
//! service; docs/FIDELITY.md lists the sources).

use sandbox::{ExecOutput, TaskInfo, TaskStatus, append_note};
use serde::Serialize;

/// The payload of a `result` event (CodeInterpreterResult).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResult {
    pub(super) content: Vec<ContentBlock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) structured_content: Option<StructuredContent>,
    pub(super) is_error: bool,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContentBlock {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) resource: Option<ResourceContent>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResourceContent {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) uri: String,
    pub(super) mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) blob: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StructuredContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) task_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stderr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) execution_time: Option<f64>,
}

pub(super) fn text_block(text: impl Into<String>) -> ContentBlock {
    ContentBlock { kind: "text", text: Some(text.into()), ..ContentBlock::default() }
}

/// `file:///<path>`: AgentCore writes session paths as absolute file URIs.
pub(super) fn file_uri(path: &str) -> String {
    let path = path.trim_start_matches("./").trim_start_matches('/');
    format!("file:///{path}")
}

pub(super) fn message_result(text: impl Into<String>, is_error: bool) -> ToolResult {
    ToolResult { content: vec![text_block(text)], structured_content: None, is_error }
}

/// `executeCode`: what the code printed, stripped of surrounding whitespace as
/// AgentCore's notebook kernel reports it (`print("Hello World!!!")` answers
/// `"Hello World!!!"`, no newline); stdout and stderr in one text block each.
pub(super) fn code_result(output: ExecOutput) -> ToolResult {
    let is_error = output.is_error();
    let stdout = output.stdout.trim().to_owned();
    let stderr = output.stderr.trim().to_owned();
    let mut content = Vec::new();
    if !stdout.is_empty() || stderr.is_empty() {
        content.push(text_block(stdout.clone()));
    }
    if !stderr.is_empty() {
        content.push(text_block(stderr.clone()));
    }
    ToolResult {
        content,
        structured_content: Some(StructuredContent {
            stdout: Some(stdout),
            stderr: Some(stderr),
            exit_code: Some(output.exit_code),
            // Seconds, as AgentCore reports it.
            execution_time: Some(output.execution_time.as_secs_f64()),
            ..StructuredContent::default()
        }),
        is_error,
    }
}

/// Output as a terminal delivers it: every line feed becomes CR LF (what a
/// pseudo-terminal's `onlcr` does, and what AgentCore's shell output shows).
pub(super) fn terminal(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// Terminal output in stdout after a clean exit, else all of it in stderr, as
/// AgentCore reports a shell command (`echo hello; exit 3` answers stdout "",
/// stderr "hello\r\n").
pub(super) fn split_by_exit(text: String, clean: bool) -> (String, String) {
    if clean { (text, String::new()) } else { (String::new(), text) }
}

/// `executeCommand`: the command's stdout and stderr as one terminal stream.
pub(super) fn command_result(output: ExecOutput) -> ToolResult {
    let is_error = output.is_error();
    let mut text = output.stdout;
    if !output.stderr.is_empty() {
        append_note(&mut text, output.stderr.trim_end());
    }
    let text = terminal(&text);
    let (stdout, stderr) = split_by_exit(text.clone(), !is_error);
    ToolResult {
        content: vec![text_block(text)],
        structured_content: Some(StructuredContent {
            stdout: Some(stdout),
            stderr: Some(stderr),
            exit_code: Some(output.exit_code),
            execution_time: Some(output.execution_time.as_secs_f64()),
            ..StructuredContent::default()
        }),
        is_error,
    }
}

/// `startCommandExecution`: the task id and status in the structured content only.
pub(super) fn task_started(task: TaskInfo) -> ToolResult {
    ToolResult {
        content: vec![text_block("Successfully started a command execution task")],
        structured_content: Some(StructuredContent {
            task_id: Some(task.task_id),
            task_status: Some("submitted"),
            stdout: Some(String::new()),
            stderr: Some(String::new()),
            ..StructuredContent::default()
        }),
        is_error: false,
    }
}

/// `getTask`: "Task is working", the output so far, and how it ended once it did.
pub(super) fn task_status(task: TaskInfo) -> ToolResult {
    let status = task.status.as_str();
    let failed = task.status == TaskStatus::Failed;
    let (stdout, stderr) = split_by_exit(terminal(&task.output), !failed);
    ToolResult {
        content: vec![text_block(format!("Task is {status}"))],
        structured_content: Some(StructuredContent {
            task_status: Some(status),
            stdout: Some(stdout),
            stderr: Some(stderr),
            exit_code: task.exit_code,
            execution_time: task.execution_time.map(|t| t.as_secs_f64()),
            ..StructuredContent::default()
        }),
        is_error: failed,
    }
}
