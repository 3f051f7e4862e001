//! InvokeCodeInterpreter: the nine tools of a session, answered as an event stream
//! of `result` events.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::wire::{interpreter_id_of, parse_body};
use crate::error::AwsError;
use crate::eventstream::{event_frame, stream_response};
use crate::state::AppState;
use crate::store::sessions::SessionStatus;
use sandbox::{ExecOutput, Language, Sandbox, SandboxError, TaskInfo, TaskStatus, append_note};

/// The request header that carries the session id.
pub const SESSION_HEADER: &str = "x-amzn-code-interpreter-session-id";

#[derive(Debug, Deserialize)]
struct InvokeRequest {
    name: Option<String>,
    #[serde(default)]
    arguments: Arguments,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Arguments {
    code: Option<String>,
    language: Option<String>,
    clear_context: Option<bool>,
    command: Option<String>,
    path: Option<String>,
    paths: Option<Vec<String>>,
    content: Option<Vec<InputContentBlock>>,
    directory_path: Option<String>,
    task_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InputContentBlock {
    path: String,
    text: Option<String>,
    blob: Option<String>,
}

/// The payload of a `result` event (CodeInterpreterResult).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResult {
    content: Vec<ContentBlock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    structured_content: Option<StructuredContent>,
    is_error: bool,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<ResourceContent>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceContent {
    #[serde(rename = "type")]
    kind: &'static str,
    uri: String,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blob: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct StructuredContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stderr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_time: Option<f64>,
}

fn text_block(text: impl Into<String>) -> ContentBlock {
    ContentBlock { kind: "text", text: Some(text.into()), ..ContentBlock::default() }
}

/// `file:///<path>`: AgentCore writes session paths as absolute file URIs.
fn file_uri(path: &str) -> String {
    let path = path.trim_start_matches("./").trim_start_matches('/');
    format!("file:///{path}")
}

fn message_result(text: impl Into<String>, is_error: bool) -> ToolResult {
    ToolResult { content: vec![text_block(text)], structured_content: None, is_error }
}

/// `executeCode`: what the code printed, stripped of surrounding whitespace as
/// AgentCore's notebook kernel reports it (`print("Hello World!!!")` answers
/// `"Hello World!!!"`, no newline); stdout and stderr in one text block each.
fn code_result(output: ExecOutput) -> ToolResult {
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
fn terminal(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// Terminal output in stdout after a clean exit, else all of it in stderr, as
/// AgentCore reports a shell command (`echo hello; exit 3` answers stdout "",
/// stderr "hello\r\n").
fn split_by_exit(text: String, clean: bool) -> (String, String) {
    if clean { (text, String::new()) } else { (String::new(), text) }
}

/// `executeCommand`: the command's stdout and stderr as one terminal stream.
fn command_result(output: ExecOutput) -> ToolResult {
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
fn task_started(task: TaskInfo) -> ToolResult {
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
fn task_status(task: TaskInfo) -> ToolResult {
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

/// Why AgentCore refuses an absolute path (or one that climbs out) in the file tools.
const TRAVERSAL: &str = "Invalid file path: potential path traversal detected";

/// The file tools take paths relative to the working directory only.
fn has_absolute<'a>(mut paths: impl Iterator<Item = &'a str>) -> bool {
    paths.any(|path| path.starts_with('/'))
}

fn require<'a>(value: &'a Option<String>, member: &str, tool: &str) -> Result<&'a str, AwsError> {
    value
        .as_deref()
        .ok_or_else(|| AwsError::validation(format!("arguments.{member} is required for {tool}")))
}

/// The checked form of one tool call.
enum Call {
    Code { language: Language, code: String, clear: bool },
    Command(String),
    Read(Vec<String>),
    List(String),
    Remove(Vec<String>),
    Write(Vec<(String, Vec<u8>)>),
    StartTask(String),
    GetTask(String),
    StopTask(String),
}

fn paths_of(args: &Arguments, tool: &str) -> Result<Vec<String>, AwsError> {
    match (&args.paths, &args.path) {
        (Some(paths), _) if !paths.is_empty() => Ok(paths.clone()),
        (_, Some(path)) => Ok(vec![path.clone()]),
        _ => Err(AwsError::validation(format!(
            "arguments.paths (a list of paths) is required for {tool}"
        ))),
    }
}

fn check_call(name: &str, args: Arguments) -> Result<Call, AwsError> {
    Ok(match name {
        "executeCode" => {
            // The service model has checked the enum.
            let language = match args.language.as_deref() {
                Some("javascript") => Language::Javascript,
                Some("typescript") => Language::Typescript,
                _ => Language::Python,
            };
            Call::Code {
                language,
                code: require(&args.code, "code", name)?.to_owned(),
                clear: args.clear_context.unwrap_or(false),
            }
        }
        "executeCommand" => Call::Command(require(&args.command, "command", name)?.to_owned()),
        "startCommandExecution" => {
            Call::StartTask(require(&args.command, "command", name)?.to_owned())
        }
        "readFiles" => Call::Read(paths_of(&args, name)?),
        "removeFiles" => Call::Remove(paths_of(&args, name)?),
        "listFiles" => {
            Call::List(args.directory_path.or(args.path).unwrap_or_else(|| ".".to_owned()))
        }
        "writeFiles" => {
            let blocks = args.content.unwrap_or_default();
            if blocks.is_empty() {
                return Err(AwsError::validation(
                    "arguments.content (a list of {path, text | blob}) is required for writeFiles",
                ));
            }
            let mut files = Vec::with_capacity(blocks.len());
            for block in blocks {
                let bytes = match (block.text, block.blob) {
                    (Some(text), None) => text.into_bytes(),
                    (None, Some(blob)) => BASE64.decode(blob.as_bytes()).map_err(|err| {
                        AwsError::validation(format!(
                            "content blob for '{}' is not valid base64: {err}",
                            block.path
                        ))
                    })?,
                    _ => {
                        return Err(AwsError::validation(format!(
                            "content for '{}' needs exactly one of text or blob",
                            block.path
                        )));
                    }
                };
                files.push((block.path, bytes));
            }
            Call::Write(files)
        }
        "getTask" => Call::GetTask(require(&args.task_id, "taskId", name)?.to_owned()),
        "stopTask" => Call::StopTask(require(&args.task_id, "taskId", name)?.to_owned()),
        // The service model has checked the name against its enum of nine tools.
        other => return Err(AwsError::validation(format!("unknown tool name '{other}'"))),
    })
}

async fn run_call(sandbox: &Sandbox, call: Call) -> Result<ToolResult, SandboxError> {
    let absolute = match &call {
        Call::Read(paths) | Call::Remove(paths) => has_absolute(paths.iter().map(String::as_str)),
        Call::Write(files) => has_absolute(files.iter().map(|(path, _)| path.as_str())),
        Call::List(dir) => has_absolute(std::iter::once(dir.as_str())),
        _ => false,
    };
    if absolute {
        return Ok(message_result(TRAVERSAL, true));
    }
    Ok(match call {
        Call::Code { language, code, clear } => {
            code_result(sandbox.execute_code(language, &code, clear).await?)
        }
        Call::Command(command) => command_result(sandbox.execute_command(&command).await?),
        Call::Write(files) => {
            let written = sandbox.write_files(files).await?;
            message_result(format!("Successfully wrote all {} files", written.len()), false)
        }
        Call::Read(paths) => {
            let files = sandbox.read_files(&paths).await?;
            let content = files
                .into_iter()
                .map(|file| {
                    let (kind, text, blob) = if file.is_text {
                        ("text", Some(String::from_utf8_lossy(&file.bytes).into_owned()), None)
                    } else {
                        ("blob", None, Some(BASE64.encode(&file.bytes)))
                    };
                    ContentBlock {
                        kind: "resource",
                        resource: Some(ResourceContent {
                            kind,
                            uri: file_uri(&file.path),
                            mime_type: file.mime_type,
                            text,
                            blob,
                        }),
                        ..ContentBlock::default()
                    }
                })
                .collect();
            ToolResult { content, structured_content: None, is_error: false }
        }
        Call::List(dir) => {
            let entries = sandbox.list_files(&dir).await?;
            let content = entries
                .into_iter()
                .map(|entry| ContentBlock {
                    kind: "resource_link",
                    uri: Some(file_uri(&entry.path)),
                    name: Some(entry.name),
                    description: Some(if entry.is_dir { "Directory" } else { "File" }.to_owned()),
                    mime_type: entry.mime_type,
                    ..ContentBlock::default()
                })
                .collect();
            ToolResult { content, structured_content: None, is_error: false }
        }
        Call::Remove(paths) => {
            let removed = sandbox.remove_files(&paths).await?;
            message_result(format!("Successfully removed all {} files", removed.len()), false)
        }
        Call::StartTask(command) => task_started(sandbox.start_task(&command).await?),
        Call::GetTask(id) => task_status(sandbox.get_task(&id).await?),
        Call::StopTask(id) => {
            sandbox.stop_task(&id).await?;
            message_result("Successfully canceled a command execution task", false)
        }
    })
}

/// What the caller did wrong becomes an error result the model can read; a fault of
/// the sandbox itself becomes an `internalServerException` frame.
fn sandbox_failure(err: SandboxError) -> Result<ToolResult, AwsError> {
    match err {
        SandboxError::PathOutsideSession { .. } => Ok(message_result(TRAVERSAL, true)),
        SandboxError::NotFound { path } => {
            Ok(message_result(format!("File {path} not found"), true))
        }
        SandboxError::TaskNotRunning { status, .. } => Ok(message_result(
            format!(
                "Task cannot be canceled (current status: TaskStatus.{})",
                status.as_str().to_ascii_uppercase()
            ),
            true,
        )),
        SandboxError::InvalidPath { .. }
        | SandboxError::TaskNotFound { .. }
        | SandboxError::Unsupported { .. } => Ok(message_result(err.to_string(), true)),
        SandboxError::Closed => Err(AwsError::not_found(
            "The session ended while the call was running (stopped or past its timeout)",
        )),
        other => Err(AwsError::internal(format!("sandbox failure: {other}"))),
    }
}

/// `POST /code-interpreters/{id}/tools/invoke`.
pub async fn invoke(
    State(state): State<Arc<AppState>>, Path(identifier): Path<String>, headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AwsError> {
    let session_id = headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            AwsError::validation(format!(
                "sessionId is required (header {SESSION_HEADER}); start a session first"
            ))
        })?
        .to_owned();
    let request: InvokeRequest = parse_body(&body)?;
    // Required by the service model, which has checked it.
    let name = request.name.unwrap_or_default();
    let call = check_call(&name, request.arguments)?;

    let interpreter_id = interpreter_id_of(&identifier);
    let session = match state.sessions.get(&session_id).await {
        Some(session) if session.interpreter_id == interpreter_id => session,
        _ => {
            return Err(AwsError::not_found(format!(
                "Session '{session_id}' not found for code interpreter '{interpreter_id}'"
            )));
        }
    };
    let sandbox = match (session.status(), session.sandbox()) {
        (SessionStatus::Ready, Some(sandbox)) => sandbox,
        _ => {
            return Err(AwsError::not_found(format!(
                "Session '{session_id}' is terminated (stopped or past its sessionTimeoutSeconds); start a new session"
            )));
        }
    };

    tracing::debug!(session = %session_id, tool = %name, "invoke");
    // The place in the session's queue is taken now, as the request arrives.
    let mut turn = session.enqueue();
    // The call runs in its own task so that a client that hangs up mid-call does not
    // cancel the sandbox half-way through a request.
    let work = tokio::spawn(async move {
        turn.wait().await;
        run_call(&sandbox, call).await
    });
    let frames = futures::stream::once(async move {
        let outcome = match work.await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(err)) => sandbox_failure(err),
            Err(join) => Err(AwsError::internal(format!("the tool call failed: {join}"))),
        };
        match outcome {
            Ok(result) => event_frame("result", &result),
            Err(err) => err.exception_frame(),
        }
    });
    Ok(stream_response(frames, &[(SESSION_HEADER, session_id)]))
}
