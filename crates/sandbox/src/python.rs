//! The persistent Python interpreter behind `executeCode` with language `python`.
//!
//! One long-lived process runs `driver.py`; requests and replies are JSON lines on
//! its original stdin/stdout (see the driver's header). Output is captured through named
//! pipes in the interpreter's private directory, never in the session directory.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::capture::{Captured, OutputPipe};
use super::isolation::Wrapped;
use super::limits::{self, GroupGuard, Limits, SandboxEnv};
use crate::error::SandboxError;

const DRIVER: &str = include_str!("driver.py");

/// How many interpreters may be starting at once: one per two cores. A burst of
/// sessions (a test suite's set-up) then queues its Python starts instead of
/// starving the server, the sessions' own calls and the client of CPU.
struct StartSlots {
    busy: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
    limit: usize,
}

static START_SLOTS: std::sync::LazyLock<StartSlots> = std::sync::LazyLock::new(|| StartSlots {
    busy: std::sync::Mutex::new(0),
    freed: std::sync::Condvar::new(),
    limit: std::thread::available_parallelism().map_or(1, |cores| (cores.get() / 2).max(1)),
});

/// A start slot, given back when dropped.
struct StartSlot;

impl StartSlot {
    /// Blocks until fewer than the limit of interpreters are starting.
    fn take() -> StartSlot {
        let slots = &*START_SLOTS;
        let busy = crate::sync::lock(&slots.busy);
        let mut busy = slots
            .freed
            .wait_while(busy, |busy| *busy >= slots.limit)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *busy += 1;
        StartSlot
    }
}

impl Drop for StartSlot {
    fn drop(&mut self) {
        let slots = &*START_SLOTS;
        *crate::sync::lock(&slots.busy) -= 1;
        slots.freed.notify_one();
    }
}

/// What every interpreter of a pool shares: the program and its limits.
#[derive(Debug, Clone)]
pub(crate) struct InterpSpec {
    /// Resolved interpreter path (not a pyenv shim).
    pub python: PathBuf,
    pub limits: Limits,
    /// Directories put first on PATH (the interpreter's, node's, deno's).
    pub bin_dirs: Vec<PathBuf>,
    /// Parent of the interpreters' private directories.
    pub private_root: PathBuf,
    /// Shared matplotlib config/cache directory, so the font cache is built once.
    pub mpl_config: PathBuf,
    /// How processes are confined (bubblewrap, Landlock, a private `/tmp` alone).
    pub isolation: Option<super::isolation::Isolation>,
    /// What a wrapped interpreter sees besides its own directories (and whether
    /// it has network).
    pub mounts: super::mounts::Mounts,
    /// Modules pooled interpreters import while idle (see [`Interpreter::warm`]).
    pub preload: Vec<String>,
}

/// A running driver process.
pub(crate) struct Interpreter {
    child: Child,
    io: Option<DriverIo>,
    private_dir: PathBuf,
    seq: u64,
}

struct DriverIo {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// The driver's answer to one request.
#[derive(Debug, Deserialize)]
struct Reply {
    exit_code: Option<i32>,
    duration_ms: Option<f64>,
    ok: Option<bool>,
    error: Option<String>,
}

/// How one `exec` request ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Finished {
        exit_code: i32,
        duration: Duration,
    },
    TimedOut,
    /// The process exited during the call (e.g. `os._exit`, a fatal signal).
    Died {
        exit_code: i32,
    },
}

/// One `exec` request's ending and its capped output.
pub(crate) struct Executed {
    pub outcome: Outcome,
    pub stdout: Captured,
    pub stderr: Captured,
}

impl Interpreter {
    /// Starts a driver in its private directory and waits for its ready line. Blocking.
    /// Under isolation, `writable` are the session's directories (session directory,
    /// private directory) it may write, whose `tmp` becomes its `/tmp`.
    pub(crate) fn spawn(
        spec: &InterpSpec, writable: &[PathBuf],
    ) -> Result<Interpreter, SandboxError> {
        // Held until the driver is ready (or failed).
        let _slot = StartSlot::take();
        let private_dir = spec.private_root.join(format!("interp-{}", crate::util::random_id()));
        std::fs::create_dir_all(&private_dir).map_err(|source| {
            SandboxError::io(format!("creating {}", private_dir.display()), source)
        })?;
        let log_path = private_dir.join("driver.log");
        let log = std::fs::File::create(&log_path).map_err(|source| {
            SandboxError::io(format!("creating {}", log_path.display()), source)
        })?;
        let env = SandboxEnv::new(&spec.bin_dirs, &private_dir, &private_dir, &spec.mpl_config);
        let args = [std::ffi::OsString::from("-c"), DRIVER.into()];
        let wrapped = match &spec.isolation {
            Some(isolation) => {
                let mut mounts = spec.mounts.for_session(writable);
                mounts.writable.push(private_dir.clone());
                isolation.wrap(&spec.python, &args, &mounts, &private_dir)?
            }
            None => Wrapped::plain(&spec.python, &args).supervised(),
        };
        let mut command = wrapped.command();
        command.current_dir(&private_dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log);
        env.apply(&mut command);
        limits::apply_limits(&mut command, spec.limits);
        let mut child = limits::spawn_blocking(command).map_err(|source| SandboxError::Spawn {
            program: spec.python.display().to_string(),
            source,
        })?;
        super::watchdog::watch(child.id(), spec.limits.max_processes);
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            limits::kill_and_reap_later(child);
            return Err(SandboxError::protocol("the interpreter's pipes are missing"));
        };
        let mut interp = Interpreter {
            child,
            io: Some(DriverIo { stdin, stdout: BufReader::new(stdout) }),
            private_dir,
            seq: 0,
        };
        let ready = interp.io.as_mut().map(|io| {
            let mut line = String::new();
            io.stdout.read_line(&mut line).map(|_| line)
        });
        match ready {
            Some(Ok(line)) if line.contains("\"ready\"") => {
                tracing::debug!(pid = interp.pid(), "python interpreter ready");
                Ok(interp)
            }
            _ => {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail = crate::util::tail_lines(&log, 20);
                Err(SandboxError::protocol(format!(
                    "{} did not start the sandbox driver: {}",
                    spec.python.display(),
                    if tail.is_empty() { "no output" } else { tail }
                )))
            }
        }
    }

    /// Process id, which is also the process group id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the driver can take requests (alive and not mid-call).
    pub(crate) fn is_usable(&mut self) -> bool {
        self.io.is_some() && matches!(self.child.try_wait(), Ok(None))
    }

    /// Imports `modules` (best effort: a missing one is skipped). Blocking; for the
    /// pool's background threads, before the interpreter is handed to a session.
    /// False when the interpreter broke doing it.
    pub(crate) fn warm(&mut self, modules: &[String]) -> bool {
        let Some(io) = self.io.as_mut() else {
            return false;
        };
        let request = json!({"op": "warm", "modules": modules});
        let Ok(mut line) = serde_json::to_vec(&request) else {
            return false;
        };
        line.push(b'\n');
        match exchange(io, &line) {
            Ok(reply) => reply.contains("\"ok\""),
            Err(_) => {
                self.io = None;
                false
            }
        }
    }

    /// Moves the interpreter into the session directory and sets the session's variables.
    pub(crate) async fn init(
        &mut self, cwd: &Path, env: &[(&str, &Path)], timeout: Duration,
    ) -> Result<(), SandboxError> {
        let env: serde_json::Map<String, serde_json::Value> =
            env.iter().map(|(k, v)| ((*k).to_owned(), json!(v.to_string_lossy()))).collect();
        let request = json!({"op": "init", "cwd": cwd.to_string_lossy(), "env": env});
        match self.request(&request, timeout).await? {
            Ok(Reply { ok: Some(true), .. }) => Ok(()),
            Ok(reply) => Err(SandboxError::protocol(format!(
                "init failed: {}",
                reply.error.unwrap_or_else(|| "no reason given".into())
            ))),
            Err(outcome) => Err(SandboxError::protocol(format!("init failed: {outcome:?}"))),
        }
    }

    /// Runs `code`, keeping at most `limit` bytes of each output stream. A timeout or
    /// death kills the process group.
    pub(crate) async fn exec(
        &mut self, code: &str, clear: bool, timeout: Duration, limit: usize,
    ) -> Result<Executed, SandboxError> {
        self.seq += 1;
        let stdout = OutputPipe::create(self.private_dir.join(format!("{}.out", self.seq)), limit)?;
        let stderr = OutputPipe::create(self.private_dir.join(format!("{}.err", self.seq)), limit)?;
        let request = json!({
            "op": "exec",
            "code": code,
            "clear": clear,
            "stdout": stdout.path().to_string_lossy(),
            "stderr": stderr.path().to_string_lossy(),
        });
        let reply = self.request(&request, timeout).await;
        let (stdout, stderr) = tokio::join!(stdout.finish(), stderr.finish());
        let outcome = match reply? {
            Ok(Reply { exit_code: Some(exit_code), duration_ms, .. }) => Outcome::Finished {
                exit_code,
                duration: Duration::from_secs_f64(duration_ms.unwrap_or(0.0).max(0.0) / 1000.0),
            },
            Ok(reply) => {
                return Err(SandboxError::protocol(format!(
                    "unexpected reply: {}",
                    reply.error.unwrap_or_else(|| "no exit code".into())
                )));
            }
            Err(outcome) => outcome,
        };
        Ok(Executed { outcome, stdout, stderr })
    }

    /// Sends one request and waits for its reply line. `Err(outcome)` when the process
    /// timed out or died; in both cases it has been killed and is no longer usable.
    async fn request(
        &mut self, request: &serde_json::Value, timeout: Duration,
    ) -> Result<Result<Reply, Outcome>, SandboxError> {
        let mut line = serde_json::to_vec(request).map_err(|source| SandboxError::Protocol {
            message: "encoding a request".into(),
            source: Some(Box::new(source)),
        })?;
        line.push(b'\n');
        let mut io = self
            .io
            .take()
            .ok_or_else(|| SandboxError::protocol("the interpreter is not usable"))?;
        // If this future is dropped mid-call, the guard kills the group, which also ends
        // the blocking exchange below.
        let guard = GroupGuard::new(self.pid());
        let exchange = tokio::task::spawn_blocking(move || {
            let result = exchange(&mut io, &line);
            (io, result)
        });
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok((io, Ok(reply_line)))) => {
                guard.disarm();
                self.io = Some(io);
                serde_json::from_str::<Reply>(&reply_line).map(Ok).map_err(|source| {
                    SandboxError::Protocol {
                        message: format!("bad reply {:?}", truncate(&reply_line, 200)),
                        source: Some(Box::new(source)),
                    }
                })
            }
            Ok(Ok((_io, Err(err)))) => {
                tracing::debug!(pid = self.pid(), error = %err, "interpreter died during a call");
                guard.disarm();
                let exit_code = self.reap(false).await;
                Ok(Err(Outcome::Died { exit_code }))
            }
            Ok(Err(join)) => Err(SandboxError::Protocol {
                message: "the interpreter I/O task failed".into(),
                source: Some(Box::new(join)),
            }),
            Err(_elapsed) => {
                tracing::debug!(pid = self.pid(), "interpreter call timed out; killing its group");
                drop(guard);
                self.reap(true).await;
                Ok(Err(Outcome::TimedOut))
            }
        }
    }

    /// Collects the exit status after a death or timeout; the group is killed first
    /// unless the process already exited on its own (so `os._exit(3)` reports 3).
    async fn reap(&mut self, kill_first: bool) -> i32 {
        if kill_first {
            limits::kill_group(self.pid());
        }
        for attempt in 0..400 {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    // Anything the user code left running in the group goes too.
                    limits::kill_group(self.pid());
                    return limits::exit_code(status);
                }
                Ok(None) if attempt == 100 => limits::kill_group(self.pid()),
                Ok(None) => {}
                Err(_) => break,
            }
            // A killed process is usually gone within a millisecond: look again soon
            // at first (every session stop waits here), then back off.
            let pause = match attempt {
                0..=4 => 1,
                5..=9 => 2,
                _ => 5,
            };
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        137
    }

    /// Kills the process group and waits for the leader; consumes the interpreter.
    pub(crate) async fn shutdown(mut self) {
        self.io = None;
        self.reap(true).await;
    }
}

impl Drop for Interpreter {
    fn drop(&mut self) {
        match self.child.try_wait() {
            // Already reaped (and its group killed then); the id may be reused by now.
            Ok(Some(_)) => {}
            _ => {
                limits::kill_group(self.pid());
                // Reap in the background so Drop never blocks.
                let pid = self.child.id();
                if let Ok(pid) = libc::pid_t::try_from(pid) {
                    let _ = std::thread::Builder::new().name("sandbox-reaper".into()).spawn(
                        move || {
                            let mut status = 0;
                            // SAFETY: waitpid on our own child with a valid out-pointer.
                            unsafe { libc::waitpid(pid, &mut status, 0) };
                        },
                    );
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.private_dir);
    }
}

fn exchange(io: &mut DriverIo, line: &[u8]) -> std::io::Result<String> {
    io.stdin.write_all(line)?;
    io.stdin.flush()?;
    let mut reply = String::new();
    if io.stdout.read_line(&mut reply)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the interpreter closed its reply pipe",
        ));
    }
    Ok(reply)
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// The real interpreter behind `python` (pyenv and similar shims need the host
/// environment, which the sandbox does not pass on). Cached per path.
pub(crate) async fn resolve_python(python: &Path) -> Result<PathBuf, SandboxError> {
    static CACHE: LazyLock<Mutex<HashMap<PathBuf, PathBuf>>> = LazyLock::new(Default::default);
    let lock = || crate::sync::lock(&CACHE);
    if let Some(found) = lock().get(python) {
        return Ok(found.clone());
    }
    let program = python.to_path_buf();
    let output = crate::util::blocking(move || {
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
