//! The Skills API: `POST`/`GET /v1/skills`, `GET`/`DELETE /v1/skills/{id}`,
//! `POST`/`GET /v1/skills/{id}/versions`, `GET`/`DELETE
//! /v1/skills/{id}/versions/{version}`. Skills are custom ones, kept in the bridge's
//! store (`crate::skills`); the key is checked by the layer in front of every route.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::answer;
use crate::Bridge;
use crate::error::ApiError;
use crate::skills::{Bundle, SkillError};

fn failed(err: SkillError) -> ApiError {
    match err {
        SkillError::Bundle(err) => ApiError::invalid_request(err.to_string()),
        other => {
            tracing::warn!(error = %other, "the skill store failed");
            ApiError::api(other.to_string()).caused_by(other)
        }
    }
}

fn no_skill(id: &str) -> ApiError {
    ApiError::not_found(format!("Skill `{id}` not found."))
}

/// A multipart upload: `display_name` (or the first beta's `display_title`), and the
/// skill's files (`files[]` parts named by their paths, or one zip).
async fn read_form(mut form: Multipart) -> Result<(Option<String>, Bundle), ApiError> {
    let bad = |err: axum::extract::multipart::MultipartError| {
        ApiError::invalid_request(format!("the upload is not a valid multipart form: {err}"))
    };
    let (mut title, mut parts) = (None, Vec::new());
    while let Some(part) = form.next_field().await.map_err(bad)? {
        match part.name().unwrap_or_default() {
            "display_name" | "display_title" => title = Some(part.text().await.map_err(bad)?),
            "files" | "files[]" | "file" => {
                let path = part.file_name().unwrap_or_default().to_owned();
                parts.push((path, part.bytes().await.map_err(bad)?.to_vec()));
            }
            _ => {}
        }
    }
    let bundle =
        Bundle::from_parts(parts).map_err(|err| ApiError::invalid_request(err.to_string()))?;
    Ok((title.filter(|t| !t.is_empty()), bundle))
}

/// `POST /v1/skills`: a skill and its first version.
pub async fn create(State(bridge): State<Arc<Bridge>>, form: Multipart) -> Response {
    answer(
        async {
            let (title, bundle) = read_form(form).await?;
            let skill = bridge.skills.create(title, bundle).await.map_err(failed)?;
            Ok(Json(skill).into_response())
        }
        .await,
    )
}

/// The query of a skills listing.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
    page: Option<String>,
    source: Option<String>,
}

fn limit_of(limit: Option<usize>, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(20),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid_request(format!("limit: {n} is not between 1 and {max}"))),
    }
}

/// `GET /v1/skills?limit=&page=&source=`: newest first.
pub async fn list(State(bridge): State<Arc<Bridge>>, Query(query): Query<ListQuery>) -> Response {
    answer(
        async {
            let limit = limit_of(query.limit, 100)?;
            // Every skill here is a custom one.
            if query.source.as_deref().is_some_and(|s| s != "custom") {
                return Ok(
                    Json(json!({"data": [], "has_more": false, "next_page": null})).into_response()
                );
            }
            let (skills, has_more) =
                bridge.skills.list(query.page.as_deref(), limit).await.map_err(failed)?;
            let next_page = has_more.then(|| skills.last().map(|s| s.id.clone())).flatten();
            Ok(Json(json!({"data": skills, "has_more": has_more, "next_page": next_page}))
                .into_response())
        }
        .await,
    )
}

/// `GET /v1/skills/{id}`.
pub async fn get(State(bridge): State<Arc<Bridge>>, Path(id): Path<String>) -> Response {
    answer(
        async {
            let skill =
                bridge.skills.get(&id).await.map_err(failed)?.ok_or_else(|| no_skill(&id))?;
            Ok(Json(skill).into_response())
        }
        .await,
    )
}

/// `DELETE /v1/skills/{id}`: once its versions are deleted.
pub async fn delete(State(bridge): State<Arc<Bridge>>, Path(id): Path<String>) -> Response {
    answer(
        async {
            match bridge.skills.delete(&id).await.map_err(failed)? {
                None => Err(no_skill(&id)),
                Some(false) => Err(ApiError::invalid_request(format!(
                    "Skill `{id}` still has versions: delete them first (DELETE /v1/skills/{id}/versions/{{version}})"
                ))),
                Some(true) => Ok(Json(json!({"id": id, "type": "skill_deleted"})).into_response()),
            }
        }
        .await,
    )
}

/// `POST /v1/skills/{id}/versions`: a new version, which becomes the latest.
pub async fn create_version(
    State(bridge): State<Arc<Bridge>>, Path(id): Path<String>, form: Multipart,
) -> Response {
    answer(
        async {
            let mut skill =
                bridge.skills.get(&id).await.map_err(failed)?.ok_or_else(|| no_skill(&id))?;
            let (_, bundle) = read_form(form).await?;
            let version = bridge.skills.add_version(&mut skill, bundle).await.map_err(failed)?;
            Ok(Json(version).into_response())
        }
        .await,
    )
}

/// `GET /v1/skills/{id}/versions?limit=&page=`: newest first.
pub async fn list_versions(
    State(bridge): State<Arc<Bridge>>, Path(id): Path<String>, Query(query): Query<ListQuery>,
) -> Response {
    answer(
        async {
            let limit = limit_of(query.limit, 1000)?;
            bridge.skills.get(&id).await.map_err(failed)?.ok_or_else(|| no_skill(&id))?;
            let versions = bridge.skills.versions(&id).await.map_err(failed)?;
            let start = match &query.page {
                Some(after) => versions
                    .iter()
                    .position(|v| &v.version == after || &v.id == after)
                    .map_or(versions.len(), |i| i + 1),
                None => 0,
            };
            let page: Vec<_> = versions.iter().skip(start).take(limit).cloned().collect();
            let has_more = start + page.len() < versions.len();
            let next_page = has_more.then(|| page.last().map(|v| v.id.clone())).flatten();
            Ok(Json(json!({"data": page, "has_more": has_more, "next_page": next_page}))
                .into_response())
        }
        .await,
    )
}

fn numbered(version: &str) -> Result<(), ApiError> {
    match crate::skills::version_number(version) {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid_request(format!(
            "version: {version:?} is not a version id or number (use one from GET /v1/skills/{{id}}/versions)"
        ))),
    }
}

/// `GET /v1/skills/{id}/versions/{version}`.
pub async fn get_version(
    State(bridge): State<Arc<Bridge>>, Path((id, version)): Path<(String, String)>,
) -> Response {
    answer(
        async {
            numbered(&version)?;
            let loaded = bridge.skills.version(&id, &version).await.map_err(failed)?;
            let loaded = loaded.ok_or_else(|| {
                ApiError::not_found(format!("Version {version} of skill `{id}` not found."))
            })?;
            Ok(Json(loaded.version).into_response())
        }
        .await,
    )
}

/// `DELETE /v1/skills/{id}/versions/{version}`.
pub async fn delete_version(
    State(bridge): State<Arc<Bridge>>, Path((id, version)): Path<(String, String)>,
) -> Response {
    answer(
        async {
            numbered(&version)?;
            if !bridge.skills.delete_version(&id, &version).await.map_err(failed)? {
                return Err(ApiError::not_found(format!(
                    "Version {version} of skill `{id}` not found."
                )));
            }
            Ok(Json(json!({"id": version, "type": "skill_version_deleted"})).into_response())
        }
        .await,
    )
}
