//! [`Sandbox`]: one code-interpreter session and its processes.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::command::{self, RunContext, Runtimes};
use crate::error::SandboxError;
use crate::files::{self, SessionRoot};
use crate::isolation::{self, Wrapped};
use crate::limits::{self, Limits, SandboxEnv};
use crate::mounts::Mounts;
use crate::paths::process_private_root;
use crate::pool::{InterpreterPool, SessionDirs};
use crate::provision::default_cache_dir;
use crate::python::resolve_python;
use crate::python::{InterpSpec, Interpreter};
use crate::tasks::{Task, Tasks};
use crate::types::{
    ExecOutput, FileData, FileEntry, Language, SandboxConfig, TaskInfo, TaskStatus,
};
use crate::util::blocking;
use crate::watchdog;

mod interpreter;

/// How long a fresh interpreter may take to accept the session (`init`).
const INIT_TIMEOUT: Duration = Duration::from_secs(30);

/// One code-interpreter session. Calls on one sandbox are serialized.
pub struct Sandbox {
    root: SessionRoot,
    /// Capture pipes, task output and TMPDIR; outside the session directory.
    private: PathBuf,
    config: SandboxConfig,
    pool: InterpreterPool,
    env: SandboxEnv,
    interp: tokio::sync::Mutex<Option<Interpreter>>,
    /// The interpreter being started for this session when no idle one was ready:
    /// the start answers at once, the first Python call waits for it.
    pending: Mutex<Option<tokio::task::JoinHandle<Result<Interpreter, SandboxError>>>>,
    /// Process group of the current interpreter, readable without the async lock.
    interp_pid: AtomicU32,
    /// Process groups of one-shot commands, killed at shutdown.
    groups: Mutex<HashSet<u32>>,
    tasks: Tasks,
    seq: AtomicU64,
    closed: AtomicBool,
}

impl Sandbox {
    /// Creates the session directory and a ready Python interpreter in it, without
    /// network access where the sandbox can cut it (see [`Sandbox::start_with_network`]).
    #[cfg(test)]
    pub async fn start(config: &SandboxConfig) -> Result<Sandbox, SandboxError> {
        Self::start_with_network(config, false).await
    }

    /// Like [`Sandbox::start`]; `network` gives the session's processes network
    /// access (a `PUBLIC` code interpreter). Under bubblewrap a session without it
    /// has no network at all; without bubblewrap the flag cannot be enforced.
    pub async fn start_with_network(
        config: &SandboxConfig, network: bool,
    ) -> Result<Sandbox, SandboxError> {
        let python = resolve_python(&config.python).await?;
        let mut bin_dirs: Vec<PathBuf> =
            python.parent().map(Path::to_path_buf).into_iter().collect();
        let runtimes = Runtimes::detect();
        bin_dirs.extend(runtimes.bin_dirs());
        let mpl_config = default_cache_dir().join("matplotlib");
        let isolation = isolation::detect().cloned();
        // Even unconfined, a process whose `/tmp` is the session's must see again the
        // programs the host keeps under `/tmp`.
        let mounts = if isolation.is_some() {
            let programs: Vec<&Path> = std::iter::once(python.as_path())
                .chain(runtimes.node.as_deref())
                .chain(runtimes.deno.as_deref())
                .collect();
            // The matplotlib cache is shared by every session; create it up front
            // so it can be bound.
            let _ = std::fs::create_dir_all(&mpl_config);
            Mounts {
                read_only: isolation::read_only_for(&programs, &[]),
                writable: vec![mpl_config.clone()],
                network,
                tmp: None,
            }
        } else {
            Mounts { network, ..Mounts::default() }
        };
        let spec = InterpSpec {
            python,
            limits: Limits {
                memory_bytes: config.memory_limit_bytes,
                max_processes: config.max_processes,
            },
            bin_dirs,
            private_root: process_private_root(),
            mpl_config,
            isolation,
            mounts,
            preload: config.preload_modules.clone(),
        };
        let pool = InterpreterPool::shared(&spec, &config.root_dir);
        let (interp, SessionDirs { root, private }) =
            pool.take_for_session(&config.root_dir).await?;
        let tmp = session_tmp(&spec, &private);
        let env = SandboxEnv::new(&spec.bin_dirs, &root.canonical, &tmp, &spec.mpl_config);
        let sandbox = Sandbox {
            root,
            private,
            config: config.clone(),
            pool,
            env,
            interp: tokio::sync::Mutex::new(None),
            pending: Mutex::new(None),
            interp_pid: AtomicU32::new(0),
            groups: Mutex::new(HashSet::new()),
            tasks: Tasks::default(),
            seq: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        };
        // The session answers now; its interpreter (an idle one moved into the
        // session, or a new one) gets ready alongside, and the first Python call
        // waits for it. A burst of starts then costs each start no Python at all.
        let ready = sandbox.start_interpreter(interp);
        *sandbox.lock_pending() = Some(tokio::spawn(ready));
        tracing::debug!(dir = %sandbox.dir().display(), "sandbox started");
        Ok(sandbox)
    }

    /// The session directory (canonical).
    pub fn dir(&self) -> &Path {
        &self.root.canonical
    }

    /// Runs code; Python keeps state between calls unless `clear_context` is set.
    pub async fn execute_code(
        &self, language: Language, code: &str, clear_context: bool,
    ) -> Result<ExecOutput, SandboxError> {
        match language {
            Language::Python => self.execute_python(code, clear_context).await,
            Language::Javascript | Language::Typescript => {
                let runtimes = Runtimes::detect();
                let file =
                    self.private_file(if language == Language::Javascript { "js" } else { "ts" });
                // V8 reserves far more address space than it uses, so RLIMIT_AS
                // would stop it from starting; its heap limit bounds memory instead.
                let heap_mb = self.config.memory_limit_bytes.map(|bytes| bytes >> 20);
                let (program, args) = if language == Language::Javascript {
                    runtimes.javascript(&file, heap_mb)?
                } else {
                    runtimes.typescript(&file, heap_mb)?
                };
                let limits = Limits { memory_bytes: None, ..self.limits() };
                let _serial = self.interp.lock().await;
                self.ensure_open()?;
                std::fs::write(&file, code)
                    .map_err(|source| SandboxError::io("writing the script", source))?;
                let result = self.run_one_shot(&program, &args, limits, false).await;
                let _ = std::fs::remove_file(&file);
                result
            }
        }
    }

    /// Runs `sh -c command` in the session directory with the call time limit. Its
    /// stdout and stderr are one stream, in the order written (AgentCore answers
    /// with a terminal's output): all of it is in `stdout`; `stderr` holds only the
    /// sandbox's own notes (a time limit, the process limit).
    pub async fn execute_command(&self, command: &str) -> Result<ExecOutput, SandboxError> {
        let _serial = self.interp.lock().await;
        self.ensure_open()?;
        let args = ["-c".to_owned(), command.to_owned()];
        self.run_one_shot(Path::new("/bin/sh"), &args, self.limits(), true).await
    }

    /// Writes files (creating parent directories); returns the paths written.
    pub async fn write_files(
        &self, files: Vec<(String, Vec<u8>)>,
    ) -> Result<Vec<String>, SandboxError> {
        self.ensure_open()?;
        let root = self.root.clone();
        blocking(move || files::write_files(&root, files)).await
    }

    /// Reads files exactly as stored.
    pub async fn read_files(&self, paths: &[String]) -> Result<Vec<FileData>, SandboxError> {
        self.ensure_open()?;
        let root = self.root.clone();
        let paths = paths.to_vec();
        blocking(move || files::read_files(&root, &paths)).await
    }

    /// Lists a directory (`""` or `"."` is the session directory), sorted by name.
    pub async fn list_files(&self, dir: &str) -> Result<Vec<FileEntry>, SandboxError> {
        self.ensure_open()?;
        let root = self.root.clone();
        let dir = dir.to_owned();
        blocking(move || files::list_files(&root, &dir)).await
    }

    /// Removes files or directory trees; returns the paths removed.
    pub async fn remove_files(&self, paths: &[String]) -> Result<Vec<String>, SandboxError> {
        self.ensure_open()?;
        let root = self.root.clone();
        let paths = paths.to_vec();
        blocking(move || files::remove_files(&root, &paths)).await
    }

    /// Starts `sh -c command` in the background; the task is `Working` until it exits.
    /// Its stdout and stderr go to one file, in the order they are written.
    pub async fn start_task(&self, command: &str) -> Result<TaskInfo, SandboxError> {
        self.ensure_open()?;
        let id = uuid::Uuid::new_v4().to_string();
        let output = self.private.join(format!("task-{id}.out"));
        let file = std::fs::File::create(&output)
            .map_err(|source| SandboxError::io(format!("creating {}", output.display()), source))?;
        let errors = file
            .try_clone()
            .map_err(|source| SandboxError::io("sharing the task's output file", source))?;
        let mut cmd = self
            .isolated_command(
                Path::new("/bin/sh"),
                &[OsString::from("-c"), OsString::from(command)],
            )?
            .supervised()
            .command();
        cmd.current_dir(self.dir()).stdin(Stdio::null()).stdout(file).stderr(errors);
        self.env.apply(&mut cmd);
        limits::apply_limits(&mut cmd, self.limits());
        let started = std::time::Instant::now();
        let child = limits::spawn(cmd)
            .await
            .map_err(|source| SandboxError::Spawn { program: "/bin/sh".into(), source })?;
        tracing::debug!(task = %id, pid = child.id(), "task started");
        watchdog::watch(child.id(), self.limits().max_processes);
        self.tasks.insert(id.clone(), Task::new(child, output, started));
        Ok(TaskInfo {
            task_id: id,
            status: TaskStatus::Working,
            output: String::new(),
            exit_code: None,
            execution_time: None,
        })
    }

    /// Status and output so far of a background task.
    pub async fn get_task(&self, task_id: &str) -> Result<TaskInfo, SandboxError> {
        self.tasks.get(task_id, self.config.output_limit_bytes)
    }

    /// Kills a running task (its whole process group); it becomes `Canceled`. A task
    /// that has ended is [`SandboxError::TaskNotRunning`].
    pub async fn stop_task(&self, task_id: &str) -> Result<TaskInfo, SandboxError> {
        self.tasks.stop(task_id, self.config.output_limit_bytes)
    }

    /// Kills the interpreter, every task and command group; removes the session
    /// directory. Idempotent.
    pub async fn shutdown(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        // Kill first so a call in progress ends now instead of at its time limit.
        limits::kill_group(self.interp_pid.load(Ordering::SeqCst));
        let pending = self.lock_pending().take();
        if let Some(Ok(Ok(interp))) = match pending {
            Some(start) => Some(start.await),
            None => None,
        } {
            interp.shutdown().await;
        }
        let interp = self.interp.lock().await.take();
        if let Some(interp) = interp {
            interp.shutdown().await;
        }
        self.tasks.clear();
        self.kill_command_groups();
        let dirs = SessionDirs { root: self.root.clone(), private: self.private.clone() };
        let _ = tokio::task::spawn_blocking(move || dirs.remove()).await;
        tracing::debug!(dir = %self.dir().display(), "sandbox shut down");
    }

    /// The directories a wrapped process of this session may write.
    fn writable(&self) -> [PathBuf; 2] {
        [self.root.canonical.clone(), self.private.clone()]
    }

    /// `program args`, confined when the sandbox is isolated.
    fn isolated_command(&self, program: &Path, args: &[OsString]) -> Result<Wrapped, SandboxError> {
        let spec = self.pool.spec();
        match &spec.isolation {
            Some(isolation) => isolation.wrap(
                program,
                args,
                &spec.mounts.for_session(&self.writable()),
                self.dir(),
            ),
            None => Ok(Wrapped::plain(program, args)),
        }
    }

    fn limits(&self) -> Limits {
        self.pool.spec().limits
    }

    fn ensure_open(&self) -> Result<(), SandboxError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(SandboxError::Closed);
        }
        Ok(())
    }

    fn private_file(&self, ext: &str) -> PathBuf {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        self.private.join(format!("run-{n}.{ext}"))
    }

    fn kill_command_groups(&self) {
        let groups: Vec<u32> = self.lock_groups().drain().collect();
        for pgid in groups {
            limits::kill_group(pgid);
        }
    }

    pub(super) fn lock_groups(&self) -> std::sync::MutexGuard<'_, HashSet<u32>> {
        crate::sync::lock(&self.groups)
    }

    async fn run_one_shot(
        &self, program: &Path, args: &[String], limits: Limits, merge_output: bool,
    ) -> Result<ExecOutput, SandboxError> {
        let record = |pgid: u32| {
            let mut groups = self.lock_groups();
            // Forget groups that emptied: their ids may be reused by unrelated processes.
            groups.retain(|&pgid| limits::group_alive(pgid));
            groups.insert(pgid);
        };
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let wrapped = self.isolated_command(program, &args)?;
        let ctx = RunContext {
            cwd: self.dir(),
            env: &self.env,
            limits,
            capture_stem: self.private.join(format!("cmd-{n}")),
            timeout: self.config.call_timeout,
            output_limit: self.config.output_limit_bytes,
            merge_output,
            on_spawn: &record,
        };
        command::run(wrapped, ctx).await
    }

    /// Process id (= group id) of the current interpreter, once it has started.
    #[cfg(test)]
    pub(crate) async fn interpreter_pid(&self) -> u32 {
        let mut slot = self.interp.lock().await;
        if slot.is_none()
            && let Ok(interp) = self.fresh_interpreter().await
        {
            *slot = Some(interp);
        }
        self.interp_pid.load(Ordering::SeqCst)
    }

    /// Idle interpreters ready in this session's pool.
    #[cfg(test)]
    pub(crate) fn pool_idle(&self) -> usize {
        self.pool.idle()
    }

    #[cfg(test)]
    pub(crate) fn task_pids(&self) -> Vec<u32> {
        self.tasks.pids()
    }
}

/// `TMPDIR` of a session: `/tmp` where the session's `tmp` is mounted there, else
/// the directory itself (the host's `/tmp` is then shared by every session).
fn session_tmp(spec: &InterpSpec, private: &Path) -> PathBuf {
    if spec.isolation.as_ref().is_some_and(isolation::Isolation::private_tmp) {
        PathBuf::from("/tmp")
    } else {
        private.join("tmp")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // The interpreter and tasks kill their own groups when dropped; commands are ours.
        limits::kill_group(self.interp_pid.load(Ordering::SeqCst));
        self.kill_command_groups();
    }
}
