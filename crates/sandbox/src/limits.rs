//! Process limits, the scrubbed environment and process-group handling.
//!
//! Every sandbox process runs in its own process group with `RLIMIT_AS` (and optionally
//! `RLIMIT_NPROC`) applied, and dies with the emulator:
//!
//! - on Linux through `PR_SET_PDEATHSIG`. The parent-death signal fires when the
//!   *thread* that forked the child exits, so all forks happen on one long-lived
//!   spawner thread rather than on whatever runtime or blocking-pool thread asks;
//! - elsewhere (macOS and the BSDs have no parent-death signal) through
//!   [`supervised`]: a small `/bin/sh` watcher in the process's own group checks
//!   once a second that the emulator is alive and kills the whole group when it is
//!   not. `RLIMIT_AS` is best effort there (macOS does not enforce it).

use std::ffi::OsString;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::LazyLock;
use std::sync::mpsc;

use tokio::sync::oneshot;

/// Directories searched after the interpreter's own `bin` directory.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Resource limits applied to every process a sandbox starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Limits {
    pub memory_bytes: Option<u64>,
    pub max_processes: Option<u64>,
}

type SpawnJob = (Command, oneshot::Sender<io::Result<Child>>);

static SPAWNER: LazyLock<Option<mpsc::Sender<SpawnJob>>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<SpawnJob>();
    let started = std::thread::Builder::new().name("sandbox-spawner".into()).spawn(move || {
        for (mut command, reply) in rx {
            let _ = reply.send(command.spawn());
        }
    });
    match started {
        Ok(_) => Some(tx),
        Err(err) => {
            tracing::warn!(error = %err, "could not start the sandbox spawner thread; spawning inline");
            None
        }
    }
});

/// Spawns `command` on the spawner thread (see the module docs). Async callers.
pub(crate) async fn spawn(command: Command) -> io::Result<Child> {
    match send_job(command) {
        Ok(rx) => rx.await.unwrap_or_else(|_| Err(spawner_gone())),
        Err(mut command) => command.spawn(),
    }
}

/// Like [`spawn`], for callers outside an async context.
pub(crate) fn spawn_blocking(command: Command) -> io::Result<Child> {
    match send_job(command) {
        Ok(rx) => rx.blocking_recv().unwrap_or_else(|_| Err(spawner_gone())),
        Err(mut command) => command.spawn(),
    }
}

fn send_job(command: Command) -> Result<oneshot::Receiver<io::Result<Child>>, Box<Command>> {
    let Some(sender) = SPAWNER.as_ref() else {
        return Err(Box::new(command));
    };
    let (tx, rx) = oneshot::channel();
    sender.send((command, tx)).map_err(|err| Box::new(err.0.0))?;
    Ok(rx)
}

fn spawner_gone() -> io::Error {
    io::Error::other("the sandbox spawner thread stopped")
}

/// Puts `command` in a new process group, applies `limits` and the parent-death signal.
pub(crate) fn apply_limits(command: &mut Command, limits: Limits) {
    command.process_group(0);
    let memory = limits.memory_bytes;
    let nproc = limits.max_processes;
    let parent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec. It only calls
    // async-signal-safe functions (setrlimit, prctl, getppid), does not allocate and
    // touches no locks; errors are built from errno without allocating.
    unsafe {
        command.pre_exec(move || {
            if let Some(bytes) = memory {
                let limited = set_limit(libc::RLIMIT_AS, bytes);
                if cfg!(target_os = "linux") {
                    limited?;
                }
            }
            if let Some(count) = nproc {
                // Best effort: root ignores RLIMIT_NPROC, and a failure is not fatal.
                let _ = set_limit(libc::RLIMIT_NPROC, count);
            }
            #[cfg(target_os = "linux")]
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The emulator may have died between fork and prctl.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// The watcher of [`supervised`]: `$PPID` is the emulator, `$$` the program that
/// `exec` starts (it keeps the shell's pid). The watcher leaves quietly when the
/// program ends, and kills its process group (`kill 0`) when the emulator is gone.
#[cfg(not(target_os = "linux"))]
const WATCHER: &str = "parent=$PPID; main=$$; \
(while kill -0 \"$parent\" 2>/dev/null && kill -0 \"$main\" 2>/dev/null; do sleep 1; done; \
kill -0 \"$parent\" 2>/dev/null || kill -KILL 0) </dev/null >/dev/null 2>&1 & \
exec \"$@\"";

/// `program args` as the command line that starts it: unchanged on Linux (the
/// parent-death signal covers it), behind the `/bin/sh` watcher elsewhere.
pub(crate) fn supervised(program: &Path, args: &[OsString]) -> (PathBuf, Vec<OsString>) {
    #[cfg(target_os = "linux")]
    {
        (program.to_path_buf(), args.to_vec())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut line = vec![
            OsString::from("-c"),
            OsString::from(WATCHER),
            OsString::from("sandbox"),
            program.as_os_str().to_owned(),
        ];
        line.extend(args.iter().cloned());
        (PathBuf::from("/bin/sh"), line)
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

/// Called only from the `pre_exec` hook above.
fn set_limit(resource: Resource, value: u64) -> io::Result<()> {
    let limit = libc::rlimit { rlim_cur: value as libc::rlim_t, rlim_max: value as libc::rlim_t };
    // SAFETY: setrlimit reads a valid, initialised rlimit struct; it is async-signal-safe.
    if unsafe { libc::setrlimit(resource, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sends SIGKILL to the whole process group `pgid`. Errors (group already gone) are ignored.
pub(crate) fn kill_group(pgid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: killpg has no memory-safety preconditions; pgid > 1 so it never targets
    // our own group (0) or every process (-1 / 1).
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Whether any process of group `pgid` still exists (zombies included).
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    pgid > 1 && unsafe { libc::killpg(pgid, 0) } == 0
}

/// Kills the group and reaps the leader on a background thread so no zombie is left.
pub(crate) fn kill_and_reap_later(mut child: Child) {
    kill_group(child.id());
    if let Err(err) =
        std::thread::Builder::new().name("sandbox-reaper".into()).spawn(move || child.wait())
    {
        tracing::debug!(error = %err, "could not start a reaper thread");
    }
}

/// Shell-style exit code: the code, or 128 + signal number.
pub(crate) fn exit_code(status: ExitStatus) -> i32 {
    status.code().or_else(|| status.signal().map(|signal| 128 + signal)).unwrap_or(1)
}

/// Kills a process group when dropped unless disarmed; protects against cancelled futures.
pub(crate) struct GroupGuard {
    pgid: u32,
    armed: bool,
}

impl GroupGuard {
    pub(crate) fn new(pgid: u32) -> Self {
        GroupGuard { pgid, armed: true }
    }

    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            kill_group(self.pgid);
        }
    }
}

/// The scrubbed environment: nothing from the host except what is listed here.
#[derive(Debug, Clone)]
pub(crate) struct SandboxEnv {
    vars: Vec<(String, OsString)>,
}

impl SandboxEnv {
    /// `bin_dirs` go first on PATH (the interpreter's directory, node, deno).
    pub(crate) fn new(bin_dirs: &[PathBuf], home: &Path, tmp: &Path, mpl_config: &Path) -> Self {
        let mut path = OsString::new();
        for dir in bin_dirs {
            if !path.is_empty() {
                path.push(":");
            }
            path.push(dir);
        }
        if !path.is_empty() {
            path.push(":");
        }
        path.push(DEFAULT_PATH);
        let vars = vec![
            ("PATH".to_owned(), path),
            ("HOME".to_owned(), home.into()),
            ("TMPDIR".to_owned(), tmp.into()),
            ("LANG".to_owned(), "C.UTF-8".into()),
            ("MPLBACKEND".to_owned(), "Agg".into()),
            ("MPLCONFIGDIR".to_owned(), mpl_config.into()),
            ("PYTHONUNBUFFERED".to_owned(), "1".into()),
            // Under RLIMIT_AS, per-thread malloc arenas and one BLAS buffer per core
            // can exhaust the address space on big machines before any real use.
            ("MALLOC_ARENA_MAX".to_owned(), "2".into()),
            ("OPENBLAS_NUM_THREADS".to_owned(), blas_threads().into()),
        ];
        SandboxEnv { vars }
    }

    /// Clears the command's environment and sets only the sandbox variables.
    pub(crate) fn apply(&self, command: &mut Command) {
        command.env_clear();
        command.envs(self.vars.iter().map(|(k, v)| (k, v)));
    }
}

fn blas_threads() -> String {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4)).to_string()
}

/// Searches the host PATH for an executable named `name`.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
