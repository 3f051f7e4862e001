//! A turn's container: started on first use, given the request's files and skills,
//! its new output files found, and named in the response (or stopped when the turn
//! fails before the client could hear of it).

use std::collections::HashMap;

use messages::Container as ContainerInfo;

use super::{Turn, plan};
use crate::agentcore::Container;
use crate::code_execution::files;
use crate::error::ApiError;
use crate::files::FileMetadata;

impl Turn<'_> {
    /// The container, started on first use.
    pub(super) async fn container(&mut self) -> Result<Container, ApiError> {
        if let Some(container) = &self.container {
            return Ok(container.clone());
        }
        let started = self.bridge.start_container().await?;
        self.started_here = true;
        // A new container has no output files yet.
        self.reported = Some(HashMap::new());
        self.container = Some(started.clone());
        Ok(started)
    }

    /// Puts an uploaded file into the container's working directory.
    pub(super) async fn place(&mut self, meta: &FileMetadata) -> Result<(), ApiError> {
        let container = self.container().await?;
        let bytes = self
            .bridge
            .files
            .content(&meta.id)
            .await
            .map_err(|err| ApiError::api("the file store could not be read").caused_by(err))?
            .unwrap_or_default();
        files::put(&self.bridge.sessions, &container, &meta.filename, bytes.to_vec()).await
    }

    /// Puts the request's skills into the container, where the model was told they
    /// are; a skill already there in the same version is left as it is.
    pub(super) async fn load_skills(&mut self) -> Result<(), ApiError> {
        if self.plan.skills.is_empty() {
            return Ok(());
        }
        let container = self.container().await?;
        let sessions = &self.bridge.sessions;
        for skill in &self.plan.skills {
            let folder = skill.folder();
            let marker = format!("{folder}/.bridge-version");
            let version = skill.loaded.version.version.as_bytes();
            if files::read(sessions, &container, &marker).await?.as_deref() == Some(version) {
                continue;
            }
            for (path, bytes) in &skill.loaded.files {
                files::put(sessions, &container, &format!("{folder}/{path}"), bytes.clone())
                    .await?;
            }
            files::put(sessions, &container, &marker, version.to_vec()).await?;
        }
        Ok(())
    }

    /// Files new or changed in the output directory since the last look, stored for
    /// download; their ids.
    pub(super) async fn new_outputs(&mut self) -> Result<Vec<String>, ApiError> {
        let container = self.container().await?;
        let bridge = self.bridge;
        let sessions = &bridge.sessions;
        let listed = files::list_outputs(sessions, &container).await?;
        let Some(reported) = self.reported.as_mut() else {
            // The first look in this request: what is there came before it.
            self.reported = Some(listed.into_iter().collect());
            return Ok(Vec::new());
        };
        let mut ids = Vec::new();
        for (name, signature) in listed {
            if reported.get(&name) == Some(&signature) {
                continue;
            }
            reported.insert(name.clone(), signature);
            let path = format!("{}/{name}", files::OUTPUT_DIR);
            let Some(bytes) = files::read(sessions, &container, &path).await? else { continue };
            let mime = crate::files::mime_type(&name);
            let meta = FileMetadata::new(&name, mime, bytes.len() as u64, true);
            let id = meta.id.clone();
            bridge
                .files
                .put(meta, bytes.into())
                .await
                .map_err(|err| ApiError::api(format!("storing {path}")).caused_by(err))?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// The container as the response names it, if the turn has one.
    pub(super) async fn container_info(&self) -> Option<ContainerInfo> {
        let container = self.container.as_ref()?;
        let expires_at = match self.bridge.sessions.expires_at(container).await {
            Ok(at) => Some(at),
            Err(err) => {
                tracing::warn!(%err, "could not read the container's expiry");
                None
            }
        };
        let skills = (!self.plan.skills.is_empty())
            .then(|| self.plan.skills.iter().map(plan::SkillUse::reference).collect());
        Some(ContainerInfo { id: container.id(), expires_at, skills })
    }

    /// A container this turn started and nobody will hear of is stopped.
    pub(super) async fn abandon(&self) {
        if let (true, Some(container)) = (self.started_here, &self.container)
            && let Err(err) = self.bridge.sessions.stop(container).await
        {
            tracing::warn!(container = container.id(), %err, "could not stop a container");
        }
    }
}
