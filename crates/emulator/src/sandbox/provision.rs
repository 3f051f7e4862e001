//! Provisioning the sandbox Python: a venv with numpy, pandas and matplotlib in the
//! user's cache directory, built once and reused.

use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::SandboxError;

/// Bump when the package set changes so old environments are not reused.
const PROVISION_TAG: &str = "r1";
const PACKAGES: [&str; 3] = ["numpy", "pandas", "matplotlib"];
const MARKER: &str = ".complete";

/// `$AGENTCORE_EMULATOR_CACHE`, else `$XDG_CACHE_HOME/agentcore-emulator`, else
/// `~/.cache/agentcore-emulator` (the system temp dir if there is no home either).
pub fn default_cache_dir() -> PathBuf {
    let non_empty =
        |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = non_empty("AGENTCORE_EMULATOR_CACHE") {
        return dir;
    }
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return dir.join("agentcore-emulator");
    }
    match non_empty("HOME") {
        Some(home) => home.join(".cache").join("agentcore-emulator"),
        None => std::env::temp_dir().join("agentcore-emulator"),
    }
}

/// The venv directory `provision_python` uses under `cache_dir`.
pub fn provisioned_dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join(format!("python-{PROVISION_TAG}"))
}

/// Returns the interpreter of a venv with numpy, pandas and matplotlib, creating it
/// on first use. Blocking; several processes may call it at once (a file lock makes
/// one of them build while the others wait and then reuse the result).
pub fn provision_python(cache_dir: &Path, progress: bool) -> Result<PathBuf, SandboxError> {
    let venv = provisioned_dir(cache_dir);
    let python = venv.join("bin").join("python");
    if is_complete(&venv, &python) {
        return Ok(python);
    }
    fs::create_dir_all(cache_dir)
        .map_err(|source| provision_io("creating the cache directory", source))?;
    let _lock = FileLock::acquire(&cache_dir.join("provision.lock"))?;
    // Someone else may have finished while we waited for the lock.
    if is_complete(&venv, &python) {
        return Ok(python);
    }
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .map_err(|source| provision_io("removing a partial environment", source))?;
    }
    if progress {
        eprintln!(
            "emulator: provisioning sandbox Python ({}) in {}; first run only, about a minute...",
            PACKAGES.join(", "),
            venv.display()
        );
    }
    tracing::info!(dir = %venv.display(), "provisioning the sandbox Python");
    let mut create = Command::new("python3");
    create.arg("-m").arg("venv").arg(&venv);
    run_step(create, "python3 -m venv")?;
    let mut install = Command::new(&python);
    install.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(PACKAGES);
    run_step(install, "pip install")?;
    fs::write(venv.join(MARKER), PACKAGES.join("\n"))
        .map_err(|source| provision_io("writing the completion marker", source))?;
    if progress {
        eprintln!("emulator: sandbox Python ready at {}", python.display());
    }
    Ok(python)
}

/// The fast path: a stat of the marker and of the interpreter (which also catches a
/// venv whose base Python was removed, as its symlink then dangles).
fn is_complete(venv: &Path, python: &Path) -> bool {
    venv.join(MARKER).is_file() && python.is_file()
}

fn run_step(mut command: Command, what: &str) -> Result<(), SandboxError> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| SandboxError::Provision {
            message: format!("could not run {what}"),
            source: Some(source),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(SandboxError::Provision {
        message: format!("{what} failed ({}): {}", output.status, super::tail_lines(&stderr, 15)),
        source: None,
    })
}

fn provision_io(what: &str, source: io::Error) -> SandboxError {
    SandboxError::Provision { message: what.to_owned(), source: Some(source) }
}

/// An exclusive `flock` held until dropped (the kernel also drops it if we die).
struct FileLock {
    file: File,
}

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock, SandboxError> {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|source| provision_io("opening the provisioning lock", source))?;
        loop {
            // SAFETY: flock on a descriptor we own for the duration of the call.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(FileLock { file });
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(provision_io("locking the provisioning lock", err));
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // SAFETY: unlocking a descriptor we own; closing it would release the lock anyway.
        unsafe {
            libc::flock(self.file.as_raw_fd(), libc::LOCK_UN);
        }
    }
}
