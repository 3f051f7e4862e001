//! The `content` of the server-side code execution result blocks, for both tool
//! versions (2025-05-22: `code_execution_tool_result`; 2025-08-25:
//! `bash_code_execution_tool_result` and `text_editor_code_execution_tool_result`).
//! Each enum keeps unknown variants as raw JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A file the code wrote, stored with the Files API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// `code_execution_output` or `bash_code_execution_output`.
    #[serde(rename = "type")]
    pub kind: String,
    pub file_id: String,
}

/// `content` of `code_execution_tool_result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CodeExecutionContent {
    CodeExecutionResult {
        #[serde(default)]
        stdout: String,
        #[serde(default)]
        stderr: String,
        #[serde(default)]
        return_code: i64,
        #[serde(default)]
        content: Vec<OutputFile>,
    },
    EncryptedCodeExecutionResult {
        #[serde(default)]
        encrypted_stdout: String,
        #[serde(default)]
        stderr: String,
        #[serde(default)]
        return_code: i64,
        #[serde(default)]
        content: Vec<OutputFile>,
    },
    CodeExecutionToolResultError {
        error_code: String,
    },
    #[serde(untagged)]
    Other(Value),
}

/// `content` of `bash_code_execution_tool_result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BashCodeExecutionContent {
    BashCodeExecutionResult {
        #[serde(default)]
        stdout: String,
        #[serde(default)]
        stderr: String,
        #[serde(default)]
        return_code: i64,
        #[serde(default)]
        content: Vec<OutputFile>,
    },
    BashCodeExecutionToolResultError {
        error_code: String,
    },
    #[serde(untagged)]
    Other(Value),
}

/// `content` of `text_editor_code_execution_tool_result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TextEditorCodeExecutionContent {
    TextEditorCodeExecutionViewResult {
        file_type: String,
        #[serde(default)]
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        num_lines: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_line: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total_lines: Option<u64>,
    },
    TextEditorCodeExecutionCreateResult {
        #[serde(default)]
        is_file_update: bool,
    },
    TextEditorCodeExecutionStrReplaceResult {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_start: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_lines: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_start: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_lines: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lines: Option<Vec<String>>,
    },
    TextEditorCodeExecutionToolResultError {
        error_code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_message: Option<String>,
    },
    #[serde(untagged)]
    Other(Value),
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
    /// The tool's error code, when the call itself failed.
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

fn exec_output(tool: &'static str, stdout: &str, stderr: &str, return_code: i64) -> CodeOutput {
    CodeOutput {
        tool,
        stdout: stdout.to_owned(),
        stderr: stderr.to_owned(),
        return_code,
        error: None,
    }
}

fn failed(tool: &'static str, error: String) -> CodeOutput {
    CodeOutput {
        tool,
        stdout: String::new(),
        stderr: String::new(),
        return_code: 0,
        error: Some(error),
    }
}

impl CodeExecutionContent {
    /// The printable output of a `code_execution_tool_result`.
    pub fn output(&self) -> CodeOutput {
        match self {
            Self::CodeExecutionResult { stdout, stderr, return_code, .. } => {
                exec_output("code_execution", stdout, stderr, *return_code)
            }
            Self::EncryptedCodeExecutionResult { stderr, return_code, .. } => {
                exec_output("code_execution", "(encrypted output)", stderr, *return_code)
            }
            Self::CodeExecutionToolResultError { error_code } => {
                failed("code_execution", error_code.clone())
            }
            Self::Other(value) => failed("code_execution", format!("unknown result {value}")),
        }
    }
}

impl BashCodeExecutionContent {
    /// The printable output of a `bash_code_execution_tool_result`.
    pub fn output(&self) -> CodeOutput {
        match self {
            Self::BashCodeExecutionResult { stdout, stderr, return_code, .. } => {
                exec_output("bash", stdout, stderr, *return_code)
            }
            Self::BashCodeExecutionToolResultError { error_code } => {
                failed("bash", error_code.clone())
            }
            Self::Other(value) => failed("bash", format!("unknown result {value}")),
        }
    }
}

impl TextEditorCodeExecutionContent {
    /// The printable output of a `text_editor_code_execution_tool_result`.
    pub fn output(&self) -> CodeOutput {
        let summary = match self {
            Self::TextEditorCodeExecutionViewResult { content, .. } => content.clone(),
            Self::TextEditorCodeExecutionCreateResult { is_file_update } => {
                if *is_file_update { "file updated" } else { "file created" }.to_owned()
            }
            Self::TextEditorCodeExecutionStrReplaceResult { new_lines, .. } => {
                format!("file edited ({} new line(s))", new_lines.unwrap_or(0))
            }
            Self::TextEditorCodeExecutionToolResultError { error_code, error_message } => {
                let detail = error_message.as_deref().unwrap_or_default();
                return failed("text_editor", format!("{error_code} {detail}").trim().to_owned());
            }
            Self::Other(value) => return failed("text_editor", format!("unknown result {value}")),
        };
        exec_output("text_editor", &summary, "", 0)
    }
}
