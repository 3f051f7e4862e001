//! Background commands (`startCommandExecution`, `getTask`, `stopTask`).
//!
//! A task's stdout and stderr go to one file, in the order they were written (as
//! AgentCore's terminal-style output has them). A thread per task waits for it, so
//! its exit status and running time are known the moment it ends, not when the next
//! `getTask` happens to look, and no zombie is left behind.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Child;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::capture::read_capped;
use super::limits;
use crate::error::SandboxError;
use crate::types::{TaskInfo, TaskStatus};

/// How a task's process ended.
#[derive(Debug, Clone, Copy)]
struct Ended {
    exit_code: i32,
    after: Duration,
}

/// Written once by the waiter thread.
#[derive(Default)]
struct Exit {
    ended: Mutex<Option<Ended>>,
    signal: Condvar,
}

impl Exit {
    fn get(&self) -> Option<Ended> {
        *crate::sync::lock(&self.ended)
    }

    /// Waits until the waiter thread has recorded the end, at most `limit`.
    fn wait(&self, limit: Duration) -> Option<Ended> {
        let guard = crate::sync::lock(&self.ended);
        let (guard, _) = self
            .signal
            .wait_timeout_while(guard, limit, |ended| ended.is_none())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard
    }
}

/// One background `sh -c` process group and its output file.
pub(crate) struct Task {
    pid: u32,
    output: PathBuf,
    exit: Arc<Exit>,
    /// Set when `stopTask` killed it.
    canceled: bool,
}

impl Task {
    /// Takes over `child`, started at `started`, whose output goes to `output`.
    pub(crate) fn new(child: Child, output: PathBuf, started: Instant) -> Self {
        let pid = child.id();
        let exit = Arc::new(Exit::default());
        let recorder = Arc::clone(&exit);
        let waiter = std::thread::Builder::new().name("sandbox-task".into()).spawn(move || {
            let mut child = child;
            let exit_code = child.wait().map_or(1, limits::exit_code);
            *crate::sync::lock(&recorder.ended) =
                Some(Ended { exit_code, after: started.elapsed() });
            recorder.signal.notify_all();
        });
        if let Err(err) = waiter {
            // Without a waiter the task still runs; it is only never seen to end.
            tracing::warn!(error = %err, "could not start a task waiter thread");
        }
        Task { pid, output, exit, canceled: false }
    }

    #[cfg(test)]
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    fn status(&self, ended: Option<Ended>) -> TaskStatus {
        match ended {
            _ if self.canceled => TaskStatus::Canceled,
            None => TaskStatus::Working,
            Some(Ended { exit_code: 0, .. }) => TaskStatus::Completed,
            Some(_) => TaskStatus::Failed,
        }
    }

    fn info(&self, id: &str, limit: usize) -> TaskInfo {
        let ended = self.exit.get();
        TaskInfo {
            task_id: id.to_owned(),
            status: self.status(ended),
            output: read_capped(&self.output, limit).text,
            exit_code: ended.map(|e| e.exit_code),
            execution_time: ended.map(|e| e.after),
        }
    }

    /// Kills the group of a task that is still working; it becomes `Canceled`.
    fn stop(&mut self, id: &str) -> Result<(), SandboxError> {
        let status = self.status(self.exit.get());
        if status != TaskStatus::Working {
            return Err(SandboxError::TaskNotRunning { id: id.to_owned(), status });
        }
        limits::kill_group(self.pid);
        // SIGKILL was just sent, so the waiter records the end at once.
        self.exit.wait(Duration::from_secs(5));
        self.canceled = true;
        Ok(())
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // Leftover background children of a finished task die with the session too.
        limits::kill_group(self.pid);
        // The waiter thread reaps the leader; SIGKILL makes that prompt, and the
        // session's shutdown returns only once it is gone.
        self.exit.wait(Duration::from_secs(5));
    }
}

/// The tasks of one session.
#[derive(Default)]
pub(crate) struct Tasks {
    tasks: Mutex<HashMap<String, Task>>,
}

impl Tasks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Task>> {
        crate::sync::lock(&self.tasks)
    }

    pub(crate) fn insert(&self, id: String, task: Task) {
        self.lock().insert(id, task);
    }

    pub(crate) fn get(&self, id: &str, limit: usize) -> Result<TaskInfo, SandboxError> {
        let tasks = self.lock();
        let task = tasks.get(id).ok_or_else(|| SandboxError::TaskNotFound { id: id.to_owned() })?;
        Ok(task.info(id, limit))
    }

    pub(crate) fn stop(&self, id: &str, limit: usize) -> Result<TaskInfo, SandboxError> {
        let mut tasks = self.lock();
        let task =
            tasks.get_mut(id).ok_or_else(|| SandboxError::TaskNotFound { id: id.to_owned() })?;
        task.stop(id)?;
        Ok(task.info(id, limit))
    }

    /// Kills every task (used by shutdown).
    pub(crate) fn clear(&self) {
        let drained: Vec<Task> = self.lock().drain().map(|(_, task)| task).collect();
        drop(drained);
    }

    /// Process group ids of all tasks, for tests.
    #[cfg(test)]
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.lock().values().map(Task::pid).collect()
    }
}
