//! The store under the Files and Skills APIs: objects under keys, each with a small
//! JSON description, listed in key order.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use serde_json::Value;

/// What a store could not do.
#[derive(Debug, thiserror::Error)]
#[error("file store: {what}")]
pub struct StoreError {
    what: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// `what` failed because of `source`.
    pub fn new(
        what: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self { what: what.into(), source: Some(Box::new(source)) }
    }

    /// `what` failed (nothing underneath).
    pub fn plain(what: impl Into<String>) -> Self {
        Self { what: what.into(), source: None }
    }
}

/// A store's answer, boxed so the trait can be used as `dyn ObjectStore`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// One page of keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPage {
    /// The keys, in ascending order.
    pub keys: Vec<String>,
    /// More keys follow the last one.
    pub more: bool,
}

/// Objects under keys (`files/file_...`, `skills/skill_.../...`); `None` is "no
/// such object". Keys are the bridge's own: letters, digits, `_`, `-`, `.` and `/`.
pub trait ObjectStore: Send + Sync + Debug {
    /// Keeps `bytes` under `key`, described by `meta`.
    fn put<'a>(&'a self, key: &'a str, meta: &'a Value, bytes: Bytes) -> StoreFuture<'a, ()>;
    /// The description of `key`.
    fn meta<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Value>>;
    /// The bytes of `key`.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Bytes>>;
    /// Deletes `key`; false when there was no such object.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool>;
    /// Keys that start with `prefix`, in ascending order, after `after` (exclusive)
    /// when given: at most `limit` of them.
    fn keys<'a>(
        &'a self, prefix: &'a str, after: Option<&'a str>, limit: usize,
    ) -> StoreFuture<'a, KeyPage>;
}

/// Whether `key` is made only of the characters the bridge's keys use, with no
/// empty, `.` or `..` part (so no key names a path outside a directory store).
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
}
