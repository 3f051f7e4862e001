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
