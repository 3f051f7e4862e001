//! Provisioning the sandbox Python: a venv with the packages AgentCore's system
//! code interpreter has pre-installed (the part code imports most, or all of them),
//! in the user's cache directory, built once and reused.

use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::Digest;

use crate::error::SandboxError;

/// The package list, in sections (see its header).
const PACKAGE_LIST: &str = include_str!("packages.txt");
const MARKER: &str = ".complete";

/// Which of AgentCore's pre-installed packages the sandbox Python gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PackageSet {
    /// The part of the documented list that code imports most (numpy, pandas,
    /// matplotlib, scipy, scikit-learn, requests, beautifulsoup4, lxml, openpyxl,
    /// pillow, ...): about a minute or two to install on first use.
    #[default]
    Common,
    /// Every package of the documented list that installs from PyPI (torch, spacy,
    /// opencv, Django, ...): several GB and many minutes on first use.
    Full,
}

impl PackageSet {
    /// `common` or `full`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "common" | "" => Ok(Self::Common),
            "full" | "all" => Ok(Self::Full),
            other => Err(format!("packages '{other}' must be common or full")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Common => "common",
            Self::Full => "full",
        }
    }

    /// `(pip name, import name)` of every package in the set.
    pub fn packages(self) -> Vec<(&'static str, &'static str)> {
        let mut section = "";
        let mut out = Vec::new();
        for line in PACKAGE_LIST.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name;
                continue;
            }
            if section == "common" || (section == "full" && self == Self::Full) {
                let mut words = line.split_whitespace();
                let pip = words.next().unwrap_or(line);
                out.push((pip, words.next().unwrap_or(pip)));
            }
        }
        out
    }

    /// A short digest of the set's list, so a changed list gets a new environment.
    fn tag(self) -> String {
        let mut hasher = sha2::Sha256::new();
        for (pip, _) in self.packages() {
            hasher.update(pip.as_bytes());
            hasher.update(b"\n");
        }
        hex::encode(&hasher.finalize()[..4])
    }
}

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

/// The venv directory `provision_python` uses under `cache_dir` for `set`.
pub fn provisioned_dir(cache_dir: &Path, set: PackageSet) -> PathBuf {
    cache_dir.join(format!("python-{}-{}", set.name(), set.tag()))
}

/// Returns the interpreter of a venv with the packages of `set`, creating it on
/// first use. Blocking; several processes may call it at once (a file lock makes
/// one of them build while the others wait and then reuse the result).
pub fn provision_python(
    cache_dir: &Path, set: PackageSet, progress: bool,
) -> Result<PathBuf, SandboxError> {
    let venv = provisioned_dir(cache_dir, set);
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
    let packages = set.packages();
    let common = PackageSet::Common.packages();
    if progress {
        let time = match set {
            PackageSet::Common => "about a minute",
            PackageSet::Full => "many minutes and several GB",
        };
        eprintln!(
            "emulator: provisioning the sandbox Python with {} of AgentCore's pre-installed \
             packages (numpy, pandas, matplotlib, scipy, scikit-learn, requests, ...) in {}; \
             first run only, {time}...",
            packages.len(),
            venv.display()
        );
    }
    tracing::info!(dir = %venv.display(), packages = packages.len(), "provisioning the sandbox Python");
    let mut create = Command::new("python3");
    create.arg("-m").arg("venv").arg(&venv);
    run_step(create, "python3 -m venv")?;
    pip_install(&python, common.iter().map(|(pip, _)| *pip))?;
    let mut skipped = Vec::new();
    if set == PackageSet::Full {
        let rest: Vec<&str> = packages
            .iter()
            .map(|(pip, _)| *pip)
            .filter(|pip| !common.iter().any(|c| c.0 == *pip))
            .collect();
        // All at once first; where that fails (a package without a wheel for this
        // Python, say), one by one, keeping what installs.
        if pip_install(&python, rest.iter().copied()).is_err() {
            for pip in rest {
                if let Err(err) = pip_install(&python, [pip]) {
                    tracing::warn!(package = pip, %err, "a package of the full set did not install");
                    skipped.push(pip);
                }
            }
        }
    }
    compile_bytecode(&python, &venv);
    let marker = if skipped.is_empty() {
        String::new()
    } else {
        format!("not installed: {}\n", skipped.join(" "))
    };
    fs::write(venv.join(MARKER), marker)
        .map_err(|source| provision_io("writing the completion marker", source))?;
    if progress {
        eprintln!("emulator: sandbox Python ready at {}", python.display());
        if !skipped.is_empty() {
            eprintln!("emulator: not installable here: {}", skipped.join(", "));
        }
    }
    Ok(python)
}

/// Installs without byte-compiling: pip compiles every module on one core, which was
/// most of the first run's CPU (48 s in all; 38 s with `compile_bytecode` after it).
fn pip_install<'a>(
    python: &Path, packages: impl IntoIterator<Item = &'a str>,
) -> Result<(), SandboxError> {
    let mut install = Command::new(python);
    install
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"])
        .args(packages);
    run_step(install, "pip install")
}

/// Writes the `.pyc` files pip left out, on every core. Sessions cannot write into the
/// environment when isolated, so without them each import would compile again in every
/// session. A module that does not compile (test data shipped in some packages) is
/// left as pip would leave it; that is not a failure.
fn compile_bytecode(python: &Path, venv: &Path) {
    let mut compile = Command::new(python);
    compile.args(["-m", "compileall", "-q", "-j", "0"]).arg(venv.join("lib"));
    if let Err(err) = run_step(compile, "python -m compileall") {
        tracing::warn!(%err, "some modules of the sandbox Python were not byte-compiled");
    }
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
        message: format!(
            "{what} failed ({}): {}",
            output.status,
            crate::util::tail_lines(&stderr, 15)
        ),
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
