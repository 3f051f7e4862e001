//! The code-interpreter sessions the emulator has started, live or terminated,
//! each with its sandbox and the queue of its calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sandbox::Sandbox;
use time::OffsetDateTime;
use tokio::sync::oneshot;

/// `READY` or `TERMINATED`, as AgentCore reports a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Ready,
    Terminated,
}

impl SessionStatus {
    /// The name AgentCore uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "READY",
            Self::Terminated => "TERMINATED",
        }
    }
}

/// One code-interpreter session and its sandbox.
pub struct Session {
    pub id: String,
    pub interpreter_id: String,
    pub name: Option<String>,
    pub timeout_seconds: u64,
    pub created_at: OffsetDateTime,
    deadline: Instant,
    inner: Mutex<SessionInner>,
    /// Signals when the last call queued on the session has finished.
    last_call: Mutex<Option<oneshot::Receiver<()>>>,
}

/// A call's place in its session's queue. AgentCore applies the calls of one
/// session in the order they arrive, even when a client starts a call and sends
/// the next before reading the first one's stream; [`Turn::wait`] returns once
/// every earlier call has finished, and dropping the turn lets the next one run.
pub struct Turn {
    previous: Option<oneshot::Receiver<()>>,
    _done: oneshot::Sender<()>,
}

impl Turn {
    /// Waits for the calls that arrived before this one.
    pub async fn wait(&mut self) {
        if let Some(previous) = self.previous.take() {
            // A dropped sender (the earlier call ended) is as good as a signal.
            let _ = previous.await;
        }
    }
}

struct SessionInner {
    status: SessionStatus,
    last_updated_at: OffsetDateTime,
    sandbox: Option<Arc<Sandbox>>,
}

impl Session {
    /// A READY session of `interpreter_id` on `sandbox`, ending `timeout_seconds`
    /// after now.
    pub fn new(
        id: String, interpreter_id: String, name: Option<String>, timeout_seconds: u64,
        sandbox: Sandbox,
    ) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            id,
            interpreter_id,
            name,
            timeout_seconds,
            created_at: now,
            deadline: Instant::now() + Duration::from_secs(timeout_seconds),
            inner: Mutex::new(SessionInner {
                status: SessionStatus::Ready,
                last_updated_at: now,
                sandbox: Some(Arc::new(sandbox)),
            }),
            last_call: Mutex::new(None),
        }
    }

    /// When its status last changed.
    pub fn last_updated_at(&self) -> OffsetDateTime {
        self.inner().last_updated_at
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, SessionInner> {
        crate::sync::lock(&self.inner)
    }

    /// READY or TERMINATED.
    pub fn status(&self) -> SessionStatus {
        self.inner().status
    }

    /// Takes the next place in the session's queue of calls. Not async: the place
    /// is fixed when the request arrives, not when its task first runs.
    pub fn enqueue(&self) -> Turn {
        let (done, finished) = oneshot::channel();
        let previous = crate::sync::lock(&self.last_call).replace(finished);
        Turn { previous, _done: done }
    }

    /// The sandbox of a live session.
    pub fn sandbox(&self) -> Option<Arc<Sandbox>> {
        self.inner().sandbox.clone()
    }

    fn expired(&self, now: Instant) -> bool {
        now >= self.deadline
    }

    /// Marks the session terminated and ends its sandbox's processes.
    pub async fn terminate(&self, why: &str) {
        let sandbox = {
            let mut inner = self.inner();
            if inner.status == SessionStatus::Terminated {
                return;
            }
            inner.status = SessionStatus::Terminated;
            inner.last_updated_at = OffsetDateTime::now_utc();
            inner.sandbox.take()
        };
        tracing::info!(session = %self.id, why, "session terminated");
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Every session the emulator has started, live or terminated.
#[derive(Default)]
pub struct SessionStore {
    inner: Mutex<HashMap<String, Arc<Session>>>,
}

impl SessionStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        crate::sync::lock(&self.inner)
    }

    /// The sessions of `interpreter_id` (with `status`, only those), newest first.
    pub fn of_interpreter(
        &self, interpreter_id: &str, status: Option<SessionStatus>,
    ) -> Vec<Arc<Session>> {
        let mut sessions: Vec<_> = self
            .lock()
            .values()
            .filter(|s| s.interpreter_id == interpreter_id)
            .filter(|s| status.is_none_or(|w| s.status() == w))
            .cloned()
            .collect();
        // Newest first, as the console shows them.
        sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        sessions
    }

    /// The number of READY sessions.
    pub fn live(&self) -> usize {
        self.lock().values().filter(|s| s.status() == SessionStatus::Ready).count()
    }

    /// A session by id, after ending it if its timeout has passed.
    pub async fn get(&self, id: &str) -> Option<Arc<Session>> {
        let session = self.lock().get(id).cloned()?;
        if session.status() == SessionStatus::Ready && session.expired(Instant::now()) {
            session.terminate("sessionTimeoutSeconds elapsed").await;
        }
        Some(session)
    }

    /// Adds a started session.
    pub fn insert(&self, session: Arc<Session>) {
        self.lock().insert(session.id.clone(), session);
    }

    /// Ends every live session whose timeout has passed.
    pub async fn reap_expired(&self) {
        let now = Instant::now();
        let expired: Vec<_> = self
            .lock()
            .values()
            .filter(|s| s.status() == SessionStatus::Ready && s.expired(now))
            .cloned()
            .collect();
        for session in expired {
            session.terminate("sessionTimeoutSeconds elapsed").await;
        }
    }

    /// Ends every live session of one interpreter (it is being deleted).
    pub async fn terminate_interpreter(&self, interpreter_id: &str) {
        let live: Vec<_> =
            self.lock().values().filter(|s| s.interpreter_id == interpreter_id).cloned().collect();
        for session in live {
            session.terminate("code interpreter deleted").await;
        }
    }

    /// Ends every live session (the emulator is stopping).
    pub async fn terminate_all(&self) {
        let all: Vec<_> = self.lock().values().cloned().collect();
        for session in all {
            session.terminate("emulator stopping").await;
        }
    }

    /// Drops every sandbox at once, without waiting (their `Drop` kills the processes).
    pub fn kill_all_now(&self) {
        for session in self.lock().values() {
            let mut inner = session.inner();
            inner.status = SessionStatus::Terminated;
            inner.sandbox = None;
        }
    }
}
