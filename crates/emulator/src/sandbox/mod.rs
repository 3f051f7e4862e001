//! The local execution engine behind each code-interpreter session.
//!
//! A [`Sandbox`] owns a session directory, a persistent Python interpreter (state kept
//! between `executeCode` calls), one-shot processes for shell commands and
//! JavaScript/TypeScript, and background tasks. Every process runs in its own process
//! group with a scrubbed environment, memory limits and a parent-death signal, so
//! nothing outlives the session or the emulator. This is isolation against accidents,
//! not a security boundary against hostile code.

mod capture;
mod command;
mod error;
mod files;
mod isolation;
#[cfg(target_os = "linux")]
mod kernel;
mod limits;
mod pool;
mod provision;
mod python;
mod session;
mod tasks;
mod types;
mod watchdog;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_files;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

pub(crate) use capture::append_note;
pub use error::SandboxError;
pub use pool::release_root;
#[cfg(test)]
use provision::provisioned_dir;
pub use provision::{PackageSet, default_cache_dir, provision_python};
pub use session::Sandbox;

/// Whether sandbox processes run confined (bubblewrap or Landlock) here (probed once).
pub fn isolated() -> bool {
    isolation::detect().is_some_and(isolation::Isolation::confines)
}
pub use isolation::{IsolationMode, choose as choose_isolation, describe as describe_isolation};
pub use types::{ExecOutput, FileData, FileEntry, Language, SandboxConfig, TaskInfo, TaskStatus};

/// This process's directory of sandbox state: the session directories of each
/// emulator (`sessions-*`) and the private directories beside them (`private/`:
/// capture pipes, scripts, each session's `/tmp`). It lives in the user's cache
/// directory, not in `/tmp`, because a session's `/tmp` is a directory of its own
/// mounted over `/tmp`: the session's paths must stay reachable beside it.
/// The first call also removes the directories of emulator processes that are gone.
pub(crate) fn process_root() -> PathBuf {
    static ROOT: LazyLock<PathBuf> = LazyLock::new(|| {
        let parent = default_cache_dir().join("run");
        remove_stale_roots(&parent);
        parent.join(std::process::id().to_string())
    });
    ROOT.clone()
}

/// Where sessions' private directories go (under [`process_root`]).
fn process_private_root() -> PathBuf {
    process_root().join("private")
}

/// A directory for one emulator's sessions, removed when the value is dropped.
pub fn sessions_dir() -> std::io::Result<tempfile::TempDir> {
    let root = process_root();
    std::fs::create_dir_all(&root)?;
    tempfile::Builder::new().prefix("sessions-").tempdir_in(root)
}

fn remove_stale_roots(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the process exists.
        let gone = pid > 0
            && unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The real interpreter behind `python` (pyenv and similar shims need the host
/// environment, which the sandbox does not pass on). Cached per path.
async fn resolve_python(python: &Path) -> Result<PathBuf, SandboxError> {
    static CACHE: LazyLock<Mutex<HashMap<PathBuf, PathBuf>>> = LazyLock::new(Default::default);
    let lock = || crate::sync::lock(&CACHE);
    if let Some(found) = lock().get(python) {
        return Ok(found.clone());
    }
    let program = python.to_path_buf();
    let output = blocking(move || {
        Command::new(&program)
            .args(["-c", "import sys; print(sys.executable)"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|source| SandboxError::Spawn {
                program: program.display().to_string(),
                source,
            })
    })
    .await?;
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || printed.is_empty() {
        return Err(SandboxError::Unsupported {
            what: format!(
                "{} is not a working Python interpreter (install python3 or provision one)",
                python.display()
            ),
        });
    }
    let resolved = PathBuf::from(printed);
    lock().insert(python.to_path_buf(), resolved.clone());
    Ok(resolved)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, SandboxError> {
    tokio::task::spawn_blocking(f).await.map_err(|join| SandboxError::Protocol {
        message: "a blocking sandbox task failed".into(),
        source: Some(Box::new(join)),
    })?
}

/// 16 random hex characters.
pub(crate) fn random_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// `60s`, `0.5s`.
pub(crate) fn format_secs(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

/// The last `n` lines of `text` (without a trailing newline).
pub(crate) fn tail_lines(text: &str, n: usize) -> &str {
    let text = text.trim_end();
    let mut start = text.len();
    for _ in 0..n {
        match text[..start].rfind('\n') {
            Some(index) => start = index,
            None => return text,
        }
    }
    &text[start + 1..]
}
