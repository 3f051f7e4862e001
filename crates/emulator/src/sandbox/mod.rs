//! Temporary stand-in for the sandbox (replaced by the real module).
#![allow(missing_docs, clippy::unused_async)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    #[error("path '{path}' is outside the session directory")]
    PathOutsideSession { path: String },
    #[error("'{path}' not found")]
    NotFound { path: String },
    #[error("task '{id}' not found")]
    TaskNotFound { id: String },
    #[error("{what}")]
    Unsupported { what: String },
    #[error("i/o error")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub python: PathBuf,
    pub root_dir: PathBuf,
    pub call_timeout: Duration,
    pub memory_limit_bytes: Option<u64>,
    pub max_processes: Option<u64>,
    pub output_limit_bytes: usize,
}

pub enum Language {
    Python,
    Javascript,
    Typescript,
}

pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    pub execution_time: Duration,
    pub timed_out: bool,
    pub truncated: bool,
}
impl ExecOutput {
    pub fn is_error(&self) -> bool {
        self.exit_code != 0 || self.timed_out
    }
}
pub struct FileData {
    pub path: String,
    pub bytes: Vec<u8>,
    pub mime_type: String,
    pub is_text: bool,
}
pub struct FileEntry {
    pub name: String,
    pub path: String,
    pub is_dir: bool,
    pub size: u64,
    pub mime_type: Option<String>,
}
pub enum TaskStatus {
    Working,
}
impl TaskStatus {
    pub fn as_str(&self) -> &'static str {
        "working"
    }
}
pub struct TaskInfo {
    pub task_id: String,
    pub status: TaskStatus,
    pub stdout: String,
    pub stderr: String,
    pub exit_code: Option<i32>,
}

pub struct Sandbox {
    python: PathBuf,
}

fn unsupported<T>() -> Result<T, SandboxError> {
    Err(SandboxError::Unsupported {
        what: "not yet".into(),
    })
}

impl Sandbox {
    pub async fn start(config: &SandboxConfig) -> Result<Sandbox, SandboxError> {
        Ok(Self {
            python: config.python.clone(),
        })
    }
    pub async fn execute_code(
        &self,
        _l: Language,
        code: &str,
        _c: bool,
    ) -> Result<ExecOutput, SandboxError> {
        let start = Instant::now();
        let out = tokio::process::Command::new(&self.python)
            .arg("-c")
            .arg(code)
            .output()
            .await?;
        Ok(ExecOutput {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            exit_code: out.status.code().unwrap_or(-1),
            execution_time: start.elapsed(),
            timed_out: false,
            truncated: false,
        })
    }
    pub async fn execute_command(&self, _c: &str) -> Result<ExecOutput, SandboxError> {
        unsupported()
    }
    pub async fn write_files(
        &self,
        _f: Vec<(String, Vec<u8>)>,
    ) -> Result<Vec<String>, SandboxError> {
        unsupported()
    }
    pub async fn read_files(&self, _p: &[String]) -> Result<Vec<FileData>, SandboxError> {
        unsupported()
    }
    pub async fn list_files(&self, _d: &str) -> Result<Vec<FileEntry>, SandboxError> {
        unsupported()
    }
    pub async fn remove_files(&self, _p: &[String]) -> Result<Vec<String>, SandboxError> {
        unsupported()
    }
    pub async fn start_task(&self, _c: &str) -> Result<TaskInfo, SandboxError> {
        unsupported()
    }
    pub async fn get_task(&self, _t: &str) -> Result<TaskInfo, SandboxError> {
        unsupported()
    }
    pub async fn stop_task(&self, _t: &str) -> Result<TaskInfo, SandboxError> {
        unsupported()
    }
    pub async fn shutdown(&self) {}
}

pub fn provision_python(_cache_dir: &Path, _progress: bool) -> Result<PathBuf, SandboxError> {
    Ok(PathBuf::from("python3"))
}
pub fn default_cache_dir() -> PathBuf {
    std::env::temp_dir()
}
