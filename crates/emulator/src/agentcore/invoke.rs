//! InvokeCodeInterpreter: the nine tools of a session, answered as an event stream
//! of `result` events.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Deserialize;

use super::results::{
    ContentBlock, ResourceContent, ToolResult, code_result, command_result, file_uri,
    message_result, task_started, task_status,
};
use super::wire::{interpreter_id_of, parse_body};
use crate::error::AwsError;
use crate::eventstream::{event_frame, stream_response};
use crate::state::AppState;
use crate::store::sessions::SessionStatus;
use sandbox::{Language, Sandbox, SandboxError};

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
