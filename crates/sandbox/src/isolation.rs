//! How sandbox processes are confined, best first:
//!
//! - **bubblewrap** (`bwrap`) when it is installed and works here: the whole system
//!   read-only, private `/tmp`, the host's home directories hidden (so `~/.aws` is
//!   out of reach), the session's own directories writable, a private PID
//!   namespace, no network unless the code interpreter's network mode is `PUBLIC`,
//!   and death with the emulator;
//! - **landlock** (Linux without bubblewrap, see [`super::kernel`]): the same file
//!   rules from the kernel's Landlock LSM, TCP denied and a network namespace of
//!   its own unless `PUBLIC`, no signals or `/proc` access to processes outside;
//! - **none**: plain processes with rlimits (network on, host files readable),
//!   with a warning; on Linux still in a mount namespace of their own where the
//!   kernel allows one, for the session's private `/tmp`.
//!
//! Whatever the isolation, a session is one machine as on AgentCore: its Python,
//! its commands and its background tasks share one writable `/tmp` (the session's
//! `tmp` directory mounted over `/tmp`), which no other session sees.
//!
//! `--isolation auto` (the default) takes the first that works; `required` refuses
//! to start with none; `bubblewrap` and `landlock` insist on one; `off` (or
//! `AGENTCORE_EMULATOR_ISOLATION=off`) never confines.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::limits;
use super::mounts::Mounts;
use crate::error::SandboxError;

/// How sandbox processes are wrapped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Isolation {
    Bubblewrap {
        bwrap: PathBuf,
        /// `--unshare-pid` (and a fresh `/proc`) works here.
        pid_namespace: bool,
    },
    #[cfg(target_os = "linux")]
    Landlock(super::kernel::Kernel),
    /// No confinement (`--isolation off`, or nothing else works), only a mount
    /// namespace that gives the session its own `/tmp`.
    #[cfg(target_os = "linux")]
    PrivateTmp(super::kernel::Kernel),
}

impl Isolation {
    /// Bubblewrap or Landlock: host files and the network are out of reach.
    pub(crate) fn confines(&self) -> bool {
        match self {
            Isolation::Bubblewrap { .. } => true,
            #[cfg(target_os = "linux")]
            Isolation::Landlock(_) => true,
            #[cfg(target_os = "linux")]
            Isolation::PrivateTmp(_) => false,
        }
    }

    /// Whether a session's `/tmp` is its own (mounted over `/tmp`).
    pub(crate) fn private_tmp(&self) -> bool {
        match self {
            Isolation::Bubblewrap { .. } => true,
            #[cfg(target_os = "linux")]
            // A session's `tmp` inside `/tmp` (a cache directory there) cannot cover it.
            Isolation::Landlock(kernel) | Isolation::PrivateTmp(kernel) => {
                kernel.mounts_tmp() && !crate::paths::process_root().starts_with("/tmp")
            }
        }
    }
}

/// What the emulator asks of sandbox isolation (`--isolation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationMode {
    /// Bubblewrap when it works here, else Landlock, else plain processes (with a
    /// warning).
    #[default]
    Auto,
    /// Bubblewrap or Landlock: the emulator refuses to start with neither.
    Required,
    /// Bubblewrap only: the emulator refuses to start without it.
    Bubblewrap,
    /// Landlock only (Linux), even where bubblewrap works.
    Landlock,
    /// Plain processes with rlimits, even where isolation works.
    Off,
}

impl IsolationMode {
    /// `auto`, `required`, `bubblewrap`, `landlock` or `off` (also `none` and `0`).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(Self::Auto),
            "required" => Ok(Self::Required),
            "bubblewrap" | "bwrap" => Ok(Self::Bubblewrap),
            "landlock" => Ok(Self::Landlock),
            "off" | "none" | "0" => Ok(Self::Off),
            other => Err(format!(
                "isolation '{other}' must be auto, required, bubblewrap, landlock or off"
            )),
        }
    }
}

static MODE: OnceLock<IsolationMode> = OnceLock::new();

/// Sets the isolation mode for this process, before the first sandbox starts; the
/// default is `AGENTCORE_EMULATOR_ISOLATION`, else `auto`. `Err` says what is
/// missing and what to do when the mode cannot be met.
pub fn choose(mode: IsolationMode) -> Result<(), String> {
    let _ = MODE.set(mode);
    let found = detect();
    let install = "install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap)";
    let refusal = match (mode, found) {
        (IsolationMode::Required, None) => format!(
            "--isolation required, but neither bubblewrap (bwrap) nor Landlock works here: \
             {install}, or use --isolation auto"
        ),
        (IsolationMode::Bubblewrap, None) => format!(
            "--isolation bubblewrap, but bubblewrap (bwrap) is not installed or cannot create \
             namespaces here: {install}, or use --isolation auto"
        ),
        (IsolationMode::Landlock, None) => "--isolation landlock, but this kernel has no \
             Landlock (Linux 5.13 or later with landlock in its LSM list): use --isolation auto"
            .to_owned(),
        _ => return Ok(()),
    };
    Err(refusal)
}

/// One line that says which isolation sandbox processes get.
pub fn describe() -> String {
    match detect() {
        Some(Isolation::Bubblewrap { .. }) => "bubblewrap (system read-only, private /tmp, home \
             hidden, own PID namespace, network only for PUBLIC interpreters)"
            .to_owned(),
        #[cfg(target_os = "linux")]
        Some(Isolation::Landlock(kernel) | Isolation::PrivateTmp(kernel)) => kernel.describe(),
        None => "none (plain processes with rlimits: host files readable, network on, the \
             host's /tmp shared)"
            .to_owned(),
    }
}

fn mode() -> IsolationMode {
    *MODE.get_or_init(|| {
        std::env::var("AGENTCORE_EMULATOR_ISOLATION")
            .ok()
            .and_then(|v| IsolationMode::parse(&v).ok())
            .unwrap_or_default()
    })
}

/// The isolation this process uses, probed once.
pub(crate) fn detect() -> Option<&'static Isolation> {
    static FOUND: OnceLock<Option<Isolation>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let mode = mode();
            if mode == IsolationMode::Off {
                tracing::info!("sandbox isolation is off (--isolation off)");
                return private_tmp();
            }
            let bubblewrap = || bubblewrap().inspect(|_| tracing::debug!("using bubblewrap"));
            let found = match mode {
                IsolationMode::Bubblewrap => bubblewrap(),
                IsolationMode::Landlock => landlock(),
                _ => bubblewrap().or_else(landlock),
            };
            if found.is_none() && mode == IsolationMode::Auto {
                tracing::warn!(
                    "neither bubblewrap (bwrap) nor Landlock works here; sandbox processes run \
                     as plain processes with rlimits only (network on, host files readable). \
                     Install bubblewrap for file-system and network isolation"
                );
                return private_tmp();
            }
            found
        })
        .as_ref()
}

fn bubblewrap() -> Option<Isolation> {
    let bwrap = limits::find_on_path("bwrap")?;
    [true, false]
        .into_iter()
        .find(|&pid_namespace| probe(&bwrap, pid_namespace))
        .map(|pid_namespace| Isolation::Bubblewrap { bwrap, pid_namespace })
}

#[cfg(target_os = "linux")]
fn landlock() -> Option<Isolation> {
    let mut hidden = hidden_homes();
    hidden.extend(["/tmp", "/var/tmp"].map(PathBuf::from));
    super::kernel::Kernel::probe(&hidden).map(Isolation::Landlock)
}

#[cfg(not(target_os = "linux"))]
fn landlock() -> Option<Isolation> {
    None
}

/// A mount namespace for the session's `/tmp` alone, where the kernel gives one.
#[cfg(target_os = "linux")]
fn private_tmp() -> Option<Isolation> {
    super::kernel::Kernel::probe_private_tmp().map(Isolation::PrivateTmp)
}

#[cfg(not(target_os = "linux"))]
fn private_tmp() -> Option<Isolation> {
    None
}

fn probe(bwrap: &Path, pid_namespace: bool) -> bool {
    let mut command = Command::new(bwrap);
    command.args(base_args(pid_namespace, false, None));
    command
        .arg("--")
        .arg("/bin/true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.status().is_ok_and(|status| status.success())
}

fn base_args(pid_namespace: bool, network: bool, tmp: Option<&Path>) -> Vec<OsString> {
    let mut args: Vec<OsString> =
        ["--ro-bind", "/", "/", "--dev", "/dev", "--die-with-parent"].map(OsString::from).into();
    match tmp {
        Some(dir) => {
            args.extend([OsString::from("--bind"), dir.into(), OsString::from("/tmp")]);
        }
        None => args.extend(["--tmpfs", "/tmp"].map(OsString::from)),
    }
    if pid_namespace {
        args.extend(["--unshare-pid", "--proc", "/proc"].map(OsString::from));
    }
    if !network {
        args.push("--unshare-net".into());
    }
    args
}

/// A program, its arguments, and the confinement its process enters: what
/// [`Isolation::wrap`] makes of a command line.
#[derive(Debug)]
pub(crate) struct Wrapped {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    #[cfg(target_os = "linux")]
    confinement: Option<super::kernel::Confinement>,
}

impl Wrapped {
    /// `program args` as they are.
    pub(crate) fn plain(program: &Path, args: &[OsString]) -> Wrapped {
        Wrapped {
            program: program.to_path_buf(),
            args: args.to_vec(),
            #[cfg(target_os = "linux")]
            confinement: None,
        }
    }

    /// Behind the watcher that ends it with the emulator, where the platform needs
    /// one (see [`limits::supervised`]).
    pub(crate) fn supervised(self) -> Wrapped {
        let (program, args) = limits::supervised(&self.program, &self.args);
        Wrapped { program, args, ..self }
    }

    /// The `Command` that starts it, confinement hook installed.
    pub(crate) fn command(self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        #[cfg(target_os = "linux")]
        if let Some(confinement) = self.confinement {
            confinement.install(&mut command);
        }
        command
    }
}

impl Isolation {
    /// `program args` confined to `mounts`, starting in `chdir`.
    pub(crate) fn wrap(
        &self, program: &Path, args: &[OsString], mounts: &Mounts, chdir: &Path,
    ) -> Result<Wrapped, SandboxError> {
        match self {
            Isolation::Bubblewrap { bwrap, pid_namespace } => Ok(Wrapped::plain(
                bwrap,
                &bubblewrap_args(*pid_namespace, program, args, mounts, chdir),
            )),
            #[cfg(target_os = "linux")]
            Isolation::Landlock(kernel) | Isolation::PrivateTmp(kernel) => {
                let confinement = kernel
                    .confinement(mounts)
                    .map_err(|source| SandboxError::io("building the Landlock ruleset", source))?;
                Ok(Wrapped { confinement: Some(confinement), ..Wrapped::plain(program, args) })
            }
        }
    }
}

fn bubblewrap_args(
    pid_namespace: bool, program: &Path, args: &[OsString], mounts: &Mounts, chdir: &Path,
) -> Vec<OsString> {
    let mut out = base_args(pid_namespace, mounts.network, mounts.tmp.as_deref());
    // Hide the host's home directories: credentials, SSH keys, shell history.
    for home in hidden_homes() {
        out.extend([OsString::from("--tmpfs"), home.into_os_string()]);
    }
    for (flag, dirs) in [("--ro-bind", &mounts.read_only), ("--bind", &mounts.writable)] {
        for dir in dirs.iter().filter(|dir| dir.exists()) {
            out.extend([
                OsString::from(flag),
                dir.clone().into_os_string(),
                dir.clone().into_os_string(),
            ]);
        }
    }
    out.extend([OsString::from("--chdir"), chdir.as_os_str().to_owned()]);
    out.push("--".into());
    out.push(program.as_os_str().to_owned());
    out.extend(args.iter().cloned());
    out
}

/// `$HOME` of the emulator, `/root` and `/home`, where they exist.
fn hidden_homes() -> Vec<PathBuf> {
    let mut homes: Vec<PathBuf> = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|home| home.is_absolute() && home != Path::new("/"))
        .into_iter()
        .collect();
    for dir in ["/root", "/home"] {
        let dir = PathBuf::from(dir);
        if !homes.contains(&dir) {
            homes.push(dir);
        }
    }
    homes.retain(|dir| dir.is_dir());
    homes
}

/// The install prefix of a program (`<prefix>/bin/<name>` → `<prefix>`), for the
/// file given and for the file its symlinks resolve to.
pub(crate) fn prefixes_of(program: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut add = |path: &Path| {
        if let Some(prefix) = path.parent().and_then(Path::parent)
            && prefix != Path::new("/")
            && !out.iter().any(|p: &PathBuf| p == prefix)
        {
            out.push(prefix.to_path_buf());
        }
    };
    add(program);
    if let Ok(real) = std::fs::canonicalize(program) {
        add(&real);
    }
    out
}

/// `prefixes_of` for every program, deduplicated.
pub(crate) fn read_only_for(programs: &[&Path], extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in programs.iter().flat_map(|p| prefixes_of(p)).chain(extra.iter().cloned()) {
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}
