//! What a confined process may see and write, as the isolation modes (bubblewrap's
//! arguments, Landlock's rules and a mount namespace's `/tmp`) all read it.

use std::path::PathBuf;

/// What one wrapped process may see and write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Mounts {
    /// Directories shown read-only again after the host home is hidden (the
    /// interpreter's prefix, node's, the provisioned environment).
    pub read_only: Vec<PathBuf>,
    /// Writable directories (session directory, private capture directory, the
    /// shared matplotlib cache).
    pub writable: Vec<PathBuf>,
    /// Network access (PUBLIC network mode).
    pub network: bool,
    /// The session's `tmp` directory, mounted over `/tmp` (and writable).
    pub tmp: Option<PathBuf>,
}

impl Mounts {
    /// These mounts for a process of the session whose directories are `dirs`
    /// (session directory, private directory): both writable, and the private
    /// directory's `tmp` as `/tmp`.
    pub(crate) fn for_session(&self, dirs: &[PathBuf]) -> Mounts {
        let mut mounts = self.clone();
        mounts.writable.extend(dirs.iter().cloned());
        mounts.tmp = dirs.get(1).map(|private| private.join("tmp"));
        mounts
    }
}
