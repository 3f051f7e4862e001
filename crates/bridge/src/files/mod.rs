//! Where the bridge keeps what outlives a request: the Files API's files (uploads,
//! and files the code wrote) and the skills (`crate::skills`). Replicas share no
//! state, so for a fleet this is a store they all reach: S3 ([`s3::S3Store`]); a
//! local directory ([`LocalDir`]) serves one process.
//!
//! Both are an [`ObjectStore`]: objects under `/`-separated keys, each with a small
//! JSON description kept with it (S3: in the object's metadata), listed in key order.
//! [`Files`] is the Files API on top: file ids sort newest first, so a listing is a
//! plain walk of the keys.

mod local;
#[cfg(feature = "s3")]
pub mod s3;
mod store;

use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

pub use local::LocalDir;
pub use store::{KeyPage, ObjectStore, StoreError, StoreFuture, valid_key};

/// An id whose ids sort newest first: `prefix`, the time counted down (so later
/// ids are smaller), then random letters and digits; 24 characters after `prefix`.
pub fn new_id(prefix: &str) -> String {
    const UNTIL: u128 = 4_102_444_800_000_000; // 2100-01-01, in microseconds
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    let mut left = UNTIL.saturating_sub(now);
    let mut digits = [b'0'; 11];
    for digit in digits.iter_mut().rev() {
        let d = (left % 36) as u8;
        *digit = if d < 10 { b'0' + d } else { b'a' + d - 10 };
        left /= 36;
    }
    let random: String = crate::random_suffix().chars().take(13).collect();
    format!("{prefix}{}{random}", String::from_utf8_lossy(&digits))
}

/// A stored file, as the API describes it (`GET /v1/files/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMetadata {
    /// `file_` and 24 letters and digits.
    pub id: String,
    /// Always `"file"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name it was uploaded or written under.
    pub filename: String,
    /// Its MIME type.
    pub mime_type: String,
    /// Its size.
    pub size_bytes: u64,
    /// When it was stored (RFC 3339).
    pub created_at: String,
    /// Whether `/content` serves it: only files the code execution tool wrote are
    /// downloadable, as with the API; uploads are not.
    pub downloadable: bool,
}

/// Now, as the API writes times (RFC 3339).
pub fn now() -> String {
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    now.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

impl FileMetadata {
    /// Metadata for a new file of `size_bytes`, with a fresh id.
    pub fn new(filename: &str, mime_type: &str, size_bytes: u64, downloadable: bool) -> Self {
        Self {
            id: new_id("file_"),
            kind: "file".to_owned(),
            filename: filename.to_owned(),
            mime_type: mime_type.to_owned(),
            size_bytes,
            created_at: now(),
            downloadable,
        }
    }
}

/// Which page of a listing: the API's `limit`, and `after_id` / `before_id` (or the
/// cursor `page`, which is an `after_id`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    /// How many (1 to 1000, default 20).
    pub limit: Option<usize>,
    /// The page after this id.
    pub after_id: Option<String>,
    /// The page before this id.
    pub before_id: Option<String>,
    /// A `next_page` cursor from an earlier page.
    pub page: Option<String>,
}

/// One page of a listing, in both shapes the API has: `first_id` / `last_id` /
/// `has_more` (with the files beta) and the `next_page` cursor (without).
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items, newest first.
    pub data: Vec<T>,
    /// More items follow.
    pub has_more: bool,
    /// The first item's id.
    pub first_id: Option<String>,
    /// The last item's id.
    pub last_id: Option<String>,
    /// The cursor of the next page, when there is one.
    pub next_page: Option<String>,
}

impl PageQuery {
    /// The page size asked for, checked.
    pub fn limit(&self) -> Result<usize, String> {
        match self.limit {
            None => Ok(20),
            Some(n) if (1..=1000).contains(&n) => Ok(n),
            Some(n) => Err(format!("limit: {n} is not between 1 and 1000")),
        }
    }
}

/// One page of the ids stored as `prefix<id>`, newest first, for `query`.
pub async fn page_of_ids(
    store: &dyn ObjectStore, prefix: &str, query: &PageQuery, limit: usize,
) -> Result<(Vec<String>, bool), StoreError> {
    let strip = |key: String| key.strip_prefix(prefix).map(str::to_owned);
    if let Some(before) = &query.before_id {
        // Ids sort newest first: the page before an id is the run of ids right above
        // it; walk from the top and keep the last `limit` of them.
        let mut kept: Vec<String> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.keys(prefix, after.as_deref(), 1000).await?;
            let mut reached = false;
            for key in page.keys {
                let Some(id) = strip(key.clone()) else { continue };
                if &id >= before {
                    reached = true;
                    break;
                }
                kept.push(id);
                after = Some(key);
            }
            if reached || !page.more {
                break;
            }
        }
        let more = kept.len() > limit;
        let start = kept.len().saturating_sub(limit);
        return Ok((kept.split_off(start), more));
    }
    let after = query.after_id.as_ref().or(query.page.as_ref()).map(|id| format!("{prefix}{id}"));
    let page = store.keys(prefix, after.as_deref(), limit).await?;
    let ids = page.keys.into_iter().filter_map(strip).collect();
    Ok((ids, page.more))
}

/// The Files API's storage, on an [`ObjectStore`].
#[derive(Debug, Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
}

const FILES: &str = "files/";

fn file_key(id: &str) -> Option<String> {
    let valid = id
        .strip_prefix("file_")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()));
    valid.then(|| format!("{FILES}{id}"))
}

impl Files {
    /// Files kept in `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// Keeps `bytes` as the file `meta` describes.
    pub async fn put(&self, meta: FileMetadata, bytes: Bytes) -> Result<(), StoreError> {
        let key = file_key(&meta.id)
            .ok_or_else(|| StoreError::plain(format!("{} is not a file id", meta.id)))?;
        let json = serde_json::to_value(&meta)
            .map_err(|err| StoreError::new(format!("describing {}", meta.id), err))?;
        self.store.put(&key, &json, bytes).await
    }

    /// The metadata of `id`.
    pub async fn metadata(&self, id: &str) -> Result<Option<FileMetadata>, StoreError> {
        let Some(key) = file_key(id) else { return Ok(None) };
        let Some(json) = self.store.meta(&key).await? else { return Ok(None) };
        serde_json::from_value(json)
            .map(Some)
            .map_err(|err| StoreError::new(format!("{key} has no file metadata"), err))
    }

    /// The bytes of `id`.
    pub async fn content(&self, id: &str) -> Result<Option<Bytes>, StoreError> {
        let Some(key) = file_key(id) else { return Ok(None) };
        self.store.get(&key).await
    }

    /// Deletes `id`; false when there was no such file.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let Some(key) = file_key(id) else { return Ok(false) };
        self.store.delete(&key).await
    }

    /// One page of files, newest first.
    pub async fn list(
        &self, query: &PageQuery, limit: usize,
    ) -> Result<Page<FileMetadata>, StoreError> {
        let (ids, has_more) = page_of_ids(self.store.as_ref(), FILES, query, limit).await?;
        let found = futures::future::try_join_all(ids.iter().map(|id| self.metadata(id))).await?;
        let data: Vec<FileMetadata> = found.into_iter().flatten().collect();
        let first_id = data.first().map(|f| f.id.clone());
        let last_id = data.last().map(|f| f.id.clone());
        let next_page = if has_more { last_id.clone() } else { None };
        Ok(Page { data, has_more, first_id, last_id, next_page })
    }
}

/// The MIME type of a file the code wrote, from its extension.
pub fn mime_type(filename: &str) -> &'static str {
    let extension = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("pdf") => "application/pdf",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("html" | "htm") => "text/html",
        Some("txt" | "md" | "log" | "py") => "text/plain",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests;
