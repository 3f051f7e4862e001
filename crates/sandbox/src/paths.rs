//! Where this process keeps sandbox state: its own directory under the cache
//! directory, the session directories in it, and the clean-up of directories of
//! processes that are gone.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::provision::default_cache_dir;

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
pub(crate) fn process_private_root() -> PathBuf {
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
