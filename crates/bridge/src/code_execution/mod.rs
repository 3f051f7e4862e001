//! The code execution tool on Bedrock: the model there has no server tools, so the
//! bridge declares client tools of the same names and inputs, runs each call in the
//! container's AgentCore session, and answers with the result blocks the Anthropic
//! API returns. Programmatic tool calling is [`ptc`]; file access that works for
//! every path is [`files`].

pub mod files;
pub mod ptc;

use agentcore_session::ExecutionResult;
use aws_sdk_bedrockagentcore::types::{ToolArguments, ToolName};
use messages::{ContentBlock, ServerToolResult, Tool};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::agentcore::{Container, Sessions};
use crate::error::ApiError;

/// A version of the code execution tool.
///
/// Every version is generally available: the anthropic SDKs define them all in the
/// Messages API's own (non-beta) types, so no `anthropic-beta` header is needed;
/// one sent anyway is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The tool's `type`.
    pub kind: &'static str,
    /// The tools the model calls under it.
    pub calls: &'static [&'static str],
}

impl Version {
    /// Whether the model runs Python itself (`code_execution`), in the session's
    /// interpreter, whose state persists: `_20250522`, and `_20260120` and later,
    /// which promise REPL state.
    pub fn runs_python(&self) -> bool {
        self.calls.contains(&"code_execution")
    }

    /// Whether the model's code may call the client's tools (programmatic tool
    /// calling): `_20250825` and later.
    pub fn calls_tools_from_code(&self) -> bool {
        self.calls.contains(&"bash_code_execution")
    }
}

const BASH_AND_EDITOR: &[&str] = &["bash_code_execution", "text_editor_code_execution"];
const WITH_PYTHON: &[&str] =
    &["bash_code_execution", "text_editor_code_execution", "code_execution"];

/// Every version the bridge serves, newest first. `_20260120` and `_20260521` keep
/// Python state between calls and requests: their `code_execution` calls run in the
/// AgentCore session's interpreter (`executeCode`), which keeps it.
pub const VERSIONS: [Version; 4] = [
    Version { kind: "code_execution_20260521", calls: WITH_PYTHON },
    Version { kind: "code_execution_20260120", calls: WITH_PYTHON },
    Version { kind: "code_execution_20250825", calls: BASH_AND_EDITOR },
    Version { kind: "code_execution_20250522", calls: &["code_execution"] },
];

/// The version of a server tool type, if it is a code execution tool.
pub fn version(kind: &str) -> Option<&'static Version> {
    VERSIONS.iter().find(|version| version.kind == kind)
}

/// The client tools Bedrock gets in place of `version`. With tools the model's code
/// may call, `code_execution` is programmatic tool calling's (see [`ptc::code_tool`])
/// instead of the plain Python one.
pub fn client_tools(version: &Version, callable: &[messages::CustomTool]) -> Vec<Tool> {
    let tool = |name: &str, description: &str, schema| Tool::custom(name, description, schema);
    let mut tools: Vec<Tool> = version
        .calls
        .iter()
        .filter(|name| callable.is_empty() || **name != "code_execution")
        .map(|name| match *name {
            "bash_code_execution" => tool(
                name,
                "Run a bash command in a sandboxed Linux container with Python 3 and common \
                 data libraries; files persist between calls of the conversation. Files the \
                 user uploaded are in the working directory; save files meant for the user \
                 in outputs/ and they are returned to them.",
                json!({"type": "object", "required": ["command"],
                       "properties": {"command": {"type": "string"}}}),
            ),
            "text_editor_code_execution" => tool(
                name,
                "View, create or edit a text file in the sandboxed container: command `view` \
                 (path), `create` (path, file_text) or `str_replace` (path, old_str, new_str).",
                json!({"type": "object", "required": ["command", "path"], "properties": {
                    "command": {"type": "string", "enum": ["view", "create", "str_replace"]},
                    "path": {"type": "string"}, "file_text": {"type": "string"},
                    "old_str": {"type": "string"}, "new_str": {"type": "string"}}}),
            ),
            _ => tool(
                name,
                "Run Python code in a sandboxed container; variables, imports and files \
                 persist between calls of the conversation, as in a notebook. Print what you \
                 need to see. Files the user uploaded are in the working directory; save \
                 files meant for the user in outputs/ and they are returned to them.",
                json!({"type": "object", "required": ["code"],
                       "properties": {"code": {"type": "string"}}}),
            ),
        })
        .collect();
    if !callable.is_empty() {
        tools.push(ptc::code_tool(callable));
    }
    tools
}

/// Prefix of the ids of server tool calls: the model's own `tool_use` id follows.
pub const SERVER_ID_PREFIX: &str = "srvtoolu_";

/// The id the client sees for the model's tool call `id`.
pub fn server_id(id: &str) -> String {
    format!("{SERVER_ID_PREFIX}{id}")
}

/// The model's own id of the server tool call `id`.
pub fn model_id(id: &str) -> String {
    id.strip_prefix(SERVER_ID_PREFIX).unwrap_or(id).to_owned()
}

/// Whether the model's call `name` is one the bridge runs (a server tool's) under
/// `version`, with `callable` tools for its code.
pub fn runs(version: Option<&Version>, callable: &[messages::CustomTool], name: &str) -> bool {
    version.is_some_and(|v| v.calls.contains(&name))
        || (!callable.is_empty() && name == "code_execution")
}

fn result(kind: &str) -> ServerToolResult {
    ServerToolResult { kind: kind.to_owned(), ..ServerToolResult::default() }
}

fn failure(error_kind: &str, code: &str, message: Option<String>) -> ServerToolResult {
    ServerToolResult {
        error_code: Some(code.to_owned()),
        error_message: message,
        ..result(error_kind)
    }
}

/// A command's or code's result. AgentCore delivers shell output as a terminal does
/// (`\r\n` line ends); the API's container writes plain `\n`.
fn executed(kind: &str, output: ExecutionResult) -> ServerToolResult {
    let plain = |text: String| text.replace("\r\n", "\n");
    ServerToolResult {
        stdout: Some(plain(output.stdout)),
        stderr: Some(plain(output.stderr)),
        return_code: Some(i64::from(output.exit_code.unwrap_or(i32::from(output.is_error)))),
        content: Some(json!([])),
        ..result(kind)
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

/// Runs the call `name(input)` in `container` and returns its result block
/// (answering `tool_use_id`). A failure of the call is the tool's error result, as
/// the API reports it; `Err` only when the container cannot be reached at all.
pub async fn run(
    sessions: &Sessions, container: &Container, tool_use_id: &str, name: &str, input: &Value,
) -> Result<ContentBlock, ApiError> {
    let tool_use_id = tool_use_id.to_owned();
    let cache_control = None;
    Ok(match name {
        "bash_code_execution" => {
            let content = match serde_json::from_value::<BashInput>(input.clone()) {
                Err(_) => failure(BASH_ERROR, "invalid_tool_input", None),
                Ok(input) => {
                    let arguments = ToolArguments::builder().command(input.command).build();
                    let output =
                        sessions.invoke(container, ToolName::ExecuteCommand, arguments).await?;
                    executed("bash_code_execution_result", output)
                }
            };
            ContentBlock::BashCodeExecutionToolResult { tool_use_id, content, cache_control }
        }
        "code_execution" => {
            let content = match serde_json::from_value::<CodeInput>(input.clone()) {
                Err(_) => failure(CODE_ERROR, "invalid_tool_input", None),
                Ok(input) => {
                    let arguments =
                        ToolArguments::builder().language("python".into()).code(input.code).build();
                    let output =
                        sessions.invoke(container, ToolName::ExecuteCode, arguments).await?;
                    executed("code_execution_result", output)
                }
            };
            ContentBlock::CodeExecutionToolResult { tool_use_id, content, cache_control }
        }
        _ => {
            let content = match serde_json::from_value::<EditorInput>(input.clone()) {
                Err(_) => failure(EDITOR_ERROR, "invalid_tool_input", None),
                Ok(input) => text_editor(sessions, container, input).await?,
            };
            ContentBlock::TextEditorCodeExecutionToolResult { tool_use_id, content, cache_control }
        }
    })
}

/// The result block of call `name` when the container could not run it (AgentCore
/// failed or the session ended): the tool's `unavailable` error, which the model
/// reads and works around, as with the API.
pub fn unavailable(name: &str, tool_use_id: &str) -> ContentBlock {
    let tool_use_id = tool_use_id.to_owned();
    let cache_control = None;
    match name {
        "bash_code_execution" => ContentBlock::BashCodeExecutionToolResult {
            tool_use_id,
            content: failure(BASH_ERROR, "unavailable", None),
            cache_control,
        },
        "text_editor_code_execution" => ContentBlock::TextEditorCodeExecutionToolResult {
            tool_use_id,
            content: failure(EDITOR_ERROR, "unavailable", None),
            cache_control,
        },
        _ => ContentBlock::CodeExecutionToolResult {
            tool_use_id,
            content: failure(CODE_ERROR, "unavailable", None),
            cache_control,
        },
    }
}

/// What the model on Bedrock reads of a server tool's result block: a `tool_result`
/// for its client-tool call `tool_use_id`.
pub fn for_model(tool_use_id: String, block: &ContentBlock) -> ContentBlock {
    let (text, is_error) = match block {
        ContentBlock::CodeExecutionToolResult { content, .. }
        | ContentBlock::BashCodeExecutionToolResult { content, .. }
        | ContentBlock::TextEditorCodeExecutionToolResult { content, .. } => content.model_text(),
        _ => (String::new(), false),
    };
    ContentBlock::tool_result(tool_use_id, text, is_error)
}

/// The result of a `code_execution` call whose input has no `code`.
pub fn invalid_code_input(tool_use_id: &str) -> ContentBlock {
    ContentBlock::CodeExecutionToolResult {
        tool_use_id: tool_use_id.to_owned(),
        content: failure(CODE_ERROR, "invalid_tool_input", Some("code: field required".into())),
        cache_control: None,
    }
}

/// Lists `file_ids` in a bash or Python result's `content`, as the API lists the
/// files the code wrote.
pub fn attach_outputs(block: &mut ContentBlock, file_ids: &[String]) {
    let (content, kind) = match block {
        ContentBlock::BashCodeExecutionToolResult { content, .. } => {
            (content, "bash_code_execution_output")
        }
        ContentBlock::CodeExecutionToolResult { content, .. } => (content, "code_execution_output"),
        _ => return,
    };
    if content.error_code.is_some() {
        return;
    }
    let listed = file_ids.iter().map(|id| json!({"type": kind, "file_id": id})).collect();
    content.content = Some(Value::Array(listed));
}

async fn read(
    sessions: &Sessions, container: &Container, path: &str,
) -> Result<Option<String>, ApiError> {
    let bytes = files::read(sessions, container, path).await?;
    Ok(bytes.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

async fn write(
    sessions: &Sessions, container: &Container, path: String, text: String,
) -> Result<bool, ApiError> {
    files::write(sessions, container, &path, text.into_bytes()).await
}

async fn text_editor(
    sessions: &Sessions, container: &Container, input: EditorInput,
) -> Result<ServerToolResult, ApiError> {
    let not_found =
        |path: &str| failure(EDITOR_ERROR, "file_not_found", Some(format!("{path}: no such file")));
    let unavailable = || failure(EDITOR_ERROR, "unavailable", None);
    Ok(match input.command.as_str() {
        "create" => {
            let existed = read(sessions, container, &input.path).await?.is_some();
            let text = input.file_text.unwrap_or_default();
            if !write(sessions, container, input.path, text).await? {
                return Ok(unavailable());
            }
            let mut extra = Map::new();
            extra.insert("is_file_update".into(), json!(existed));
            ServerToolResult { extra, ..result("text_editor_code_execution_create_result") }
        }
        "view" => match read(sessions, container, &input.path).await? {
            None => not_found(&input.path),
            Some(text) => {
                let total = text.lines().count();
                let mut extra = Map::new();
                extra.insert("file_type".into(), json!("text"));
                extra.insert("num_lines".into(), json!(total));
                extra.insert("start_line".into(), json!(1));
                extra.insert("total_lines".into(), json!(total));
                ServerToolResult {
                    content: Some(json!(text)),
                    extra,
                    ..result("text_editor_code_execution_view_result")
                }
            }
        },
        "str_replace" => {
            let (Some(old), Some(new)) = (input.old_str, input.new_str) else {
                let message = "str_replace needs old_str and new_str".to_owned();
                return Ok(failure(EDITOR_ERROR, "invalid_tool_input", Some(message)));
            };
            let Some(text) = read(sessions, container, &input.path).await? else {
                return Ok(not_found(&input.path));
            };
            let found = text.matches(old.as_str()).count();
            if found != 1 {
                let message = format!(
                    "old_str must occur exactly once in {}; it occurs {found} times",
                    input.path
                );
                return Ok(failure(EDITOR_ERROR, "invalid_tool_input", Some(message)));
            }
            let start = text[..text.find(old.as_str()).unwrap_or(0)].lines().count() + 1;
            if !write(sessions, container, input.path, text.replacen(old.as_str(), &new, 1)).await?
            {
                return Ok(unavailable());
            }
            let mut extra = Map::new();
            extra.insert("old_start".into(), json!(start));
            extra.insert("old_lines".into(), json!(old.lines().count()));
            extra.insert("new_start".into(), json!(start));
            extra.insert("new_lines".into(), json!(new.lines().count()));
            extra.insert("lines".into(), json!(new.lines().collect::<Vec<_>>()));
            ServerToolResult { extra, ..result("text_editor_code_execution_str_replace_result") }
        }
        other => {
            let message = format!("unknown command '{other}'; use view, create or str_replace");
            failure(EDITOR_ERROR, "invalid_tool_input", Some(message))
        }
    })
}
