//! An [`ObjectStore`] in a local directory: `objects/<name>` holds the bytes and
//! `meta/<name>.json` the description, each written to a temporary name and renamed,
//! the description last, so a listed object is always complete. A key's `/`s are
//! `~` in its file name (a key may be the prefix of others, as a skill's is of its
//! versions, which a directory could not be).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::Value;

use super::store::{KeyPage, ObjectStore, StoreError, StoreFuture, valid_key};

/// Objects in a local directory (one process, or a volume the replicas share).
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// A store in `root`, created when first written.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn paths(&self, key: &str) -> Option<(PathBuf, PathBuf)> {
        valid_key(key).then(|| {
            let name = key.replace('/', "~");
            (
                self.root.join("objects").join(&name),
                self.root.join("meta").join(format!("{name}.json")),
            )
        })
    }
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |err| StoreError::new(what, err)
}

fn missing_is_none<T>(result: std::io::Result<T>) -> std::io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir).await.map_err(io(format!("creating {}", dir.display())))?;
    let temporary = dir.join(format!(".{}.tmp", crate::random_suffix()));
    tokio::fs::write(&temporary, bytes)
        .await
        .map_err(io(format!("writing {}", temporary.display())))?;
    tokio::fs::rename(&temporary, path).await.map_err(io(format!("writing {}", path.display())))
}

/// Every key described in `dir` (the `meta/` directory).
fn every_key(dir: &Path) -> std::io::Result<Vec<String>> {
    let Some(entries) = missing_is_none(std::fs::read_dir(dir))? else { return Ok(Vec::new()) };
    let mut keys = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(key) = name.strip_suffix(".json").filter(|_| !name.starts_with('.')) {
            keys.push(key.replace('~', "/"));
        }
    }
    Ok(keys)
}

impl ObjectStore for LocalDir {
    fn put<'a>(&'a self, key: &'a str, meta: &'a Value, bytes: Bytes) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (object, description) =
                self.paths(key).ok_or_else(|| StoreError::plain(format!("{key} is not a key")))?;
            write_atomically(&object, &bytes).await?;
            write_atomically(&description, meta.to_string().as_bytes()).await
        })
    }

    fn meta<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Value>> {
        Box::pin(async move {
            let Some((_, description)) = self.paths(key) else { return Ok(None) };
            let read = missing_is_none(tokio::fs::read(&description).await);
            let Some(json) = read.map_err(io(format!("reading {}", description.display())))? else {
                return Ok(None);
            };
            serde_json::from_slice(&json).map(Some).map_err(|err| {
                StoreError::new(format!("{} is not JSON", description.display()), err)
            })
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let Some((object, description)) = self.paths(key) else { return Ok(None) };
            if !description.is_file() {
                return Ok(None);
            }
            missing_is_none(tokio::fs::read(&object).await)
                .map(|bytes| bytes.map(Bytes::from))
                .map_err(io(format!("reading {}", object.display())))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let Some((object, description)) = self.paths(key) else { return Ok(false) };
            let existed = missing_is_none(tokio::fs::remove_file(&description).await)
                .map_err(io(format!("deleting {}", description.display())))?
                .is_some();
            missing_is_none(tokio::fs::remove_file(&object).await)
                .map_err(io(format!("deleting {}", object.display())))?;
            Ok(existed)
        })
    }

    fn keys<'a>(
        &'a self, prefix: &'a str, after: Option<&'a str>, limit: usize,
    ) -> StoreFuture<'a, KeyPage> {
        Box::pin(async move {
            let root = self.root.join("meta");
            let prefix = prefix.to_owned();
            let after = after.map(str::to_owned);
            tokio::task::spawn_blocking(move || {
                let mut keys =
                    every_key(&root).map_err(io(format!("listing {}", root.display())))?;
                keys.retain(|k| k.starts_with(&prefix) && after.as_ref().is_none_or(|a| k > a));
                keys.sort();
                let more = keys.len() > limit;
                keys.truncate(limit);
                Ok(KeyPage { keys, more })
            })
            .await
            .map_err(|err| StoreError::new("listing the store", err))?
        })
    }
}
