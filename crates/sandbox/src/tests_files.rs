//! File, path and provisioning tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::tests::sandbox;
use super::*;
use crate::util::{format_secs, tail_lines};

fn outside(result: Result<impl std::fmt::Debug, SandboxError>) -> bool {
    matches!(result, Err(SandboxError::PathOutsideSession { .. }))
}

#[tokio::test]
async fn binary_round_trip_of_all_byte_values() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let bytes: Vec<u8> = (0..=255u8).collect();
    let text = "héllo, wörld\n".as_bytes().to_vec();
    let written = sb
        .write_files(vec![
            ("data/all.bin".into(), bytes.clone()),
            ("notes.txt".into(), text.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(written, ["data/all.bin", "notes.txt"]);
    let read = sb.read_files(&["data/all.bin".into(), "notes.txt".into()]).await.unwrap();
    assert_eq!(read[0].bytes, bytes);
    assert!(!read[0].is_text);
    assert_eq!(read[0].mime_type, "application/octet-stream");
    assert_eq!(read[1].bytes, text);
    assert!(read[1].is_text);
    assert_eq!(read[1].mime_type, "text/plain");
    // Python sees exactly the same bytes.
    let out = sb
        .execute_code(
            Language::Python,
            "print(open('data/all.bin','rb').read() == bytes(range(256)))",
            false,
        )
        .await
        .unwrap();
    assert_eq!(out.stdout, "True\n");
    // An absolute path inside the session is fine too.
    let abs = sb.dir().join("notes.txt").display().to_string();
    assert_eq!(sb.read_files(&[abs]).await.unwrap()[0].bytes, text);
    sb.shutdown().await;
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    assert!(outside(sb.write_files(vec![("../x".into(), b"x".to_vec())]).await));
    assert!(!tmp.path().join("x").exists());
    assert!(outside(sb.read_files(&["/etc/passwd".into()]).await));
    assert!(outside(sb.read_files(&["a/../../etc/passwd".into()]).await));
    assert!(outside(sb.list_files("..").await));
    assert!(outside(sb.remove_files(&["../".into()]).await));
    // `a/../b` stays inside and is fine.
    sb.write_files(vec![("a/../b.txt".into(), b"b".to_vec())]).await.unwrap();
    assert!(sb.dir().join("b.txt").exists());
    // Symlinks created by sandbox code cannot be used to escape.
    let out = sb
        .execute_command(
            "ln -s /etc etc-link && ln -s /nonexistent/dir dangling && ln -s b.txt inner",
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert!(outside(sb.read_files(&["etc-link/passwd".into()]).await));
    assert!(outside(sb.write_files(vec![("etc-link/evil".into(), b"x".to_vec())]).await));
    assert!(outside(sb.write_files(vec![("dangling/evil".into(), b"x".to_vec())]).await));
    assert!(outside(sb.list_files("etc-link").await));
    // A symlink that stays inside is followed.
    assert_eq!(sb.read_files(&["inner".into()]).await.unwrap()[0].bytes, b"b");
    sb.shutdown().await;
}

#[tokio::test]
async fn list_and_remove() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    sb.write_files(vec![
        ("b.csv".into(), b"x,y\n1,2\n".to_vec()),
        ("a.json".into(), b"{}".to_vec()),
        ("sub/deep/c.py".into(), b"print(1)".to_vec()),
    ])
    .await
    .unwrap();
    let names = |entries: &[FileEntry]| entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    let top = sb.list_files("").await.unwrap();
    // A fresh session's working directory already holds `.ipython` and `log`.
    assert_eq!(names(&top), [".ipython", "a.json", "b.csv", "log", "sub"]);
    assert_eq!(top, sb.list_files(".").await.unwrap());
    assert_eq!(top[2].size, 8);
    assert_eq!(top[2].mime_type.as_deref(), Some("text/csv"));
    assert!(top[4].is_dir && top[4].mime_type.is_none());
    let deep = sb.list_files("sub/deep").await.unwrap();
    assert_eq!(deep[0].path, "sub/deep/c.py");
    assert_eq!(deep[0].mime_type.as_deref(), Some("text/x-python"));
    assert!(matches!(sb.list_files("missing").await, Err(SandboxError::NotFound { .. })));
    let removed = sb.remove_files(&["a.json".into(), "sub".into()]).await.unwrap();
    assert_eq!(removed, ["a.json", "sub"]);
    assert_eq!(names(&sb.list_files("").await.unwrap()), [".ipython", "b.csv", "log"]);
    assert!(matches!(
        sb.remove_files(&["a.json".into()]).await,
        Err(SandboxError::NotFound { .. })
    ));
    assert!(matches!(sb.read_files(&["a.json".into()]).await, Err(SandboxError::NotFound { .. })));
    assert!(matches!(sb.remove_files(&[".".into()]).await, Err(SandboxError::InvalidPath { .. })));
    sb.shutdown().await;
}

#[test]
fn provisioning_fast_path_reuses_a_marked_venv() {
    let tmp = tempfile::tempdir().unwrap();
    let venv = provisioned_dir(tmp.path(), PackageSet::Common);
    std::fs::create_dir_all(venv.join("bin")).unwrap();
    std::fs::write(venv.join("bin/python"), b"#!/bin/sh\n").unwrap();
    std::fs::write(venv.join(".complete"), b"").unwrap();
    let python = provision_python(tmp.path(), PackageSet::Common, false).unwrap();
    assert_eq!(python, venv.join("bin/python"));
    // Another set is another environment.
    assert_ne!(provisioned_dir(tmp.path(), PackageSet::Full), venv);
}

#[test]
#[ignore = "creates a venv and downloads the common package set (the integration tests use the shared cache)"]
fn provisioning_for_real() {
    let tmp = tempfile::tempdir().unwrap();
    let python = provision_python(tmp.path(), PackageSet::Common, true).unwrap();
    let status = std::process::Command::new(&python)
        .args(["-c", "import numpy, pandas, matplotlib"])
        .status()
        .unwrap();
    assert!(status.success());
    // Second call takes the fast path.
    assert_eq!(provision_python(tmp.path(), PackageSet::Common, false).unwrap(), python);
}

#[test]
fn the_package_sets_come_from_the_list() {
    let common = PackageSet::Common.packages();
    let full = PackageSet::Full.packages();
    for wanted in [("numpy", "numpy"), ("scikit-learn", "sklearn"), ("beautifulsoup4", "bs4")] {
        assert!(common.contains(&wanted), "{wanted:?}");
    }
    assert!(full.len() > 100 && common.iter().all(|p| full.contains(p)));
    assert!(
        !common.iter().any(|(pip, _)| *pip == "torch")
            && full.iter().any(|(pip, _)| *pip == "torch")
    );
    // Not pre-installed on AgentCore, so not here either.
    assert!(!full.iter().any(|(pip, _)| *pip == "tabulate"));
}

#[test]
fn helpers() {
    assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
    assert_eq!(tail_lines("a", 5), "a");
    assert_eq!(format_secs(std::time::Duration::from_secs(60)), "60s");
    assert!(files::is_text(b"plain"));
    assert!(!files::is_text(b"nul\0"));
    assert!(
        default_cache_dir().ends_with("agentcore-emulator")
            || std::env::var_os("AGENTCORE_EMULATOR_CACHE").is_some()
    );
}
