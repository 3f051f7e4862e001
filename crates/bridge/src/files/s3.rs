//! An [`ObjectStore`] in S3, for a fleet of bridge replicas: every replica reads and
//! writes the same bucket, so a file uploaded through one is there for the next.
//!
//! An object is one S3 object under the store's prefix; its description is kept with
//! it, in the object's metadata (`x-amz-meta-bridge`: the JSON, base64-encoded so any
//! file name fits S3's ASCII-only metadata). Listing is `ListObjectsV2` in key order.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::Value;

use super::store::{KeyPage, ObjectStore, StoreError, StoreFuture, valid_key};

/// The metadata entry that holds an object's description.
const META: &str = "bridge";
/// S3 keeps at most 2 KB of user metadata per object.
const META_LIMIT: usize = 2000;

/// Objects in an S3 bucket, under a prefix.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

/// `s3://bucket/prefix` as (bucket, prefix ending in `/` or empty).
pub fn parse_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| format!("{url} is not an s3:// URL"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{url} names no bucket (s3://bucket/prefix)"));
    }
    let prefix = prefix.trim_matches('/');
    let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
    Ok((bucket.to_owned(), prefix))
}

fn failed<E, R>(what: String) -> impl FnOnce(SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |err| StoreError::new(what, err)
}

impl S3Store {
    /// The store at `url` (`s3://bucket/prefix`), with `aws`'s region, credentials and
    /// endpoint; `path_style` for S3-compatible servers that need it.
    pub fn new(aws: &aws_config::SdkConfig, url: &str, path_style: bool) -> Result<Self, String> {
        let (bucket, prefix) = parse_url(url)?;
        let config = aws_sdk_s3::config::Builder::from(aws).force_path_style(path_style).build();
        Ok(Self { client: aws_sdk_s3::Client::from_conf(config), bucket, prefix })
    }

    fn key(&self, key: &str) -> Option<String> {
        valid_key(key).then(|| format!("{}{key}", self.prefix))
    }
}

fn not_found<E: ProvideErrorMetadata>(err: &E) -> bool {
    matches!(err.code(), Some("NoSuchKey" | "NotFound" | "404"))
}

impl ObjectStore for S3Store {
    fn put<'a>(&'a self, key: &'a str, meta: &'a Value, bytes: Bytes) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let full =
                self.key(key).ok_or_else(|| StoreError::plain(format!("{key} is not a key")))?;
            let encoded = BASE64.encode(meta.to_string());
            if encoded.len() > META_LIMIT {
                return Err(StoreError::plain(format!(
                    "the description of {key} is too long for S3's metadata"
                )));
            }
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&full)
                .metadata(META, encoded)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map(|_| ())
                .map_err(failed(format!("writing s3://{}/{full}", self.bucket)))
        })
    }

    fn meta<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Value>> {
        Box::pin(async move {
            let Some(full) = self.key(key) else { return Ok(None) };
            let head = self.client.head_object().bucket(&self.bucket).key(&full).send().await;
            let head = match head {
                Ok(head) => head,
                Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => {
                    return Ok(None);
                }
                Err(err) => {
                    return Err(StoreError::new(
                        format!("reading s3://{}/{full}", self.bucket),
                        err,
                    ));
                }
            };
            let Some(encoded) = head.metadata().and_then(|m| m.get(META)) else { return Ok(None) };
            let json = BASE64
                .decode(encoded)
                .map_err(|err| StoreError::new(format!("the metadata of {full}"), err))?;
            serde_json::from_slice(&json)
                .map(Some)
                .map_err(|err| StoreError::new(format!("the metadata of {full}"), err))
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let Some(full) = self.key(key) else { return Ok(None) };
            let got = self.client.get_object().bucket(&self.bucket).key(&full).send().await;
            let object = match got {
                Ok(object) => object,
                Err(err) if err.as_service_error().is_some_and(not_found) => return Ok(None),
                Err(err) => {
                    return Err(StoreError::new(
                        format!("reading s3://{}/{full}", self.bucket),
                        err,
                    ));
                }
            };
            let body = object.body.collect().await.map_err(|err| {
                StoreError::new(format!("reading s3://{}/{full}", self.bucket), err)
            })?;
            Ok(Some(body.into_bytes()))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            if self.meta(key).await?.is_none() {
                return Ok(false);
            }
            let Some(full) = self.key(key) else { return Ok(false) };
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(&full)
                .send()
                .await
                .map(|_| true)
                .map_err(failed(format!("deleting s3://{}/{full}", self.bucket)))
        })
    }

    fn keys<'a>(
        &'a self, prefix: &'a str, after: Option<&'a str>, limit: usize,
    ) -> StoreFuture<'a, KeyPage> {
        Box::pin(async move {
            let want = i32::try_from(limit + 1).unwrap_or(i32::MAX);
            let mut listing = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(format!("{}{prefix}", self.prefix))
                .max_keys(want);
            if let Some(after) = after {
                listing = listing.start_after(format!("{}{after}", self.prefix));
            }
            let listed = listing
                .send()
                .await
                .map_err(failed(format!("listing s3://{}/{}{prefix}", self.bucket, self.prefix)))?;
            let mut keys: Vec<String> = listed
                .contents()
                .iter()
                .filter_map(|object| object.key()?.strip_prefix(&self.prefix).map(str::to_owned))
                .collect();
            let more = keys.len() > limit || listed.is_truncated() == Some(true);
            keys.truncate(limit);
            Ok(KeyPage { keys, more })
        })
    }
}
