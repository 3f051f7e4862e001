//! Execution tests: the persistent interpreter, commands, limits and tasks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::util::random_id;

/// Whether group `pgid` has a process that is not a zombie. Zombies are ignored because
/// grandchildren orphaned to a PID 1 that does not reap (common in containers) linger.
fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return super::limits::group_alive(pgid);
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // Fields after the parenthesised command name: state, ppid, pgrp, ...
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
    })
}

pub(super) fn config(root: &Path) -> SandboxConfig {
    SandboxConfig { root_dir: root.to_path_buf(), ..SandboxConfig::default() }
}

pub(super) async fn sandbox(root: &Path) -> Sandbox {
    Sandbox::start(&config(root)).await.unwrap()
}

async fn py(sb: &Sandbox, code: &str) -> ExecOutput {
    sb.execute_code(Language::Python, code, false).await.unwrap()
}

fn process_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

#[tokio::test]
async fn state_persists_and_clear_context_resets() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let out = py(&sb, "def twice(x):\n    return 2 * x\nvalue = 21\nprint('defined')").await;
    assert_eq!(out.stdout, "defined\n");
    assert_eq!(out.exit_code, 0);
    assert!(!out.is_error());
    let out = py(&sb, "print(twice(value))").await;
    assert_eq!(out.stdout, "42\n", "stderr: {}", out.stderr);
    // A trailing expression is not shown: only what the code prints, as on AgentCore.
    assert_eq!(py(&sb, "value + 1").await.stdout, "");
    let out = sb.execute_code(Language::Python, "print('value' in globals())", true).await.unwrap();
    assert_eq!(out.stdout, "False\n");
    sb.shutdown().await;
}

#[tokio::test]
async fn exception_gives_traceback_and_exit_code_one() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let out = py(&sb, "print('before')\nraise ValueError('boom')").await;
    assert_eq!(out.stdout, "before\n");
    assert_eq!(out.exit_code, 1);
    assert!(out.is_error());
    assert!(out.stderr.starts_with("Traceback (most recent call last):"), "{}", out.stderr);
    assert!(out.stderr.contains("ValueError: boom"), "{}", out.stderr);
    assert!(!out.stderr.contains("driver"), "driver frames leak: {}", out.stderr);
    let out = py(&sb, "import sys\nsys.stderr.write('warn\\n')\nsys.exit(3)").await;
    assert_eq!((out.exit_code, out.stderr.as_str()), (3, "warn\n"));
    let out = py(&sb, "print(undefined_name)").await;
    assert!(out.stderr.contains("NameError"), "{}", out.stderr);
    let out = py(&sb, "def broken(:").await;
    assert_eq!(out.exit_code, 1);
    assert!(out.stderr.contains("SyntaxError"), "{}", out.stderr);
    // The interpreter survived all of that.
    assert_eq!(py(&sb, "print('alive')").await.stdout, "alive\n");
    sb.shutdown().await;
}

#[tokio::test]
async fn subprocess_output_is_captured_in_session_dir() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let code = "import os, subprocess\nos.system('echo from-system')\n\
                subprocess.run(['sh', '-c', 'echo from-sub; echo err-sub >&2'])\nprint(os.getcwd())";
    let out = py(&sb, code).await;
    assert_eq!(
        out.stdout,
        format!("from-system\nfrom-sub\n{}\n", sb.dir().display()),
        "stderr: {}",
        out.stderr
    );
    assert_eq!(out.stderr, "err-sub\n");
    // A command's stdout and stderr are one stream, in the order written.
    let out = sb.execute_command("pwd; echo oops >&2; exit 7").await.unwrap();
    assert_eq!(out.stdout, format!("{}\noops\n", sb.dir().display()));
    assert_eq!((out.stderr.as_str(), out.exit_code), ("", 7));
    sb.shutdown().await;
}

/// A session is one machine, as on AgentCore: its Python, its commands and its
/// background tasks share a writable `/tmp`, which no other session (and not the
/// host) sees. Linux gives every isolation mode a mount namespace for it.
#[tokio::test]
async fn tmp_is_the_sessions_own_and_shared_by_its_processes() {
    if !isolation::detect().is_some_and(isolation::Isolation::private_tmp) {
        let linux = std::env::consts::OS == "linux";
        assert!(!linux, "no private /tmp on Linux: {}", describe_isolation());
        eprintln!("skipped: sessions share the host's /tmp here ({})", describe_isolation());
        return;
    }
    let tmp = super::sessions_dir().unwrap();
    let (a, b) = (sandbox(tmp.path()).await, sandbox(tmp.path()).await);
    let name = format!("/tmp/session-tmp-{}.txt", random_id());
    let wrote = py(&a, &format!("open({name:?}, 'w').write('from python')\nimport tempfile\nprint(tempfile.gettempdir())")).await;
    assert_eq!(wrote.stdout, "/tmp\n", "{}", wrote.stderr);
    assert!(!Path::new(&name).exists(), "{name} landed in the host's /tmp");
    let read = a.execute_command(&format!("cat {name}; echo ' and' > {name}.2")).await.unwrap();
    assert_eq!(read.stdout, "from python", "{}", read.stderr);
    let task = a.start_task(&format!("cat {name}.2 > seen-by-task.txt")).await.unwrap();
    for _ in 0..200 {
        if a.get_task(&task.task_id).await.unwrap().status != TaskStatus::Working {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = std::fs::read_to_string(a.dir().join("seen-by-task.txt")).unwrap();
    assert_eq!(seen, " and\n");
    let other = py(&b, &format!("import os\nprint(os.path.exists({name:?}))")).await;
    assert_eq!(other.stdout, "False\n", "another session sees the file");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn timeout_restarts_interpreter_and_session_stays_usable() {
    let tmp = super::sessions_dir().unwrap();
    let cfg = SandboxConfig { call_timeout: Duration::from_millis(700), ..config(tmp.path()) };
    let sb = Sandbox::start(&cfg).await.unwrap();
    py(&sb, "x = 1").await;
    let old_pid = sb.interpreter_pid().await;
    let out = py(
        &sb,
        "import subprocess, time\nprint('started', flush=True)\n\
                       subprocess.Popen(['sleep', '30'])\ntime.sleep(30)",
    )
    .await;
    assert!(out.timed_out);
    assert_eq!(out.exit_code, 124);
    assert_eq!(out.stdout, "started\n");
    assert!(out.stderr.contains("timed out after 0.7s"), "{}", out.stderr);
    assert!(out.stderr.contains("state cleared"), "{}", out.stderr);
    assert!(!group_alive(old_pid), "the old interpreter's group survived");
    let out = py(&sb, "print('x' in globals())").await;
    assert_eq!(out.stdout, "False\n");
    assert_ne!(sb.interpreter_pid().await, old_pid);
    let out = sb.execute_command("sleep 30").await.unwrap();
    assert!(out.timed_out && out.exit_code == 124, "{out:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn interpreter_death_is_reported_and_recovered() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let out = py(&sb, "import os\nprint('bye', flush=True)\nos._exit(5)").await;
    assert_eq!((out.exit_code, out.stdout.as_str()), (5, "bye\n"));
    assert!(out.stderr.contains("restarted"), "{}", out.stderr);
    assert_eq!(py(&sb, "print(1)").await.stdout, "1\n");
    sb.shutdown().await;
}

#[tokio::test]
async fn memory_limit_gives_memory_error() {
    let tmp = super::sessions_dir().unwrap();
    let cfg = SandboxConfig { memory_limit_bytes: Some(512 << 20), ..config(tmp.path()) };
    let sb = Sandbox::start(&cfg).await.unwrap();
    let out = py(&sb, "x = bytearray(1 << 30)").await;
    assert_eq!(out.exit_code, 1);
    assert!(out.stderr.contains("MemoryError"), "{}", out.stderr);
    assert_eq!(py(&sb, "print('ok')").await.stdout, "ok\n");
    sb.shutdown().await;
}

#[tokio::test]
async fn output_is_capped_with_marker() {
    let tmp = super::sessions_dir().unwrap();
    let cfg = SandboxConfig { output_limit_bytes: 64 << 10, ..config(tmp.path()) };
    let sb = Sandbox::start(&cfg).await.unwrap();
    let out = py(&sb, "import sys\n_ = sys.stdout.write('a' * (5 << 20))").await;
    assert!(out.truncated);
    let marker =
        format!("\n[output truncated: {} bytes total, showing first {}]", 5 << 20, 64 << 10);
    assert!(out.stdout.ends_with(&marker), "{}", &out.stdout[out.stdout.len() - 100..]);
    assert_eq!(out.stdout.len(), (64 << 10) + marker.len());
    let out = sb.execute_command("head -c 200000 /dev/zero | tr '\\0' b >&2").await.unwrap();
    // stderr is part of a command's one stream.
    assert!(out.truncated && out.stdout.contains("200000 bytes total"));
    assert!(!py(&sb, "print('small')").await.truncated);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_background_process_may_print_after_its_call_ended() {
    let tmp = super::sessions_dir().unwrap();
    let sb = Sandbox::start(&config(tmp.path())).await.unwrap();
    // The child outlives the call and prints once the call's output has been collected:
    // the print must neither appear in a later call nor kill the child.
    let code = "import subprocess\n\
        subprocess.Popen('sleep 0.3; echo late; echo late >&2; echo ok > survived.txt', shell=True)\n\
        print('started')";
    assert_eq!(py(&sb, code).await.stdout, "started\n");
    let check = "import os, time\n\
        for _ in range(100):\n    \
            if os.path.exists('survived.txt'):\n        \
                break\n    \
            time.sleep(0.1)\n\
        print(open('survived.txt').read().strip())";
    let out = py(&sb, check).await;
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("ok\n", ""));
    sb.shutdown().await;
}

#[tokio::test]
async fn host_environment_is_scrubbed() {
    // SAFETY: tests in this module never read this variable concurrently; the
    // sandbox children get a cleared environment either way.
    unsafe { std::env::set_var("AWS_SECRET_ACCESS_KEY", "do-not-leak") };
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let out = py(
        &sb,
        "import os\nprint(sorted(k for k in os.environ if k.startswith(('AWS', 'ANTHROPIC'))))\n\
                       print(os.environ['HOME'], os.environ['MPLBACKEND'])",
    )
    .await;
    assert_eq!(out.stdout, format!("[]\n{} Agg\n", sb.dir().display()));
    let out = sb.execute_command("env").await.unwrap();
    assert!(!out.stdout.contains("do-not-leak"), "{}", out.stdout);
    assert!(out.stdout.contains("LANG=C.UTF-8"));
    let task = sb.start_task("env").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = sb.get_task(&task.task_id).await.unwrap();
    assert!(!info.output.contains("do-not-leak") && info.output.contains("PATH="));
    sb.shutdown().await;
}

#[tokio::test]
async fn background_task_lifecycle() {
    let tmp = super::sessions_dir().unwrap();
    let sb = sandbox(tmp.path()).await;
    let slow = sb.start_task("sleep 5; echo hi").await.unwrap();
    assert_eq!(slow.status, TaskStatus::Working);
    assert!(uuid::Uuid::parse_str(&slow.task_id).is_ok(), "a UUID: {}", slow.task_id);
    let info = sb.get_task(&slow.task_id).await.unwrap();
    assert_eq!(info.status.as_str(), "working");
    let stopped = sb.stop_task(&slow.task_id).await.unwrap();
    assert_eq!(stopped.status, TaskStatus::Canceled);
    assert_eq!(stopped.output, "");
    assert!(matches!(
        sb.stop_task(&slow.task_id).await,
        Err(SandboxError::TaskNotRunning { status: TaskStatus::Canceled, .. })
    ));
    let quick = sb.start_task("echo done; echo warn >&2").await.unwrap();
    let mut info = sb.get_task(&quick.task_id).await.unwrap();
    for _ in 0..100 {
        if info.status != TaskStatus::Working {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        info = sb.get_task(&quick.task_id).await.unwrap();
    }
    assert_eq!(info.status, TaskStatus::Completed);
    // stdout and stderr as one stream, in the order written.
    assert_eq!((info.output.as_str(), info.exit_code), ("done\nwarn\n", Some(0)));
    assert!(info.execution_time.is_some_and(|t| t < Duration::from_secs(5)));
    assert!(matches!(
        sb.stop_task(&quick.task_id).await,
        Err(SandboxError::TaskNotRunning { status: TaskStatus::Completed, .. })
    ));
    let failing = sb.start_task("exit 2").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sb.get_task(&failing.task_id).await.unwrap().status, TaskStatus::Failed);
    assert!(matches!(sb.get_task("nope").await, Err(SandboxError::TaskNotFound { .. })));
    sb.shutdown().await;
}

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
