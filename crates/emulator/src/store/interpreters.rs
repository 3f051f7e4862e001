//! The custom code interpreters of the emulated account (the system one is
//! implicit), each CREATING, READY or DELETING as time passes.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// The id of the system code interpreter every account has.
pub const SYSTEM_INTERPRETER_ID: &str = "aws.codeinterpreter.v1";

/// A custom code interpreter.
#[derive(Debug, Clone)]
pub struct Interpreter {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub network_mode: String,
    pub vpc_config: Option<serde_json::Value>,
    pub execution_role_arn: Option<String>,
    pub client_token: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_updated_at: OffsetDateTime,
    /// CREATING until then, READY after.
    ready_at: Instant,
    /// Set by DeleteCodeInterpreter: DELETING until then, gone after.
    gone_at: Option<Instant>,
}

impl Interpreter {
    /// The system interpreter every account has (always READY).
    pub fn system() -> Self {
        let epoch = OffsetDateTime::UNIX_EPOCH;
        Self {
            id: SYSTEM_INTERPRETER_ID.into(),
            name: SYSTEM_INTERPRETER_ID.into(),
            description: Some("System code interpreter".into()),
            network_mode: "SANDBOX".into(),
            vpc_config: None,
            execution_role_arn: None,
            client_token: None,
            created_at: epoch,
            last_updated_at: epoch,
            ready_at: Instant::now(),
            gone_at: None,
        }
    }

    /// The status AgentCore would report now: CREATING, then READY; DELETING once
    /// deleted, then `None` (the interpreter no longer exists).
    pub fn status(&self, now: Instant) -> Option<&'static str> {
        match self.gone_at {
            Some(gone) if now >= gone => None,
            Some(_) => Some("DELETING"),
            None if now < self.ready_at => Some("CREATING"),
            None => Some("READY"),
        }
    }
}

/// The custom interpreters of the emulated account.
#[derive(Debug, Default)]
pub struct InterpreterStore {
    inner: Mutex<BTreeMap<String, Interpreter>>,
}

impl InterpreterStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Interpreter>> {
        crate::sync::lock(&self.inner)
    }

    /// The interpreter with this id, if it exists (a deleted one stops existing
    /// once its DELETING time is over).
    pub fn get(&self, id: &str) -> Option<Interpreter> {
        let mut store = self.lock();
        let interpreter = store.get(id)?;
        if interpreter.status(Instant::now()).is_none() {
            store.remove(id);
            return None;
        }
        Some(interpreter.clone())
    }

    /// True when sessions can start on the interpreter (it is READY).
    pub fn is_ready(&self, id: &str) -> bool {
        self.get(id).is_some_and(|i| i.status(Instant::now()) == Some("READY"))
    }

    /// Every interpreter that still exists, by id.
    pub fn existing(&self) -> Vec<Interpreter> {
        let now = Instant::now();
        let mut store = self.lock();
        store.retain(|_, i| i.status(now).is_some());
        store.values().cloned().collect()
    }

    /// How many custom interpreters exist.
    pub fn len(&self) -> usize {
        self.existing().len()
    }

    /// The network mode sessions of this interpreter get (`SANDBOX` for the system one).
    pub fn network_mode(&self, id: &str) -> Option<String> {
        if id == SYSTEM_INTERPRETER_ID {
            return Some("SANDBOX".into());
        }
        self.get(id).map(|i| i.network_mode)
    }
}

/// What [`InterpreterStore::create`] made of a request.
pub enum Created {
    /// A new interpreter, CREATING until its transition time has passed.
    New(Interpreter),
    /// A retry of an earlier request (same name and client token): that interpreter.
    Retried(Interpreter),
    /// Another interpreter has the name: its id.
    NameTaken(String),
}

/// What a new custom interpreter is made of.
pub struct NewInterpreter {
    pub name: String,
    pub description: Option<String>,
    pub network_mode: String,
    pub vpc_config: Option<serde_json::Value>,
    pub execution_role_arn: Option<String>,
    pub client_token: Option<String>,
}

impl InterpreterStore {
    /// Creates an interpreter named `new.name` with id `id` (READY after
    /// `transition`), unless the name is taken.
    pub fn create(&self, id: String, new: NewInterpreter, transition: Duration) -> Created {
        let now_instant = Instant::now();
        let mut store = self.lock();
        store.retain(|_, i| i.status(now_instant).is_some());
        if let Some(existing) = store.values().find(|i| i.name == new.name) {
            // A retry with the same client token is the same request (the operation
            // is idempotent).
            if new.client_token.is_some() && existing.client_token == new.client_token {
                return Created::Retried(existing.clone());
            }
            return Created::NameTaken(existing.id.clone());
        }
        let now = OffsetDateTime::now_utc();
        let interpreter = Interpreter {
            id: id.clone(),
            name: new.name,
            description: new.description,
            network_mode: new.network_mode,
            vpc_config: new.vpc_config,
            execution_role_arn: new.execution_role_arn,
            client_token: new.client_token,
            created_at: now,
            last_updated_at: now,
            ready_at: now_instant + transition,
            gone_at: None,
        };
        store.insert(id, interpreter.clone());
        Created::New(interpreter)
    }

    /// Marks interpreter `id` DELETING (gone after `transition`); false when there
    /// is no such interpreter.
    pub fn delete(&self, id: &str, transition: Duration) -> bool {
        if self.get(id).is_none() {
            return false;
        }
        let mut store = self.lock();
        if let Some(interpreter) = store.get_mut(id)
            && interpreter.gone_at.is_none()
        {
            interpreter.gone_at = Some(Instant::now() + transition);
            interpreter.last_updated_at = OffsetDateTime::now_utc();
        }
        true
    }
}
