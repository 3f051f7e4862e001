//! The Files API: `POST /v1/files`, `GET /v1/files`, `GET /v1/files/{id}`,
//! `GET /v1/files/{id}/content`, `DELETE /v1/files/{id}`. The key is checked by the
//! layer in front of every route.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::answer;
use crate::Bridge;
use crate::error::ApiError;
use crate::files::{FileMetadata, PageQuery, StoreError};

fn store_failed(err: StoreError) -> ApiError {
    tracing::warn!(error = %err, "file store failed");
    ApiError::api(err.to_string()).caused_by(err)
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("File `{id}` not found."))
}

async fn metadata_of(bridge: &Bridge, id: &str) -> Result<FileMetadata, ApiError> {
    bridge.files.metadata(id).await.map_err(store_failed)?.ok_or_else(|| not_found(id))
}

/// `POST /v1/files`: a multipart form whose `file` part is the file.
pub async fn upload(State(bridge): State<Arc<Bridge>>, mut form: Multipart) -> Response {
    answer(
        async {
            let bad_form = |err: axum::extract::multipart::MultipartError| {
                ApiError::invalid_request(format!(
                    "the upload is not a valid multipart form: {err}"
                ))
            };
            while let Some(part) = form.next_field().await.map_err(bad_form)? {
                if part.name() != Some("file") {
                    continue;
                }
                let filename = part.file_name().unwrap_or("upload").to_owned();
                let mime = part.content_type().unwrap_or("application/octet-stream").to_owned();
                let bytes = part.bytes().await.map_err(bad_form)?;
                let meta = FileMetadata::new(&filename, &mime, bytes.len() as u64, false);
                bridge.files.put(meta.clone(), bytes).await.map_err(store_failed)?;
                return Ok(Json(meta).into_response());
            }
            Err(ApiError::invalid_request("file: field required (a multipart part named `file`)"))
        }
        .await,
    )
}

/// `GET /v1/files?limit=&after_id=&before_id=` (or `page=`): newest first, with both
/// of the API's paging shapes (`first_id` / `last_id` / `has_more`, and `next_page`).
pub async fn list(State(bridge): State<Arc<Bridge>>, Query(query): Query<PageQuery>) -> Response {
    answer(
        async {
            let limit = query.limit().map_err(ApiError::invalid_request)?;
            let page = bridge.files.list(&query, limit).await.map_err(store_failed)?;
            Ok(Json(page).into_response())
        }
        .await,
    )
}

/// `GET /v1/files/{id}`.
pub async fn metadata(State(bridge): State<Arc<Bridge>>, Path(id): Path<String>) -> Response {
    answer(async { Ok(Json(metadata_of(&bridge, &id).await?).into_response()) }.await)
}

/// `GET /v1/files/{id}/content`: only files the code execution tool wrote.
pub async fn content(State(bridge): State<Arc<Bridge>>, Path(id): Path<String>) -> Response {
    answer(
        async {
            let meta = metadata_of(&bridge, &id).await?;
            if !meta.downloadable {
                return Err(ApiError::invalid_request(format!(
                    "File {id} is not downloadable: only files created by the code execution tool can be downloaded"
                )));
            }
            let bytes =
                bridge.files.content(&id).await.map_err(store_failed)?.ok_or_else(|| not_found(&id))?;
            let mut response = bytes.into_response();
            if let Ok(mime) = HeaderValue::from_str(&meta.mime_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, mime);
            }
            Ok(response)
        }
        .await,
    )
}

/// `DELETE /v1/files/{id}`.
pub async fn delete(State(bridge): State<Arc<Bridge>>, Path(id): Path<String>) -> Response {
    answer(
        async {
            if !bridge.files.delete(&id).await.map_err(store_failed)? {
                return Err(not_found(&id));
            }
            Ok(Json(json!({"id": id, "type": "file_deleted"})).into_response())
        }
        .await,
    )
}
