//! The S3 store against a real S3-compatible server: moto's server mode (from PyPI,
//! `pip install 'moto[server]'`; `.ci/run` installs it), started by the test.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bridge::files::{FileMetadata, Files, ObjectStore, PageQuery, s3::S3Store};
use bytes::Bytes;

/// A moto server on a free loopback port; stopped when dropped.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts one, or `None` (with a message) where moto is not installed and the
    /// test may skip.
    pub fn start() -> Option<Moto> {
        let installed = Command::new("python3")
            .args(["-c", "import moto.server"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            let required =
                std::env::var_os("MIGRATION_REQUIRE_TEST_DEPS").is_some_and(|v| !v.is_empty());
            assert!(!required, "moto is missing and MIGRATION_REQUIRE_TEST_DEPS is set");
            eprintln!("skipped: moto's S3 server is missing (pip install 'moto[server]')");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto starts");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Moto { child, url });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("moto did not listen on {url}");
    }

    /// AWS settings for it (moto takes any credentials).
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials =
            aws_credential_types::Credentials::new("test", "test", None, None, "moto");
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-west-2"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                credentials,
            ))
            .build()
    }

    /// Makes `bucket`.
    pub async fn bucket(&self, bucket: &str) {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk_config()).force_path_style(true).build(),
        );
        let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
            .build();
        s3.create_bucket()
            .bucket(bucket)
            .create_bucket_configuration(location)
            .send()
            .await
            .unwrap();
    }
}

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
