//! Execution tests: the persistent interpreter, commands, limits and tasks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::util::random_id;

/// Whether group `pgid` has a process that is not a zombie. Zombies are ignored because
/// grandchildren orphaned to a PID 1 that does not reap (common in containers) linger.
pub(super) fn group_alive(pgid: u32) -> bool {
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

pub(super) async fn py(sb: &Sandbox, code: &str) -> ExecOutput {
    sb.execute_code(Language::Python, code, false).await.unwrap()
}

pub(super) fn process_alive(pid: u32) -> bool {
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
