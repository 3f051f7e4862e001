//! The IAM roles of the emulated account, with their inline policies.

use std::collections::BTreeMap;
use std::sync::Mutex;

use time::OffsetDateTime;

/// An IAM role with its inline policies.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_at: OffsetDateTime,
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: u32,
    pub policies: BTreeMap<String, String>,
}

/// The roles of the emulated account.
#[derive(Debug, Default)]
pub struct IamStore {
    roles: Mutex<BTreeMap<String, Role>>,
}

impl IamStore {
    /// The roles, by name, locked.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Role>> {
        crate::sync::lock(&self.roles)
    }

    /// How many roles exist.
    pub fn role_count(&self) -> usize {
        self.lock().len()
    }

    /// A role by name.
    pub fn role(&self, name: &str) -> Option<Role> {
        self.lock().get(name).cloned()
    }
}
