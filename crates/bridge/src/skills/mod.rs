//! Custom Agent Skills: folders with a `SKILL.md` (front matter `name` and
//! `description`) and whatever scripts and files it refers to, uploaded with
//! `POST /v1/skills` and loaded into a container by a request's `container.skills`.
//!
//! Kept in the bridge's [`ObjectStore`], as files are, so every replica of a fleet
//! sees every skill: `skills/<skill id>` describes a skill, and
//! `skills/<skill id>/versions/<version>` holds one version, its description and
//! its files (one object, so a version is never seen half written).

mod bundle;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use bundle::{Bundle, BundleError};

use crate::files::{ObjectStore, StoreError, new_id, now};

/// Where a skill comes from (`{"type": "custom"}`: every skill here is the user's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `custom`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A skill, as the API describes it: the current shape (`display_name`,
/// `latest_version_id`, `source` as an object), and the first beta's names of the
/// same facts beside it (`display_title`, `latest_version`), for older SDKs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// `skill_` and 24 letters and digits.
    pub id: String,
    /// Always `"skill"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its label: the one given, else its `SKILL.md`'s name.
    pub display_name: String,
    /// The same, under the first beta's name.
    pub display_title: String,
    /// The id of its newest version (`skillver_...`).
    pub latest_version_id: Option<String>,
    /// Its newest version's number, under the first beta's name.
    pub latest_version: Option<String>,
    /// `{"type": "custom"}`.
    pub source: Source,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When a version was last added or removed.
    pub updated_at: String,
}

/// One version of a skill, as the API describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillVersion {
    /// `skillver_`, the version number and 8 letters.
    pub id: String,
    /// Always `"skill_version"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The skill it belongs to.
    pub skill_id: String,
    /// The version number: microseconds since the epoch when it was made (16 digits).
    pub version: String,
    /// `name` of its `SKILL.md`.
    pub name: String,
    /// `description` of its `SKILL.md`.
    pub description: String,
    /// The top folder of its files.
    pub directory: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// The version number a version id or number names (`skillver_<16 digits>...`).
pub fn version_number(version: &str) -> Option<String> {
    let digits =
        version.strip_prefix("skillver_").map_or(version, |rest| rest.get(..16).unwrap_or(""));
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.to_owned())
}

/// What is stored for a version: its description and its files.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    version: SkillVersion,
    /// Paths below `directory`, and their bytes (base64).
    files: Vec<(String, String)>,
}

/// A version loaded to go into a container.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Its description.
    pub version: SkillVersion,
    /// Its files: paths below the skill's directory, and their bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Why a skill operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The upload is not a skill.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// A stored record does not parse.
    #[error("{0} is not a skill record")]
    Corrupt(String, #[source] serde_json::Error),
}

/// The skills of a store.
#[derive(Debug, Clone)]
pub struct Skills {
    store: Arc<dyn ObjectStore>,
}

const SKILLS: &str = "skills/";

fn valid_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn skill_key(id: &str) -> Option<String> {
    valid_id(id, "skill_").then(|| format!("{SKILLS}{id}"))
}

fn version_key(id: &str, version: &str) -> Option<String> {
    let valid = valid_id(id, "skill_")
        && !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit());
    valid.then(|| format!("{SKILLS}{id}/versions/{version}"))
}

fn micros_now() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("{micros:016}")
}

impl Skills {
    /// Skills kept in `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    async fn put_skill(&self, skill: &Skill) -> Result<(), SkillError> {
        let key = skill_key(&skill.id).unwrap_or_default();
        let meta = serde_json::to_value(skill).unwrap_or(Value::Null);
        Ok(self.store.put(&key, &meta, Bytes::new()).await?)
    }

    /// A new skill with its first version, made of `bundle`, labelled `display_name`
    /// (else by its `SKILL.md`'s name).
    pub async fn create(
        &self, display_name: Option<String>, bundle: Bundle,
    ) -> Result<Skill, SkillError> {
        let now = now();
        let label = display_name.unwrap_or_else(|| bundle.name.clone());
        let mut skill = Skill {
            id: new_id("skill_"),
            kind: "skill".to_owned(),
            display_name: label.clone(),
            display_title: label,
            latest_version_id: None,
            latest_version: None,
            source: Source { kind: "custom".to_owned() },
            created_at: now.clone(),
            updated_at: now,
        };
        self.add_version(&mut skill, bundle).await?;
        Ok(skill)
    }

    /// Adds a version made of `bundle` to `skill` (and records it as the latest).
    pub async fn add_version(
        &self, skill: &mut Skill, bundle: Bundle,
    ) -> Result<SkillVersion, SkillError> {
        let number = micros_now();
        let random: String =
            crate::random_suffix().chars().filter(char::is_ascii_alphabetic).take(8).collect();
        let version = SkillVersion {
            id: format!("skillver_{number}{random}"),
            kind: "skill_version".to_owned(),
            skill_id: skill.id.clone(),
            version: number,
            name: bundle.name.clone(),
            description: bundle.description.clone(),
            directory: bundle.directory.clone(),
            created_at: now(),
        };
        let files =
            bundle.files.into_iter().map(|(path, bytes)| (path, BASE64.encode(bytes))).collect();
        let stored = Stored { version: version.clone(), files };
        let bytes = serde_json::to_vec(&stored).unwrap_or_default();
        let key = version_key(&skill.id, &version.version).unwrap_or_default();
        self.store.put(&key, &json!({"version": version.version}), bytes.into()).await?;
        skill.latest_version = Some(version.version.clone());
        skill.latest_version_id = Some(version.id.clone());
        skill.updated_at = version.created_at.clone();
        self.put_skill(skill).await?;
        Ok(version)
    }

    /// The skill `id`.
    pub async fn get(&self, id: &str) -> Result<Option<Skill>, SkillError> {
        let Some(key) = skill_key(id) else { return Ok(None) };
        let Some(meta) = self.store.meta(&key).await? else { return Ok(None) };
        serde_json::from_value(meta).map(Some).map_err(|err| SkillError::Corrupt(key, err))
    }

    /// One page of skills, newest first: (skills, more follow).
    pub async fn list(
        &self, after: Option<&str>, limit: usize,
    ) -> Result<(Vec<Skill>, bool), SkillError> {
        // Skill records and their versions share the prefix; walk past the versions.
        let mut skills = Vec::new();
        let mut cursor = after.and_then(skill_key).map(|key| format!("{key}/~"));
        loop {
            let page = self.store.keys(SKILLS, cursor.as_deref(), limit.max(1) * 4).await?;
            for key in &page.keys {
                let id = &key[SKILLS.len()..];
                if id.contains('/') {
                    continue;
                }
                if skills.len() == limit {
                    return Ok((skills, true));
                }
                if let Some(skill) = self.get(id).await? {
                    skills.push(skill);
                }
            }
            match page.keys.last() {
                Some(last) if page.more => cursor = Some(last.clone()),
                _ => return Ok((skills, false)),
            }
        }
    }

    /// Every version of `id`, newest first.
    pub async fn versions(&self, id: &str) -> Result<Vec<SkillVersion>, SkillError> {
        let Some(key) = skill_key(id) else { return Ok(Vec::new()) };
        let prefix = format!("{key}/versions/");
        let mut numbers = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.keys(&prefix, after.as_deref(), 1000).await?;
            after = page.keys.last().cloned();
            numbers.extend(page.keys.iter().map(|k| k[prefix.len()..].to_owned()));
            if !page.more {
                break;
            }
        }
        numbers.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| b.cmp(a)));
        let mut versions = Vec::with_capacity(numbers.len());
        for number in numbers {
            if let Some(loaded) = self.version(id, &number).await? {
                versions.push(loaded.version);
            }
        }
        Ok(versions)
    }

    /// Version `version` of `id` (its id, its number, or `latest`), with its files.
    pub async fn version(&self, id: &str, version: &str) -> Result<Option<Loaded>, SkillError> {
        let version = if version == "latest" {
            match self.get(id).await?.and_then(|s| s.latest_version) {
                Some(latest) => latest,
                None => return Ok(None),
            }
        } else {
            match version_number(version) {
                Some(number) => number,
                None => return Ok(None),
            }
        };
        let Some(key) = version_key(id, &version) else { return Ok(None) };
        let Some(bytes) = self.store.get(&key).await? else { return Ok(None) };
        let stored: Stored =
            serde_json::from_slice(&bytes).map_err(|err| SkillError::Corrupt(key.clone(), err))?;
        let files = stored
            .files
            .into_iter()
            .filter_map(|(path, data)| Some((path, BASE64.decode(data).ok()?)))
            .collect();
        Ok(Some(Loaded { version: stored.version, files }))
    }

    /// Deletes version `version` of `id`; false when there was none. The skill's
    /// latest version becomes the newest one left.
    pub async fn delete_version(&self, id: &str, version: &str) -> Result<bool, SkillError> {
        let Some(number) = version_number(version) else { return Ok(false) };
        let Some(key) = version_key(id, &number) else { return Ok(false) };
        if !self.store.delete(&key).await? {
            return Ok(false);
        }
        if let Some(mut skill) = self.get(id).await? {
            let newest = self.versions(id).await?.into_iter().next();
            skill.latest_version = newest.as_ref().map(|v| v.version.clone());
            skill.latest_version_id = newest.map(|v| v.id);
            skill.updated_at = now();
            self.put_skill(&skill).await?;
        }
        Ok(true)
    }

    /// Deletes skill `id` once it has no versions: `Ok(None)` when there was no such
    /// skill, `Ok(Some(false))` while it still has versions.
    pub async fn delete(&self, id: &str) -> Result<Option<bool>, SkillError> {
        let Some(key) = skill_key(id) else { return Ok(None) };
        if self.get(id).await?.is_none() {
            return Ok(None);
        }
        if !self.versions(id).await?.is_empty() {
            return Ok(Some(false));
        }
        Ok(Some(self.store.delete(&key).await?))
    }
}

#[cfg(test)]
mod tests;
