//! Background commands (`startCommandExecution`, `getTask`, `stopTask`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Child;
use std::sync::Mutex;

use super::capture::read_capped;
use super::limits;
use super::{SandboxError, TaskInfo, TaskStatus};

/// One background `sh -c` process group and its output files.
pub(crate) struct Task {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
    status: TaskStatus,
    exit_code: Option<i32>,
}

impl Task {
    pub(crate) fn new(child: Child, stdout: PathBuf, stderr: PathBuf) -> Self {
        Task { child, stdout, stderr, status: TaskStatus::Working, exit_code: None }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Picks up the exit status if the process finished since the last look.
    fn poll(&mut self) {
        if self.status != TaskStatus::Working {
            return;
        }
        match self.child.try_wait() {
            Ok(Some(status)) => {
                let code = limits::exit_code(status);
                self.exit_code = Some(code);
                self.status = if code == 0 { TaskStatus::Completed } else { TaskStatus::Failed };
            }
            Ok(None) => {}
            Err(err) => {
                tracing::debug!(error = %err, "polling a task failed");
                self.status = TaskStatus::Failed;
            }
        }
    }

    fn info(&self, id: &str, limit: usize) -> TaskInfo {
        TaskInfo {
            task_id: id.to_owned(),
            status: self.status,
            stdout: read_capped(&self.stdout, limit).text,
            stderr: read_capped(&self.stderr, limit).text,
            exit_code: self.exit_code,
        }
    }

    /// Kills the group; a task that already finished keeps its status.
    fn stop(&mut self) {
        self.poll();
        if self.status == TaskStatus::Working {
            limits::kill_group(self.pid());
            // SIGKILL was just sent, so this wait is short.
            let status = self.child.wait().ok();
            self.exit_code = status.map(limits::exit_code);
            self.status = TaskStatus::Canceled;
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.poll();
        // Leftover background children of a finished task die with the session too.
        limits::kill_group(self.pid());
        if self.status == TaskStatus::Working {
            let _ = self.child.wait();
        }
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
        let mut tasks = self.lock();
        let task =
            tasks.get_mut(id).ok_or_else(|| SandboxError::TaskNotFound { id: id.to_owned() })?;
        task.poll();
        Ok(task.info(id, limit))
    }

    pub(crate) fn stop(&self, id: &str, limit: usize) -> Result<TaskInfo, SandboxError> {
        let mut tasks = self.lock();
        let task =
            tasks.get_mut(id).ok_or_else(|| SandboxError::TaskNotFound { id: id.to_owned() })?;
        task.stop();
        Ok(task.info(id, limit))
    }

    /// Kills and reaps every task (used by shutdown).
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
