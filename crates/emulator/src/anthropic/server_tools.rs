//! The server-side code execution tools, run in a container's sandbox: `bash_code_execution`
//! and `text_editor_code_execution` (tool `code_execution_20250825`), and
//! `code_execution` (tool `code_execution_20250522`).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::sandbox::{ExecOutput, Language, Sandbox, SandboxError};
use messages::{ContentBlock, ServerToolResult};

/// The server tool names the emulator executes.
pub const SERVER_TOOL_NAMES: [&str; 3] =
    ["bash_code_execution", "text_editor_code_execution", "code_execution"];

fn content(kind: &str) -> ServerToolResult {
    ServerToolResult { kind: kind.to_owned(), ..ServerToolResult::default() }
}

fn error(kind: &str, code: &str, message: Option<String>) -> ServerToolResult {
    ServerToolResult { error_code: Some(code.to_owned()), error_message: message, ..content(kind) }
}

fn exec_content(kind: &str, error_kind: &str, output: ExecOutput) -> ServerToolResult {
    if output.timed_out {
        return error(error_kind, "execution_time_exceeded", None);
    }
    ServerToolResult {
        stdout: Some(output.stdout),
        stderr: Some(output.stderr),
        return_code: Some(i64::from(output.exit_code)),
        content: Some(json!([])),
        ..content(kind)
    }
}

fn sandbox_error(error_kind: &str, err: &SandboxError) -> ServerToolResult {
    match err {
        SandboxError::NotFound { .. } => error(error_kind, "file_not_found", Some(err.to_string())),
        SandboxError::PathOutsideSession { .. } | SandboxError::InvalidPath { .. } => {
            error(error_kind, "invalid_tool_input", Some(err.to_string()))
        }
        _ => error(error_kind, "unavailable", Some(err.to_string())),
    }
}

#[derive(Deserialize)]
struct BashInput {
    command: String,
}

#[derive(Deserialize)]
struct CodeInput {
    code: String,
}

#[derive(Deserialize)]
struct EditorInput {
    command: String,
    path: String,
    file_text: Option<String>,
    old_str: Option<String>,
    new_str: Option<String>,
}

const BASH_ERROR: &str = "bash_code_execution_tool_result_error";
const EDITOR_ERROR: &str = "text_editor_code_execution_tool_result_error";
const CODE_ERROR: &str = "code_execution_tool_result_error";

/// Runs one server tool call and returns its result block.
pub async fn run(sandbox: &Sandbox, id: &str, name: &str, input: &Value) -> ContentBlock {
    let tool_use_id = id.to_owned();
    match name {
        "bash_code_execution" => {
            let content = match serde_json::from_value::<BashInput>(input.clone()) {
                Err(_) => error(BASH_ERROR, "invalid_tool_input", None),
                Ok(input) => match sandbox.execute_command(&input.command).await {
                    Ok(output) => exec_content("bash_code_execution_result", BASH_ERROR, output),
                    Err(err) => sandbox_error(BASH_ERROR, &err),
                },
            };
            ContentBlock::BashCodeExecutionToolResult { tool_use_id, content, cache_control: None }
        }
        "code_execution" => {
            let content = match serde_json::from_value::<CodeInput>(input.clone()) {
                Err(_) => error(CODE_ERROR, "invalid_tool_input", None),
                Ok(input) => match sandbox.execute_code(Language::Python, &input.code, false).await
                {
                    Ok(output) => exec_content("code_execution_result", CODE_ERROR, output),
                    Err(err) => sandbox_error(CODE_ERROR, &err),
                },
            };
            ContentBlock::CodeExecutionToolResult { tool_use_id, content, cache_control: None }
        }
        _ => {
            let content = match serde_json::from_value::<EditorInput>(input.clone()) {
                Err(_) => error(EDITOR_ERROR, "invalid_tool_input", None),
                Ok(input) => text_editor(sandbox, input).await,
            };
            ContentBlock::TextEditorCodeExecutionToolResult {
                tool_use_id,
                content,
                cache_control: None,
            }
        }
    }
}

async fn read_text(sandbox: &Sandbox, path: &str) -> Result<String, SandboxError> {
    let mut files = sandbox.read_files(&[path.to_owned()]).await?;
    let file = files.pop().ok_or_else(|| SandboxError::NotFound { path: path.to_owned() })?;
    Ok(String::from_utf8_lossy(&file.bytes).into_owned())
}

async fn text_editor(sandbox: &Sandbox, input: EditorInput) -> ServerToolResult {
    let outcome = match input.command.as_str() {
        "create" => {
            let existed = sandbox.read_files(std::slice::from_ref(&input.path)).await.is_ok();
            let text = input.file_text.unwrap_or_default();
            sandbox.write_files(vec![(input.path, text.into_bytes())]).await.map(|_| {
                let mut extra = Map::new();
                extra.insert("is_file_update".into(), json!(existed));
                ServerToolResult { extra, ..content("text_editor_code_execution_create_result") }
            })
        }
        "view" => read_text(sandbox, &input.path).await.map(|text| {
            let total = text.lines().count();
            let mut extra = Map::new();
            extra.insert("file_type".into(), json!("text"));
            extra.insert("num_lines".into(), json!(total));
            extra.insert("start_line".into(), json!(1));
            extra.insert("total_lines".into(), json!(total));
            ServerToolResult {
                content: Some(json!(text)),
                extra,
                ..content("text_editor_code_execution_view_result")
            }
        }),
        "str_replace" => {
            let (Some(old), Some(new)) = (input.old_str, input.new_str) else {
                return error(
                    EDITOR_ERROR,
                    "invalid_tool_input",
                    Some("str_replace needs old_str and new_str".into()),
                );
            };
            match read_text(sandbox, &input.path).await {
                Err(err) => Err(err),
                Ok(text) => match text.matches(old.as_str()).count() {
                    1 => {
                        let start =
                            text[..text.find(old.as_str()).unwrap_or(0)].lines().count() + 1;
                        let replaced = text.replacen(old.as_str(), &new, 1);
                        sandbox.write_files(vec![(input.path, replaced.into_bytes())]).await.map(
                            |_| {
                                let mut extra = Map::new();
                                extra.insert("old_start".into(), json!(start));
                                extra.insert("old_lines".into(), json!(old.lines().count()));
                                extra.insert("new_start".into(), json!(start));
                                extra.insert("new_lines".into(), json!(new.lines().count()));
                                extra
                                    .insert("lines".into(), json!(new.lines().collect::<Vec<_>>()));
                                ServerToolResult {
                                    extra,
                                    ..content("text_editor_code_execution_str_replace_result")
                                }
                            },
                        )
                    }
                    n => {
                        return error(
                            EDITOR_ERROR,
                            "invalid_tool_input",
                            Some(format!(
                                "old_str must occur exactly once in {}; it occurs {n} times",
                                input.path
                            )),
                        );
                    }
                },
            }
        }
        other => {
            return error(
                EDITOR_ERROR,
                "invalid_tool_input",
                Some(format!("unknown command '{other}'; use view, create or str_replace")),
            );
        }
    };
    outcome.unwrap_or_else(|err| sandbox_error(EDITOR_ERROR, &err))
}
