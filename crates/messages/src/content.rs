//! Messages and their content blocks.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// `{"type":"ephemeral","ttl"?: "5m"|"1h"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheControl {
    /// `ephemeral`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `5m` (the default) or `1h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

impl CacheControl {
    /// `{"type":"ephemeral"}` (five-minute cache).
    pub fn ephemeral() -> Self {
        Self { kind: "ephemeral".to_owned(), ttl: None }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The caller (prompts and tool results).
    User,
    /// The model.
    Assistant,
}

/// One message of the conversation. `content` given as a plain string is read as
/// one text block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its blocks.
    #[serde(deserialize_with = "string_or_blocks")]
    pub content: Vec<ContentBlock>,
}

impl Message {
    /// A user message with one text block.
    pub fn user_text(text: impl Into<String>) -> Self {
        Self { role: Role::User, content: vec![ContentBlock::text(text)] }
    }

    /// The text blocks joined with newlines.
    pub fn text(&self) -> String {
        text_of(&self.content)
    }
}

/// The text blocks of some content, joined with newlines.
pub fn text_of(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn string_or_blocks<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<ContentBlock>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Content {
        Text(String),
        Blocks(Vec<ContentBlock>),
    }
    Ok(match Content::deserialize(de)? {
        Content::Text(text) => vec![ContentBlock::text(text)],
        Content::Blocks(blocks) => blocks,
    })
}

/// Who called a tool: `{"type": "direct"}`, or code of the code execution tool,
/// `{"type": "code_execution_20250825", "tool_id": "srvtoolu_..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// `direct` or the code execution tool's version.
    #[serde(rename = "type")]
    pub kind: String,
    /// The `server_tool_use` whose code made the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_id: Option<String>,
}

/// A content block. Block types this crate does not know are kept as raw JSON
/// in [`ContentBlock::Other`], so they survive a round trip (`pause_turn`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
        /// Where the text comes from (documents with `citations` enabled), as sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        citations: Option<Value>,
    },
    /// The model's extended thinking.
    Thinking {
        /// The thinking text.
        thinking: String,
        /// Proof that the service wrote it.
        #[serde(default)]
        signature: String,
    },
    /// Thinking the service keeps encrypted.
    RedactedThinking {
        /// The encrypted thinking.
        data: String,
    },
    /// A client tool call.
    ToolUse {
        /// The id its result must name.
        id: String,
        /// The tool.
        name: String,
        /// The input the model wrote.
        input: Value,
        /// Who called it: the model (`direct`, or absent) or code running in the code
        /// execution tool (programmatic tool calling).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caller: Option<Caller>,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// The client's answer to a `tool_use`.
    ToolResult {
        /// The `tool_use` it answers.
        tool_use_id: String,
        /// A string or blocks; read as blocks.
        #[serde(default, deserialize_with = "string_or_blocks")]
        content: Vec<ContentBlock>,
        /// Sent (as `true`) when the tool failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_error: Option<bool>,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// A server tool call (`code_execution`, `bash_code_execution`, ...).
    ServerToolUse {
        /// The id its result names.
        id: String,
        /// The server tool.
        name: String,
        /// The input the model wrote.
        input: Value,
        /// Who called it (`direct`: the model), when the API says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caller: Option<Caller>,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// Result of the 2025-05-22 code execution tool (Python).
    CodeExecutionToolResult {
        /// The `server_tool_use` it answers.
        tool_use_id: String,
        /// What the code did.
        content: ServerToolResult,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// Result of a bash command of the 2025-08-25 tool.
    BashCodeExecutionToolResult {
        /// The `server_tool_use` it answers.
        tool_use_id: String,
        /// What the command did.
        content: ServerToolResult,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// Result of a file operation of the 2025-08-25 tool.
    TextEditorCodeExecutionToolResult {
        /// The `server_tool_use` it answers.
        tool_use_id: String,
        /// What the operation did.
        content: ServerToolResult,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// A file of the Files API put into the code execution container.
    ContainerUpload {
        /// The file (`file_...`).
        file_id: String,
        /// Marks the end of a cached prefix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// Any other block, kept as it came.
    #[serde(untagged)]
    Other(Value),
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into(), cache_control: None, citations: None }
    }

    /// A text block that ends a cached prefix (five-minute cache).
    pub fn cached_text(text: impl Into<String>) -> Self {
        Self::Text {
            text: text.into(),
            cache_control: Some(CacheControl::ephemeral()),
            citations: None,
        }
    }

    /// A `tool_result` with one text block; `is_error` is sent only when true.
    pub fn tool_result(
        tool_use_id: impl Into<String>, text: impl Into<String>, is_error: bool,
    ) -> Self {
        Self::ToolResult {
            tool_use_id: tool_use_id.into(),
            content: vec![Self::text(text)],
            is_error: is_error.then_some(true),
            cache_control: None,
        }
    }

    /// The block's `cache_control`, if it has one.
    pub fn cache_control(&self) -> Option<&CacheControl> {
        match self {
            Self::Text { cache_control, .. }
            | Self::ToolUse { cache_control, .. }
            | Self::ToolResult { cache_control, .. }
            | Self::ServerToolUse { cache_control, .. }
            | Self::CodeExecutionToolResult { cache_control, .. }
            | Self::BashCodeExecutionToolResult { cache_control, .. }
            | Self::TextEditorCodeExecutionToolResult { cache_control, .. }
            | Self::ContainerUpload { cache_control, .. } => cache_control.as_ref(),
            Self::Thinking { .. } | Self::RedactedThinking { .. } | Self::Other(_) => None,
        }
    }

    /// The output of a code execution result block of either tool version, in a
    /// printable form; `None` for any other block.
    pub fn code_output(&self) -> Option<CodeOutput> {
        let (tool, content) = match self {
            Self::CodeExecutionToolResult { content, .. } => ("code_execution", content),
            Self::BashCodeExecutionToolResult { content, .. } => ("bash", content),
            Self::TextEditorCodeExecutionToolResult { content, .. } => ("text_editor", content),
            _ => return None,
        };
        Some(content.output(tool))
    }
}

/// The `content` of a server tool result block: its `type` (`code_execution_result`,
/// `bash_code_execution_result`, `text_editor_code_execution_view_result`, an
/// `*_tool_result_error`, ...), the members every kind shares, and the rest in
/// `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServerToolResult {
    /// The result's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Standard output of code or a command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    /// Standard error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// Exit status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_code: Option<i64>,
    /// The tool's error code, when the call itself failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// A detail of the error (text editor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Output files (execution results) or the file's text (`view` results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    /// Members of one kind only (`is_file_update`, `new_lines`, ...).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl ServerToolResult {
    /// What the model reads of this result when a server tool is emulated with a
    /// client tool (Bedrock): stdout, `stderr: ...`, the error code and message, a
    /// viewed file's text; and whether it counts as an error.
    pub fn model_text(&self) -> (String, bool) {
        let mut parts = Vec::new();
        if let Some(out) = self.stdout.as_deref().filter(|s| !s.is_empty()) {
            parts.push(out.to_owned());
        }
        if let Some(err) = self.stderr.as_deref().filter(|s| !s.is_empty()) {
            parts.push(format!("stderr: {err}"));
        }
        if let Some(code) = &self.error_code {
            parts.push(format!("error: {code}"));
        }
        if let Some(message) = &self.error_message {
            parts.push(message.clone());
        }
        if let Some(text) = self.content.as_ref().and_then(Value::as_str) {
            parts.push(text.to_owned());
        }
        if parts.is_empty() {
            parts.push(self.kind.clone());
        }
        let is_error = self.error_code.is_some() || self.return_code.is_some_and(|rc| rc != 0);
        (parts.join("\n"), is_error)
    }

    /// What `tool` reported, in a printable form.
    fn output(&self, tool: &'static str) -> CodeOutput {
        let mut output = CodeOutput {
            tool,
            stdout: self.stdout.clone().unwrap_or_default(),
            stderr: self.stderr.clone().unwrap_or_default(),
            return_code: self.return_code.unwrap_or(0),
            error: None,
        };
        if let Some(code) = &self.error_code {
            let detail = self.error_message.as_deref().unwrap_or_default();
            output.error = Some(format!("{code} {detail}").trim().to_owned());
            return output;
        }
        let flag = |name: &str| self.extra.get(name).and_then(Value::as_bool);
        match self.kind.as_str() {
            "text_editor_code_execution_view_result" => {
                output.stdout =
                    self.content.as_ref().and_then(Value::as_str).unwrap_or_default().into();
            }
            "text_editor_code_execution_create_result" => {
                let updated = flag("is_file_update").unwrap_or(false);
                output.stdout = if updated { "file updated" } else { "file created" }.into();
            }
            "text_editor_code_execution_str_replace_result" => {
                let lines = self.extra.get("new_lines").and_then(Value::as_i64).unwrap_or(0);
                output.stdout = format!("file edited ({lines} new line(s))");
            }
            "encrypted_code_execution_result" => output.stdout = "(encrypted output)".into(),
            _ => {}
        }
        output
    }
}

/// What one code execution result block reports, in a printable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeOutput {
    /// Which tool produced it: `bash`, `text_editor` or `code_execution`.
    pub tool: &'static str,
    /// Standard output, or a summary of a file operation.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit status of the command (0 for file operations).
    pub return_code: i64,
    /// The tool's error code (and message), when the call itself failed.
    pub error: Option<String>,
}

impl std::fmt::Display for CodeOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(error) = &self.error {
            return write!(f, "[{}] error: {error}", self.tool);
        }
        write!(f, "{}", self.stdout.trim_end())?;
        if !self.stderr.trim().is_empty() {
            write!(f, "\n[stderr] {}", self.stderr.trim_end())?;
        }
        if self.return_code != 0 {
            write!(f, "\n[return code] {}", self.return_code)?;
        }
        Ok(())
    }
}
