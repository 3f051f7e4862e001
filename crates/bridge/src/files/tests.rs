//! The stores and the Files API's listing on them.

use super::*;

/// Every store behaves the same: kept, described, listed in key order, deleted.
pub(crate) async fn exercise(store: Arc<dyn ObjectStore>) {
    let meta = serde_json::json!({"name": "héllo.csv"});
    store.put("files/b", &meta, Bytes::from_static(b"a,b\n")).await.unwrap();
    store.put("files/a", &meta, Bytes::new()).await.unwrap();
    store.put("other/c", &meta, Bytes::new()).await.unwrap();
    assert_eq!(store.meta("files/b").await.unwrap(), Some(meta.clone()));
    assert_eq!(store.get("files/b").await.unwrap().unwrap(), &b"a,b\n"[..]);
    assert_eq!(store.get("files/a").await.unwrap().unwrap(), &b""[..]);
    let all = store.keys("files/", None, 10).await.unwrap();
    assert_eq!(all, KeyPage { keys: vec!["files/a".into(), "files/b".into()], more: false });
    let first = store.keys("files/", None, 1).await.unwrap();
    assert_eq!(first, KeyPage { keys: vec!["files/a".into()], more: true });
    let rest = store.keys("files/", Some("files/a"), 5).await.unwrap();
    assert_eq!(rest.keys, ["files/b"]);
    assert!(store.delete("files/b").await.unwrap());
    assert!(!store.delete("files/b").await.unwrap());
    assert_eq!(store.meta("files/b").await.unwrap(), None);
    assert_eq!(store.get("files/b").await.unwrap(), None);
    for key in ["files/a", "other/c"] {
        store.delete(key).await.unwrap();
    }
}

#[tokio::test]
async fn a_local_directory_is_an_object_store() {
    let dir = tempfile::tempdir().unwrap();
    exercise(Arc::new(LocalDir::new(dir.path().join("store")))).await;
    // Keys that could name a path elsewhere are no objects at all.
    let store = LocalDir::new(dir.path().join("store"));
    assert_eq!(store.get("files/../../etc/passwd").await.unwrap(), None);
    assert!(!valid_key("a//b") && !valid_key("../x") && valid_key("skills/skill_1/v.json"));
}

#[tokio::test]
async fn files_list_newest_first_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let files = Files::new(Arc::new(LocalDir::new(dir.path())));
    let mut ids = Vec::new();
    for n in 0..5 {
        let meta = FileMetadata::new(&format!("f{n}.txt"), "text/plain", 1, false);
        ids.push(meta.id.clone());
        files.put(meta, Bytes::from_static(b"x")).await.unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    ids.reverse(); // newest first
    let ids_of =
        |page: &Page<FileMetadata>| page.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    let first = files.list(&PageQuery::default(), 2).await.unwrap();
    assert_eq!(ids_of(&first), ids[..2]);
    assert!(first.has_more && first.next_page.as_deref() == Some(ids[1].as_str()));
    let after = PageQuery { after_id: Some(ids[1].clone()), ..PageQuery::default() };
    assert_eq!(ids_of(&files.list(&after, 2).await.unwrap()), ids[2..4]);
    let cursor = PageQuery { page: first.next_page.clone(), ..PageQuery::default() };
    assert_eq!(ids_of(&files.list(&cursor, 10).await.unwrap()), ids[2..]);
    let before = PageQuery { before_id: Some(ids[3].clone()), ..PageQuery::default() };
    let page = files.list(&before, 2).await.unwrap();
    assert_eq!(ids_of(&page), ids[1..3]);
    assert!(page.has_more);
    assert!(files.metadata("file_../x").await.unwrap().is_none());
    assert_eq!(
        PageQuery { limit: Some(0), ..PageQuery::default() }.limit().unwrap_err(),
        "limit: 0 is not between 1 and 1000"
    );
}
