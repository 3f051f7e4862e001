//! Running sandbox processes under bubblewrap (`bwrap`) when it is installed and
//! works on this machine: the whole system read-only, private `/tmp`, the host's
//! home directory hidden (so `~/.aws` is out of reach), the session's own
//! directories writable, a private PID namespace, no network unless the code
//! interpreter's network mode is `PUBLIC`, and death with the emulator.
//!
//! Without a working `bwrap` the emulator warns once and runs plain processes with
//! rlimits (`--isolation auto`, the default); `--isolation required` refuses to start
//! instead, and `--isolation off` (or `AGENTCORE_EMULATOR_ISOLATION=off`) never uses it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::limits;

/// How sandbox processes are wrapped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Isolation {
    bwrap: PathBuf,
    /// `--unshare-pid` (and a fresh `/proc`) works here.
    pid_namespace: bool,
}

/// What the emulator asks of sandbox isolation (`--isolation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationMode {
    /// Bubblewrap when it works here, plain processes (with a warning) otherwise.
    #[default]
    Auto,
    /// Bubblewrap or nothing: the emulator refuses to start without it.
    Required,
    /// Plain processes with rlimits, even where bubblewrap works.
    Off,
}

impl IsolationMode {
    /// `auto`, `required`, or `off` (also `none` and `0`).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(Self::Auto),
            "required" => Ok(Self::Required),
            "off" | "none" | "0" => Ok(Self::Off),
            other => Err(format!("isolation '{other}' must be auto, required or off")),
        }
    }
}

static MODE: OnceLock<IsolationMode> = OnceLock::new();

/// Sets the isolation mode for this process, before the first sandbox starts; the
/// default is `AGENTCORE_EMULATOR_ISOLATION`, else `auto`. `Err` names what is
/// missing when `Required` cannot be met.
pub fn choose(mode: IsolationMode) -> Result<(), String> {
    let _ = MODE.set(mode);
    if mode == IsolationMode::Required && detect().is_none() {
        return Err(
            "--isolation required, but bubblewrap (bwrap) is not installed or cannot create \
             namespaces here: install it (apt-get install bubblewrap) or use --isolation auto"
                .to_owned(),
        );
    }
    Ok(())
}

/// One line that says which isolation sandbox processes get.
pub fn describe() -> &'static str {
    match detect() {
        Some(_) => {
            "bubblewrap (system read-only, private /tmp, home hidden, own PID namespace, \
             network only for PUBLIC interpreters)"
        }
        None => "none (plain processes with rlimits: host files readable, network on)",
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

/// The bubblewrap found at start-up, if it works; probed once per process.
pub(crate) fn detect() -> Option<&'static Isolation> {
    static FOUND: OnceLock<Option<Isolation>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if mode() == IsolationMode::Off {
                tracing::info!("sandbox isolation is off (--isolation off)");
                return None;
            }
            let found = limits::find_on_path("bwrap").and_then(|bwrap| {
                if probe(&bwrap, true) {
                    Some(Isolation {
                        bwrap,
                        pid_namespace: true,
                    })
                } else if probe(&bwrap, false) {
                    Some(Isolation {
                        bwrap,
                        pid_namespace: false,
                    })
                } else {
                    None
                }
            });
            if found.is_none() {
                tracing::warn!(
                    "bubblewrap (bwrap) is not installed or cannot create namespaces here; \
                     sandbox processes run as plain processes with rlimits only (network on, \
                     host files readable). Install bubblewrap for file-system and network isolation"
                );
            }
            found
        })
        .as_ref()
}

fn probe(bwrap: &Path, pid_namespace: bool) -> bool {
    let mut command = Command::new(bwrap);
    command.args(base_args(pid_namespace, false));
    command
        .arg("--")
        .arg("/bin/true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.status().is_ok_and(|status| status.success())
}

fn base_args(pid_namespace: bool, network: bool) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--die-with-parent",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    if pid_namespace {
        args.extend(["--unshare-pid", "--proc", "/proc"].map(OsString::from));
    }
    if !network {
        args.push("--unshare-net".into());
    }
    args
}

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
}

impl Isolation {
    /// `program args` as a bwrap command line: (bwrap, its arguments).
    pub(crate) fn wrap(
        &self,
        program: &Path,
        args: &[OsString],
        mounts: &Mounts,
        chdir: &Path,
    ) -> (PathBuf, Vec<OsString>) {
        let mut out = base_args(self.pid_namespace, mounts.network);
        // Hide the host's home directories: credentials, SSH keys, shell history.
        for home in hidden_homes() {
            out.extend([OsString::from("--tmpfs"), home.into_os_string()]);
        }
        for dir in &mounts.read_only {
            if dir.exists() {
                out.extend([
                    OsString::from("--ro-bind"),
                    dir.clone().into_os_string(),
                    dir.clone().into_os_string(),
                ]);
            }
        }
        for dir in &mounts.writable {
            if dir.exists() {
                out.extend([
                    OsString::from("--bind"),
                    dir.clone().into_os_string(),
                    dir.clone().into_os_string(),
                ]);
            }
        }
        out.extend([OsString::from("--chdir"), chdir.as_os_str().to_owned()]);
        out.push("--".into());
        out.push(program.as_os_str().to_owned());
        out.extend(args.iter().cloned());
        (self.bwrap.clone(), out)
    }
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
    for dir in programs
        .iter()
        .flat_map(|p| prefixes_of(p))
        .chain(extra.iter().cloned())
    {
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}
