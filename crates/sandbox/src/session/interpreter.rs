//! The session's persistent Python: the interpreter `executeCode` runs in, taken
//! from the pool or started fresh, and replaced after a crash, a timeout or a
//! reset.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{INIT_TIMEOUT, Sandbox, session_tmp};
use crate::capture::append_note;
use crate::command::TIMEOUT_EXIT_CODE;
use crate::error::SandboxError;
use crate::python::{Executed, Interpreter, Outcome};
use crate::types::ExecOutput;
use crate::util::format_secs;
use crate::watchdog;

impl Sandbox {
    pub(super) async fn init_interpreter(
        &self, interp: &mut Interpreter,
    ) -> Result<(), SandboxError> {
        let tmp = session_tmp(self.pool.spec(), &self.private);
        let env = [("HOME", self.dir()), ("TMPDIR", tmp.as_path())];
        interp.init(self.dir(), &env, INIT_TIMEOUT).await
    }

    pub(super) fn lock_pending(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<tokio::task::JoinHandle<Result<Interpreter, SandboxError>>>>
    {
        crate::sync::lock(&self.pending)
    }

    /// Makes `idle` (or a new interpreter) this session's: moved into its directory
    /// with its variables. Owns what it needs, so it can run while the session
    /// already answers.
    pub(super) fn start_interpreter(
        &self, idle: Option<Interpreter>,
    ) -> impl std::future::Future<Output = Result<Interpreter, SandboxError>> + Send + 'static {
        let pool = self.pool.clone();
        let writable = self.writable();
        let dir = self.dir().to_path_buf();
        let tmp = session_tmp(self.pool.spec(), &self.private);
        async move {
            let mut interp = match idle {
                Some(interp) => interp,
                None => pool.replacement(writable).await?,
            };
            let env = [("HOME", dir.as_path()), ("TMPDIR", tmp.as_path())];
            interp.init(&dir, &env, INIT_TIMEOUT).await?;
            Ok(interp)
        }
    }

    pub(super) async fn fresh_interpreter(&self) -> Result<Interpreter, SandboxError> {
        let pending = self.lock_pending().take();
        let interp = match pending {
            // Started with the session: wait for it.
            Some(start) => start.await.map_err(|join| SandboxError::Protocol {
                message: "starting the session's interpreter failed".into(),
                source: Some(Box::new(join)),
            })??,
            None => {
                let mut interp = self.pool.replacement(self.writable()).await?;
                self.init_interpreter(&mut interp).await?;
                interp
            }
        };
        self.interp_pid.store(interp.pid(), Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            // Stopped while it started.
            interp.shutdown().await;
            return Err(SandboxError::Closed);
        }
        Ok(interp)
    }

    pub(super) async fn execute_python(
        &self, code: &str, clear: bool,
    ) -> Result<ExecOutput, SandboxError> {
        let mut slot = self.interp.lock().await;
        self.ensure_open()?;
        let mut notes = Vec::new();
        let usable = slot.as_mut().is_some_and(Interpreter::is_usable);
        let interp = match slot.take() {
            Some(interp) if usable => interp,
            previous => {
                if previous.is_some() {
                    notes.push(
                        "The Python interpreter had stopped; a new one was started and its state is empty"
                            .to_owned(),
                    );
                }
                drop(previous);
                self.fresh_interpreter().await?
            }
        };
        let interp = slot.insert(interp);
        let Executed { outcome, stdout, mut stderr } = interp
            .exec(code, clear, self.config.call_timeout, self.config.output_limit_bytes)
            .await?;
        let (exit_code, execution_time, timed_out) = match outcome {
            Outcome::Finished { exit_code, duration } => (exit_code, duration, false),
            Outcome::TimedOut => {
                notes.push(format!(
                    "Execution timed out after {}; the interpreter was restarted and its state cleared",
                    format_secs(self.config.call_timeout)
                ));
                (TIMEOUT_EXIT_CODE, self.config.call_timeout, true)
            }
            Outcome::Died { exit_code } if watchdog::tripped(interp.pid()).is_some() => {
                notes.push(format!(
                    "Process limit exceeded: the code started more than {} processes, so all of them were killed; the interpreter was restarted and its state cleared",
                    self.limits().max_processes.unwrap_or_default()
                ));
                (exit_code, Duration::ZERO, false)
            }
            Outcome::Died { exit_code } => {
                notes.push(format!(
                    "The Python interpreter exited (exit code {exit_code}); it was restarted and its state cleared"
                ));
                (exit_code, Duration::ZERO, false)
            }
        };
        if !matches!(outcome, Outcome::Finished { .. }) {
            // The old process is dead; its Drop removes its private directory.
            *slot = None;
            if !self.closed.load(Ordering::SeqCst) {
                match self.fresh_interpreter().await {
                    Ok(fresh) => *slot = Some(fresh),
                    Err(err) => {
                        tracing::warn!(error = %err, "restarting the interpreter failed; will retry")
                    }
                }
            }
        }
        for note in &notes {
            append_note(&mut stderr.text, note);
        }
        Ok(ExecOutput {
            stdout: stdout.text,
            stderr: stderr.text,
            exit_code,
            execution_time,
            timed_out,
            truncated: stdout.truncated || stderr.truncated,
        })
    }
}
