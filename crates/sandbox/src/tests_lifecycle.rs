//! Lifecycle tests: shutdown and drop leave no process, other languages, several
//! sessions at once, a missing Python, the pool of prepared sessions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tests::{config, group_alive, process_alive, py, sandbox};
use super::*;

#[tokio::test]
async fn shutdown_leaves_no_process_and_is_idempotent() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    py(&sb, "import subprocess\nsubprocess.Popen(['sleep', '60'])").await;
    let interp = sb.interpreter_pid().await;
    sb.start_task("sleep 60").await.unwrap();
    let tasks = sb.task_pids();
    sb.execute_command("sleep 60 > /dev/null 2>&1 &").await.unwrap();
    let commands: Vec<u32> = sb.lock_groups().iter().copied().collect();
    assert!(process_alive(interp) && group_alive(interp));
    let dir = sb.dir().to_path_buf();
    sb.shutdown().await;
    sb.shutdown().await;
    assert!(!process_alive(interp), "interpreter still alive");
    for pid in tasks {
        assert!(!process_alive(pid), "task {pid} still alive");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for pgid in commands.into_iter().chain([interp]) {
        assert!(!group_alive(pgid), "group {pgid} still alive");
    }
    assert!(!dir.exists());
    assert!(matches!(py_err(&sb).await, Err(SandboxError::Closed)));
}

async fn py_err(sb: &Sandbox) -> Result<ExecOutput, SandboxError> {
    sb.execute_code(Language::Python, "1", false).await
}

#[tokio::test]
async fn drop_kills_the_interpreter() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let pid = sb.interpreter_pid().await;
    drop(sb);
    for _ in 0..100 {
        if !process_alive(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("interpreter {pid} survived drop");
}

#[tokio::test]
async fn javascript_and_typescript() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    match sb.execute_code(Language::Javascript, "console.log(6 * 7)", false).await {
        Ok(out) => assert_eq!(out.stdout, "42\n", "{out:?}"),
        Err(SandboxError::Unsupported { what }) => assert!(what.contains("node"), "{what}"),
        Err(other) => panic!("{other}"),
    }
    match sb.execute_code(Language::Typescript, "const n: number = 7;\nconsole.log(n)", false).await
    {
        Ok(out) => assert_eq!(out.stdout, "7\n", "{out:?}"),
        Err(SandboxError::Unsupported { what }) => assert!(what.contains("deno"), "{what}"),
        Err(other) => panic!("{other}"),
    }
    sb.shutdown().await;
}

/// Set `SANDBOX_TEST_PYTHON` to a provisioned interpreter to run this for real.
#[tokio::test]
async fn numpy_and_matplotlib_work_when_installed() {
    let tmp = super::sessions_dir().unwrap();
    let mut cfg = config(tmp.path());
    if let Some(python) = std::env::var_os("SANDBOX_TEST_PYTHON") {
        cfg.python = python.into();
    }
    let sb = Sandbox::start(&cfg).await.unwrap();
    if py(&sb, "import numpy").await.exit_code != 0 {
        eprintln!("numpy is not installed; skipping");
        return;
    }
    let out = py(&sb, "import numpy as np\nprint(int(np.arange(10).sum()))").await;
    assert_eq!(out.stdout, "45\n");
    if py(&sb, "import matplotlib").await.exit_code == 0 {
        let code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('plot.png')\n\
                    import pandas as pd\nprint(pd.DataFrame({'a': [1, 2]}).a.sum())";
        let out = py(&sb, code).await;
        assert_eq!(out.stdout, "3\n", "{}", out.stderr);
        let png = sb.read_files(&["plot.png".into()]).await.unwrap();
        assert_eq!(png[0].mime_type, "image/png");
        assert!(png[0].bytes.starts_with(b"\x89PNG"));
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_and_serialized_calls() {
    let tmp = super::sessions_dir().unwrap();
    let cfg = config(tmp.path());
    let (a, b) = tokio::join!(Sandbox::start(&cfg), Sandbox::start(&cfg));
    let (a, b) = (std::sync::Arc::new(a.unwrap()), b.unwrap());
    assert_ne!(a.dir(), b.dir());
    py(&a, "n = 0").await;
    let calls = (0..8).map(|_| {
        let a = std::sync::Arc::clone(&a);
        tokio::spawn(async move { py(&a, "import time\nm = n\ntime.sleep(0.01)\nn = m + 1").await })
    });
    for call in futures::future::join_all(calls).await {
        assert_eq!(call.unwrap().exit_code, 0);
    }
    // No lost update: the calls did not interleave.
    assert_eq!(py(&a, "print(n)").await.stdout, "8\n");
    assert_eq!(py(&b, "print('n' in globals())").await.stdout, "False\n");
    // Big code goes through the protocol intact.
    let big = format!("s = '{}'\nprint(len(s))", "x".repeat(1 << 20));
    assert_eq!(py(&b, &big).await.stdout, format!("{}\n", 1 << 20));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn start_fails_cleanly_for_a_missing_python() {
    let tmp = super::sessions_dir().unwrap();
    let cfg = SandboxConfig { python: "/nonexistent/python3".into(), ..config(tmp.path()) };
    assert!(matches!(Sandbox::start(&cfg).await, Err(SandboxError::Spawn { .. })));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn sandbox_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
}

/// Rough latency numbers: `cargo test -p emulator sandbox_latency -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing report, not a check"]
async fn sandbox_latency() {
    let tmp = super::sessions_dir().unwrap();
    let cfg = config(tmp.path());
    // Warm the shared pool.
    Sandbox::start(&cfg).await.unwrap().shutdown().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut starts = Vec::new();
    let mut execs = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        let sb = Sandbox::start(&cfg).await.unwrap();
        starts.push(t.elapsed());
        for _ in 0..10 {
            let t = std::time::Instant::now();
            py(&sb, "1 + 1").await;
            execs.push(t.elapsed());
        }
        sb.shutdown().await;
        // Give the pool time to refill, as a real client would between sessions.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    starts.sort();
    execs.sort();
    println!(
        "session start p50 {:?} p90 {:?}; executeCode p50 {:?} p90 {:?}",
        starts[starts.len() / 2],
        starts[starts.len() * 9 / 10],
        execs[execs.len() / 2],
        execs[execs.len() * 9 / 10]
    );
}

/// Names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().flatten().map(|entry| entry.path()).collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolated_pool_prepares_sessions_and_release_root_cleans_up() {
    let tmp = super::sessions_dir().unwrap();
    let cfg = config(tmp.path());
    let first = Sandbox::start(&cfg).await.unwrap();
    first.shutdown().await;
    if isolated() {
        // The pool prepares the next sessions' directories, with an interpreter each.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while first.pool_idle() < pool::DEFAULT_POOL_SIZE {
            assert!(std::time::Instant::now() < deadline, "the pool did not refill");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let prepared = entries(tmp.path());
        let second = Sandbox::start(&cfg).await.unwrap();
        assert!(
            prepared.iter().any(|dir| dir == second.dir()),
            "{:?} was not one of the prepared {prepared:?}",
            second.dir()
        );
        // It runs in that directory and can write there, and nowhere else in the root.
        let out =
            py(&second, "import os\nopen('mine.txt', 'w').write('x')\nprint(os.getcwd())").await;
        assert_eq!(out.stdout.trim(), second.dir().to_str().unwrap());
        assert!(second.dir().join("mine.txt").exists());
        let other = prepared.iter().find(|dir| *dir != second.dir()).unwrap();
        let out =
            py(&second, &format!("open({:?} + '/theirs.txt', 'w')", other.to_str().unwrap())).await;
        assert_ne!(out.exit_code, 0, "{out:?}");
        second.shutdown().await;
    }
    // Releasing the root stops idle interpreters and removes what they prepared.
    release_root(tmp.path());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !entries(tmp.path()).is_empty() {
        assert!(std::time::Instant::now() < deadline, "left behind: {:?}", entries(tmp.path()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
