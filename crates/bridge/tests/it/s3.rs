//! The S3 store against a real S3-compatible server: moto's server mode (from PyPI,
//! `pip install 'moto[server]'`; `.ci/run` installs it), started by the test.

use std::sync::Arc;
use std::time::Duration;

use bridge::files::{FileMetadata, Files, ObjectStore, PageQuery, s3::S3Store};
use bytes::Bytes;

use crate::fleet_harness::Moto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_store_keeps_describes_pages_and_deletes() {
    let Some(moto) = tokio::task::spawn_blocking(Moto::start).await.unwrap() else { return };
    moto.bucket("bridge-files").await;
    let store = S3Store::new(&moto.sdk_config(), "s3://bridge-files/fleet/a", true).unwrap();
    let meta = serde_json::json!({"filename": "données.csv"});
    store.put("files/b", &meta, Bytes::from_static(b"a,b\n")).await.unwrap();
    store.put("files/a", &meta, Bytes::new()).await.unwrap();
    assert_eq!(store.meta("files/b").await.unwrap(), Some(meta.clone()), "non-ASCII names survive");
    assert_eq!(store.get("files/b").await.unwrap().unwrap(), &b"a,b\n"[..]);
    assert_eq!(store.get("files/missing").await.unwrap(), None);
    assert_eq!(store.meta("files/missing").await.unwrap(), None);
    let first = store.keys("files/", None, 1).await.unwrap();
    assert_eq!((first.keys.as_slice(), first.more), (["files/a".to_owned()].as_slice(), true));
    let rest = store.keys("files/", Some("files/a"), 10).await.unwrap();
    assert_eq!((rest.keys.as_slice(), rest.more), (["files/b".to_owned()].as_slice(), false));
    assert!(store.delete("files/b").await.unwrap());
    assert!(!store.delete("files/b").await.unwrap());
    assert!(store.delete("files/a").await.unwrap());

    // The Files API on it: newest first, in pages, as on a local directory.
    let files = Files::new(Arc::new(store));
    let mut ids = Vec::new();
    for n in 0..3 {
        let meta = FileMetadata::new(&format!("f{n}.txt"), "text/plain", 1, false);
        ids.push(meta.id.clone());
        files.put(meta, Bytes::from_static(b"x")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    ids.reverse();
    let page = files.list(&PageQuery::default(), 2).await.unwrap();
    assert_eq!(page.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>(), ids[..2]);
    assert!(page.has_more);
    let next = PageQuery { after_id: page.last_id.clone(), ..PageQuery::default() };
    let last = files.list(&next, 2).await.unwrap();
    assert_eq!(last.data.len(), 1);
    assert!(!last.has_more);
}
