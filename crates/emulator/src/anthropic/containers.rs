//! Code-execution containers of the Anthropic API: a sandbox that a later request
//! can reuse by naming its id, kept for an hour after its last use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::sandbox::{Sandbox, SandboxConfig, SandboxError};

/// How long an idle container is kept.
pub const CONTAINER_IDLE_TTL: Duration = Duration::from_secs(60 * 60);

struct Container {
    sandbox: Arc<Sandbox>,
    last_used: Instant,
    expires_at: OffsetDateTime,
}

/// The live containers.
#[derive(Default)]
pub struct ContainerStore {
    inner: Mutex<HashMap<String, Container>>,
}

/// A container lent to one request.
pub struct Lease {
    pub id: String,
    pub sandbox: Arc<Sandbox>,
    pub expires_at: OffsetDateTime,
}

impl ContainerStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Container>> {
        crate::sync::lock(&self.inner)
    }

    /// How many containers are live.
    pub fn live(&self) -> usize {
        self.lock().len()
    }

    /// The container `id`, its lifetime renewed; `None` when unknown or expired.
    pub fn reuse(&self, id: &str) -> Option<Lease> {
        let mut containers = self.lock();
        let container = containers.get_mut(id)?;
        if container.last_used.elapsed() >= CONTAINER_IDLE_TTL {
            containers.remove(id);
            return None;
        }
        container.last_used = Instant::now();
        container.expires_at = OffsetDateTime::now_utc() + CONTAINER_IDLE_TTL;
        Some(Lease {
            id: id.to_owned(),
            sandbox: Arc::clone(&container.sandbox),
            expires_at: container.expires_at,
        })
    }

    /// A new container with a fresh sandbox.
    pub async fn create(&self, config: &SandboxConfig) -> Result<Lease, SandboxError> {
        let sandbox = Arc::new(Sandbox::start(config).await?);
        let id = format!("container_{}", crate::config::random_token(24));
        let expires_at = OffsetDateTime::now_utc() + CONTAINER_IDLE_TTL;
        self.lock().insert(
            id.clone(),
            Container { sandbox: Arc::clone(&sandbox), last_used: Instant::now(), expires_at },
        );
        tracing::info!(container = %id, "code-execution container created");
        Ok(Lease { id, sandbox, expires_at })
    }

    /// Ends the containers idle for longer than [`CONTAINER_IDLE_TTL`].
    pub async fn reap_expired(&self) {
        let expired: Vec<Arc<Sandbox>> = {
            let mut containers = self.lock();
            let ids: Vec<String> = containers
                .iter()
                .filter(|(_, c)| c.last_used.elapsed() >= CONTAINER_IDLE_TTL)
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| containers.remove(id)).map(|c| c.sandbox).collect()
        };
        for sandbox in expired {
            sandbox.shutdown().await;
        }
    }

    /// Ends every container now (the emulator is stopping).
    pub async fn shutdown_all(&self) {
        let all: Vec<Arc<Sandbox>> = self.lock().drain().map(|(_, c)| c.sandbox).collect();
        for sandbox in all {
            sandbox.shutdown().await;
        }
    }

    /// Drops every container at once; their sandboxes' `Drop` kills the processes.
    pub fn kill_all_now(&self) {
        self.lock().clear();
    }
}
