//! A small pool of pre-started interpreters, so a session start does not wait for
//! Python to boot. Interpreters start in their private directory and are moved into
//! the session directory by the `init` request when a session takes one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use super::SandboxError;
use super::limits::Limits;
use super::python::{InterpSpec, Interpreter};

/// How many idle interpreters [`InterpreterPool::shared`] keeps per configuration.
pub const DEFAULT_POOL_SIZE: usize = 2;

/// Pre-started interpreters for one interpreter path and set of limits; cheap to clone.
#[derive(Clone)]
pub struct InterpreterPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    spec: InterpSpec,
    target: usize,
    idle: Mutex<Vec<Interpreter>>,
    starting: AtomicUsize,
}

type PoolKey = (
    PathBuf,
    Limits,
    Option<super::isolation::Isolation>,
    bool,
    Vec<String>,
);

static SHARED: LazyLock<Mutex<HashMap<PoolKey, InterpreterPool>>> = LazyLock::new(Default::default);

impl InterpreterPool {
    /// A pool keeping `size` idle interpreters (0 disables pre-starting).
    pub(crate) fn new(spec: InterpSpec, size: usize) -> Self {
        InterpreterPool {
            inner: Arc::new(PoolInner {
                spec,
                target: size,
                idle: Mutex::new(Vec::new()),
                starting: AtomicUsize::new(0),
            }),
        }
    }

    /// The process-wide pool for this interpreter and these limits.
    pub(crate) fn shared(spec: &InterpSpec) -> Self {
        let key = (
            spec.python.clone(),
            spec.limits,
            spec.isolation.clone(),
            spec.mounts.network,
            spec.preload.clone(),
        );
        let mut pools = crate::sync::lock(&SHARED);
        pools
            .entry(key)
            .or_insert_with(|| InterpreterPool::new(spec.clone(), DEFAULT_POOL_SIZE))
            .clone()
    }

    pub(crate) fn spec(&self) -> &InterpSpec {
        &self.inner.spec
    }

    /// An idle interpreter if one is ready, else a freshly started one; refills after.
    /// Under bubblewrap the mounts are fixed at start, so every session gets a fresh
    /// interpreter that can write `writable` (its own directories), and none idle.
    pub(crate) async fn take(&self, writable: &[PathBuf]) -> Result<Interpreter, SandboxError> {
        if self.inner.spec.isolation.is_some() {
            let spec = self.inner.spec.clone();
            let writable = writable.to_vec();
            return tokio::task::spawn_blocking(move || Interpreter::spawn(&spec, &writable))
                .await
                .map_err(|join| SandboxError::Protocol {
                    message: "starting an interpreter".into(),
                    source: Some(Box::new(join)),
                })?;
        }
        let pooled = loop {
            let candidate = self.lock_idle().pop();
            match candidate {
                Some(mut interp) => {
                    if interp.is_usable() {
                        break Some(interp);
                    }
                }
                None => break None,
            }
        };
        self.refill();
        match pooled {
            Some(interp) => Ok(interp),
            None => {
                let spec = self.inner.spec.clone();
                tokio::task::spawn_blocking(move || Interpreter::spawn(&spec, &[]))
                    .await
                    .map_err(|join| SandboxError::Protocol {
                        message: "starting an interpreter".into(),
                        source: Some(Box::new(join)),
                    })?
            }
        }
    }

    /// Starts enough interpreters in the background to reach the target size.
    pub(crate) fn refill(&self) {
        let inner = &self.inner;
        loop {
            let have = self.lock_idle().len() + inner.starting.load(Ordering::SeqCst);
            if have >= inner.target {
                return;
            }
            inner.starting.fetch_add(1, Ordering::SeqCst);
            let worker = Arc::clone(inner);
            let started = std::thread::Builder::new()
                .name("sandbox-pool".into())
                .spawn(move || {
                    // Nobody waits for a pooled interpreter, so it can import the
                    // preloaded modules now rather than in a session's first call.
                    let preload = &worker.spec.preload;
                    let result = Interpreter::spawn(&worker.spec, &[]).and_then(|mut interp| {
                        if preload.is_empty() || interp.warm(preload) {
                            Ok(interp)
                        } else {
                            Err(SandboxError::protocol("preloading modules failed"))
                        }
                    });
                    match result {
                        Ok(interp) => crate::sync::lock(&worker.idle).push(interp),
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

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Interpreter>> {
        crate::sync::lock(&self.inner.idle)
    }
}
