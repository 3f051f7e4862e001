//! A small pool of pre-started interpreters, so a session start does not wait for
//! Python to boot.
//!
//! Without isolation an idle interpreter starts in its private directory and is moved
//! into the session directory by the `init` request when a session takes one, so one
//! pool serves every emulator of the process. Under bubblewrap an interpreter's mounts
//! are fixed when it starts and must name the directories it may write, so the pool
//! also creates the next session's directories ahead of time: such a pool belongs to
//! one sessions root (one emulator) and is released with it ([`release_root`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use super::files::SessionRoot;
use super::limits::Limits;
use super::python::{InterpSpec, Interpreter};
use crate::error::SandboxError;

/// How many idle interpreters [`InterpreterPool::shared`] keeps per configuration.
pub const DEFAULT_POOL_SIZE: usize = 2;

/// What the working directory of a fresh AgentCore session already holds (a
/// listing captured on the service shows these two directories).
pub(crate) const FRESH_ENTRIES: [&str; 2] = ["log", ".ipython"];

/// The directories of one session: the session directory (where its code runs and
/// its files live) and a private one beside it (captures, scripts, `TMPDIR`).
#[derive(Debug)]
pub(crate) struct SessionDirs {
    pub root: SessionRoot,
    pub private: PathBuf,
}

impl SessionDirs {
    /// Creates `root_dir/session-<id>` and `private_root/session-<id>/tmp`. Blocking.
    pub(crate) fn create(root_dir: &Path, private_root: &Path) -> Result<Self, SandboxError> {
        let id = crate::util::random_id();
        let given = root_dir.join(format!("session-{id}"));
        let private = private_root.join(format!("session-{id}"));
        let io = |what: &Path| {
            let what = what.display().to_string();
            move |source| SandboxError::io(format!("creating {what}"), source)
        };
        std::fs::create_dir_all(root_dir).map_err(io(root_dir))?;
        std::fs::create_dir(&given).map_err(io(&given))?;
        let tmp = private.join("tmp");
        // A new AgentCore session's working directory is not empty: it holds these.
        let made = std::fs::create_dir_all(&tmp)
            .map_err(io(&tmp))
            .and_then(|()| {
                FRESH_ENTRIES.iter().try_for_each(|entry| {
                    let path = given.join(entry);
                    std::fs::create_dir(&path).map_err(io(&path))
                })
            })
            .and_then(|()| std::fs::canonicalize(&given).map_err(io(&given)));
        match made {
            Ok(canonical) => Ok(SessionDirs { root: SessionRoot { given, canonical }, private }),
            Err(err) => {
                remove_dirs([&given, &private]);
                Err(err)
            }
        }
    }

    /// What a wrapped process of the session may write.
    pub(crate) fn writable(&self) -> [PathBuf; 2] {
        [self.root.canonical.clone(), self.private.clone()]
    }

    /// Removes both directories and everything in them. Blocking.
    pub(crate) fn remove(&self) {
        remove_dirs([&self.root.given, &self.private]);
    }
}

fn remove_dirs(dirs: [&Path; 2]) {
    for dir in dirs {
        if let Err(err) = std::fs::remove_dir_all(dir)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), error = %err, "removing a session directory failed");
        }
    }
}

/// An interpreter ready for a session; under isolation, with the session's directories.
struct Ready {
    interp: Interpreter,
    /// `Some` when the interpreter was started for these directories (isolation).
    dirs: Option<SessionDirs>,
}

/// An idle entry: removes its pre-created directories if no session takes it.
struct Idle(Option<Ready>);

impl Drop for Idle {
    fn drop(&mut self) {
        if let Some(Ready { interp, dirs: Some(dirs) }) = self.0.take() {
            // Kill first: the interpreter may be writing there.
            drop(interp);
            dirs.remove();
        }
    }
}

/// Pre-started interpreters for one interpreter path and set of limits; cheap to clone.
#[derive(Clone)]
pub struct InterpreterPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    spec: InterpSpec,
    /// Where sessions' directories are created ahead of time (isolated pools only).
    sessions_root: Option<PathBuf>,
    target: usize,
    idle: Mutex<Vec<Idle>>,
    starting: AtomicUsize,
    /// Released: start nothing more, keep nothing idle.
    retired: AtomicBool,
}

type PoolKey =
    (PathBuf, Limits, Option<super::isolation::Isolation>, bool, Vec<String>, Option<PathBuf>);

static SHARED: LazyLock<Mutex<HashMap<PoolKey, InterpreterPool>>> = LazyLock::new(Default::default);

impl InterpreterPool {
    /// A pool keeping `size` idle interpreters (0 disables pre-starting). Under
    /// isolation, `sessions_root` is where it creates the next sessions' directories.
    pub(crate) fn new(spec: InterpSpec, sessions_root: Option<PathBuf>, size: usize) -> Self {
        InterpreterPool {
            inner: Arc::new(PoolInner {
                spec,
                sessions_root,
                target: size,
                idle: Mutex::new(Vec::new()),
                starting: AtomicUsize::new(0),
                retired: AtomicBool::new(false),
            }),
        }
    }

    /// The process-wide pool for this interpreter and these limits; under isolation,
    /// one per `sessions_root` as well.
    pub(crate) fn shared(spec: &InterpSpec, sessions_root: &Path) -> Self {
        let sessions_root = spec.isolation.is_some().then(|| sessions_root.to_path_buf());
        let key = (
            spec.python.clone(),
            spec.limits,
            spec.isolation.clone(),
            spec.mounts.network,
            spec.preload.clone(),
            sessions_root.clone(),
        );
        let mut pools = crate::sync::lock(&SHARED);
        pools
            .entry(key)
            .or_insert_with(|| InterpreterPool::new(spec.clone(), sessions_root, DEFAULT_POOL_SIZE))
            .clone()
    }

    pub(crate) fn spec(&self) -> &InterpSpec {
        &self.inner.spec
    }

    /// The directories of a new session in `sessions_root`, and an idle interpreter
    /// if one is ready (under isolation, started for directories made ahead of
    /// time). Without one the session still starts at once, and starts its own
    /// interpreter alongside ([`InterpreterPool::replacement`]). The pool refills.
    pub(crate) async fn take_for_session(
        &self, sessions_root: &Path,
    ) -> Result<(Option<Interpreter>, SessionDirs), SandboxError> {
        let idle = self.take_idle();
        self.refill();
        match idle {
            Some(Ready { interp, dirs: Some(dirs) }) => Ok((Some(interp), dirs)),
            idle => {
                let root = sessions_root.to_path_buf();
                let private_root = self.inner.spec.private_root.clone();
                let dirs = crate::util::blocking(move || SessionDirs::create(&root, &private_root))
                    .await?;
                Ok((idle.map(|ready| ready.interp), dirs))
            }
        }
    }

    /// A fresh interpreter for a running session (after its old one died), allowed to
    /// write the session's directories under isolation.
    pub(crate) async fn replacement(
        &self, dirs: [PathBuf; 2],
    ) -> Result<Interpreter, SandboxError> {
        if self.inner.spec.isolation.is_some() {
            let spec = self.inner.spec.clone();
            return crate::util::blocking(move || Interpreter::spawn(&spec, &dirs)).await;
        }
        Ok(self.take().await?.interp)
    }

    /// An idle interpreter that is still alive, if one is ready.
    fn take_idle(&self) -> Option<Ready> {
        loop {
            let mut idle = self.lock_idle().pop()?;
            // One that died while idle is dropped here, with its directories.
            if let Some(ready) = idle.0.take_if(|ready| ready.interp.is_usable()) {
                return Some(ready);
            }
        }
    }

    /// An idle interpreter if one is ready, else a freshly started one; refills after.
    async fn take(&self) -> Result<Ready, SandboxError> {
        let pooled = self.take_idle();
        self.refill();
        match pooled {
            Some(ready) => Ok(ready),
            None => {
                let inner = Arc::clone(&self.inner);
                crate::util::blocking(move || inner.start_one(false)).await
            }
        }
    }

    /// Starts enough interpreters in the background to reach the target size.
    pub(crate) fn refill(&self) {
        let inner = &self.inner;
        loop {
            if inner.retired.load(Ordering::SeqCst) {
                return;
            }
            let have = self.lock_idle().len() + inner.starting.load(Ordering::SeqCst);
            if have >= inner.target {
                return;
            }
            inner.starting.fetch_add(1, Ordering::SeqCst);
            let worker = Arc::clone(inner);
            let started =
                std::thread::Builder::new().name("sandbox-pool".into()).spawn(move || {
                    // Nobody waits for a pooled interpreter, so it can import the
                    // preloaded modules now rather than in a session's first call.
                    match worker.start_one(true) {
                        Ok(ready) => {
                            let idle = Idle(Some(ready));
                            // Checked under the lock `retire` takes, so nothing is
                            // added after it emptied the pool (else `idle` drops here).
                            let mut pool = crate::sync::lock(&worker.idle);
                            if !worker.retired.load(Ordering::SeqCst) {
                                pool.push(idle);
                            }
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "pre-starting an interpreter failed")
                        }
                    }
                    worker.starting.fetch_sub(1, Ordering::SeqCst);
                });
            if let Err(err) = started {
                inner.starting.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!(error = %err, "could not start a pool thread");
                return;
            }
        }
    }

    /// Stops refilling and drops the idle interpreters (and their directories).
    fn retire(&self) {
        let idle = {
            let mut pool = self.lock_idle();
            self.inner.retired.store(true, Ordering::SeqCst);
            std::mem::take(&mut *pool)
        };
        drop(idle);
    }

    /// How many idle interpreters are ready.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.lock_idle().len()
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        crate::sync::lock(&self.inner.idle)
    }
}

impl PoolInner {
    /// Starts one interpreter (with its session's directories under isolation),
    /// importing the preloaded modules when `warm`. Blocking.
    fn start_one(&self, warm: bool) -> Result<Ready, SandboxError> {
        let dirs = match &self.sessions_root {
            Some(root) => Some(SessionDirs::create(root, &self.spec.private_root)?),
            None => None,
        };
        let writable: Vec<PathBuf> =
            dirs.as_ref().map(|dirs| dirs.writable().to_vec()).unwrap_or_default();
        let started = Interpreter::spawn(&self.spec, &writable).and_then(|mut interp| {
            let preload = &self.spec.preload;
            if !warm || preload.is_empty() || interp.warm(preload) {
                Ok(interp)
            } else {
                Err(SandboxError::protocol("preloading modules failed"))
            }
        });
        match started {
            Ok(interp) => Ok(Ready { interp, dirs }),
            Err(err) => {
                if let Some(dirs) = dirs {
                    dirs.remove();
                }
                Err(err)
            }
        }
    }
}

/// Releases the pools that create session directories in `sessions_root`: their idle
/// interpreters stop and their pre-created directories go. For an emulator that stops
/// (its sessions root is about to be removed). Sessions still running keep working.
pub fn release_root(sessions_root: &Path) {
    let released: Vec<InterpreterPool> = {
        let mut pools = crate::sync::lock(&SHARED);
        let keys: Vec<PoolKey> =
            pools.keys().filter(|key| key.5.as_deref() == Some(sessions_root)).cloned().collect();
        keys.iter().filter_map(|key| pools.remove(key)).collect()
    };
    for pool in released {
        pool.retire();
    }
}
