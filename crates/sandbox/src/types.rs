//! Plain data types of the sandbox API.

use std::path::PathBuf;
use std::time::Duration;

/// Settings shared by all sessions of an emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Interpreter to run (already provisioned, see [`super::provision_python`]).
    pub python: PathBuf,
    /// Parent directory; each session gets a fresh subdirectory in it.
    pub root_dir: PathBuf,
    /// Limit for each `executeCode` / `executeCommand` call.
    pub call_timeout: Duration,
    /// `RLIMIT_AS` for every process of a session.
    pub memory_limit_bytes: Option<u64>,
    /// `RLIMIT_NPROC`, best effort: it counts all processes of the user, and root ignores it.
    pub max_processes: Option<u64>,
    /// Cap for captured stdout and for stderr, each.
    pub output_limit_bytes: usize,
    /// Modules the pool's idle interpreters import ahead of use (best effort), so the
    /// first `import numpy` of a session costs nothing. Interpreters started on
    /// demand skip it. Empty by default.
    pub preload_modules: Vec<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            python: PathBuf::from("python3"),
            root_dir: std::env::temp_dir(),
            call_timeout: Duration::from_secs(60),
            memory_limit_bytes: Some(2 << 30),
            max_processes: None,
            output_limit_bytes: 1 << 20,
            preload_modules: Vec::new(),
        }
    }
}

/// Language of an `executeCode` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Python,
    Javascript,
    Typescript,
}

impl Language {}

/// Result of `executeCode` / `executeCommand`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    pub execution_time: Duration,
    pub timed_out: bool,
    /// Whether stdout or stderr was cut at the output limit.
    pub truncated: bool,
}

impl ExecOutput {
    /// A failed or timed-out call (the wire's `isError`).
    pub fn is_error(&self) -> bool {
        self.exit_code != 0 || self.timed_out
    }
}

/// One file returned by `readFiles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileData {
    /// As given by the caller, relative to the session directory.
    pub path: String,
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// Valid UTF-8 without NUL bytes.
    pub is_text: bool,
}

/// One entry of `listFiles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    /// Relative to the session directory.
    pub path: String,
    pub is_dir: bool,
    pub size: u64,
    /// By extension; `None` for directories.
    pub mime_type: Option<String>,
}

/// State of a background task (the wire's `taskStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    Working,
    Completed,
    Canceled,
    Failed,
}

impl TaskStatus {
    /// The wire's lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Working => "working",
            TaskStatus::Completed => "completed",
            TaskStatus::Canceled => "canceled",
            TaskStatus::Failed => "failed",
        }
    }
}

/// A background task's status and output so far (capped like `executeCommand`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    /// A UUID, as AgentCore's task ids are.
    pub task_id: String,
    pub status: TaskStatus,
    /// What it wrote to stdout and stderr, in order (one terminal-style stream).
    pub output: String,
    pub exit_code: Option<i32>,
    /// From start to exit, once it ended.
    pub execution_time: Option<Duration>,
}
