//! The Files API's storage: what `POST /v1/files` keeps, what `container_upload`
//! blocks put into a container, and where files the code writes are kept for
//! download. Behind a small trait so another store (S3, say) can replace the local
//! directory without touching the rest.

use std::fmt::Debug;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

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

impl FileMetadata {
    /// Metadata for a new file of `size_bytes`, with a fresh id.
    pub fn new(filename: &str, mime_type: &str, size_bytes: u64, downloadable: bool) -> Self {
        let suffix = crate::random_suffix();
        let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
        Self {
            id: format!("file_{suffix}"),
            kind: "file".to_owned(),
            filename: filename.to_owned(),
            mime_type: mime_type.to_owned(),
            size_bytes,
            created_at: now
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned()),
            downloadable,
        }
    }
}

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
#[error("file store: {what}")]
pub struct StoreError {
    what: String,
    #[source]
    source: Option<std::io::Error>,
}

impl StoreError {
    fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self { what: what.into(), source: Some(source) }
    }
}

/// A store's answer, boxed so the trait can be used as `dyn FileStore`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where files live. Ids are the store's keys; `None` is "no such file".
pub trait FileStore: Send + Sync + Debug {
    /// Keeps `bytes` under `meta.id`.
    fn put(&self, meta: FileMetadata, bytes: Bytes) -> StoreFuture<'_, ()>;
    /// The metadata of `id`.
    fn metadata<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<FileMetadata>>;
    /// The bytes of `id`.
    fn content<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Bytes>>;
    /// Deletes `id`; false when there was no such file.
    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool>;
    /// Every file, newest first.
    fn list(&self) -> StoreFuture<'_, Vec<FileMetadata>>;
}

/// Files in a local directory: `<id>` holds the bytes, `<id>.json` the metadata.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// A store in `root`, created when first written.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The path of `id`'s bytes, or `None` for an id that is not one of ours (so
    /// no request can name a path outside the directory).
    fn path(&self, id: &str) -> Option<PathBuf> {
        let valid = id.strip_prefix("file_").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
        });
        valid.then(|| self.root.join(id))
    }
}

fn missing_is_none<T>(result: std::io::Result<T>) -> std::io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

impl FileStore for LocalDir {
    fn put(&self, meta: FileMetadata, bytes: Bytes) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let path = self.path(&meta.id).ok_or_else(|| StoreError {
                what: format!("{} is not a file id", meta.id),
                source: None,
            })?;
            tokio::fs::create_dir_all(&self.root)
                .await
                .map_err(|err| StoreError::io(format!("creating {}", self.root.display()), err))?;
            let json = serde_json::to_vec(&meta).map_err(|err| StoreError {
                what: format!("encoding the metadata of {}: {err}", meta.id),
                source: None,
            })?;
            tokio::fs::write(&path, &bytes)
                .await
                .map_err(|err| StoreError::io(format!("writing {}", path.display()), err))?;
            // The metadata last: a file is listed only once its bytes are complete.
            let meta_path = path.with_extension("json");
            tokio::fs::write(&meta_path, json)
                .await
                .map_err(|err| StoreError::io(format!("writing {}", meta_path.display()), err))
        })
    }

    fn metadata<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<FileMetadata>> {
        Box::pin(async move {
            let Some(path) = self.path(id) else { return Ok(None) };
            let meta_path = path.with_extension("json");
            let Some(json) = missing_is_none(tokio::fs::read(&meta_path).await)
                .map_err(|err| StoreError::io(format!("reading {}", meta_path.display()), err))?
            else {
                return Ok(None);
            };
            serde_json::from_slice(&json).map(Some).map_err(|err| StoreError {
                what: format!("{} is not file metadata: {err}", meta_path.display()),
                source: None,
            })
        })
    }

    fn content<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let Some(path) = self.path(id) else { return Ok(None) };
            missing_is_none(tokio::fs::read(&path).await)
                .map(|bytes| bytes.map(Bytes::from))
                .map_err(|err| StoreError::io(format!("reading {}", path.display()), err))
        })
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let Some(path) = self.path(id) else { return Ok(false) };
            let meta_path = path.with_extension("json");
            let existed = missing_is_none(tokio::fs::remove_file(&meta_path).await)
                .map_err(|err| StoreError::io(format!("deleting {}", meta_path.display()), err))?
                .is_some();
            missing_is_none(tokio::fs::remove_file(&path).await)
                .map_err(|err| StoreError::io(format!("deleting {}", path.display()), err))?;
            Ok(existed)
        })
    }

    fn list(&self) -> StoreFuture<'_, Vec<FileMetadata>> {
        Box::pin(async move {
            let mut files = Vec::new();
            let Some(mut entries) = missing_is_none(tokio::fs::read_dir(&self.root).await)
                .map_err(|err| StoreError::io(format!("listing {}", self.root.display()), err))?
            else {
                return Ok(files);
            };
            while let Some(entry) = entries
                .next_entry()
                .await
                .map_err(|err| StoreError::io(format!("listing {}", self.root.display()), err))?
            {
                let name = entry.file_name();
                let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                    continue;
                };
                if let Some(meta) = self.metadata(id).await? {
                    files.push(meta);
                }
            }
            files.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
            Ok(files)
        })
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
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_directory_keeps_lists_and_deletes_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().join("files"));
        assert!(store.list().await.unwrap().is_empty());
        let meta = FileMetadata::new("data.csv", "text/csv", 4, false);
        store.put(meta.clone(), Bytes::from_static(b"a,b\n")).await.unwrap();
        assert_eq!(store.metadata(&meta.id).await.unwrap(), Some(meta.clone()));
        assert_eq!(store.content(&meta.id).await.unwrap().unwrap(), &b"a,b\n"[..]);
        assert_eq!(store.list().await.unwrap(), std::slice::from_ref(&meta));
        assert!(store.delete(&meta.id).await.unwrap());
        assert!(!store.delete(&meta.id).await.unwrap());
        assert_eq!(store.metadata(&meta.id).await.unwrap(), None);
        // Ids that could name a path elsewhere are no files at all.
        assert_eq!(store.content("file_../../etc/passwd").await.unwrap(), None);
        assert_eq!(store.metadata("../files").await.unwrap(), None);
    }
}
