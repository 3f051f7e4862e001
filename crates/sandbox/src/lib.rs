//! The local execution engine behind each of the emulator's code-interpreter
//! sessions. It knows nothing of AWS: the emulator's AgentCore handlers turn its
//! results into the service's shapes.
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
mod mounts;
mod paths;
mod pool;
mod provision;
mod python;
mod session;
pub mod sync;
mod tasks;
mod types;
mod util;
mod watchdog;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_files;
#[cfg(test)]
mod tests_lifecycle;

pub use capture::append_note;
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

pub use paths::sessions_dir;
