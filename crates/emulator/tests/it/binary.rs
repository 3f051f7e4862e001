//! The `agentcore-emulator` binary: its readiness line, its export lines, and a clean stop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn prints_ready_then_exports_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentcore-emulator"))
        .args(["--python", "python3"])
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    let url = ready.strip_prefix("READY ").expect("first line is READY <url>");
    assert!(url.starts_with("http://127.0.0.1:"), "{ready}");
    let isolation = lines.next().unwrap().unwrap();
    assert_eq!(isolation, format!("# sandbox isolation: {}", emulator::describe_isolation()));

    let unset = lines.next().unwrap().unwrap();
    assert!(unset.starts_with("unset AWS_BEARER_TOKEN_BEDROCK "), "{unset}");
    let exports: Vec<String> =
        lines.by_ref().map(Result::unwrap).take_while(|l| l.starts_with("export ")).collect();
    for name in ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] {
        assert!(
            exports.iter().any(|l| l.starts_with(&format!("export {name}="))),
            "missing {name} in {exports:?}"
        );
    }
    assert!(exports.contains(&format!("export AWS_ENDPOINT_URL={url}")));
    // boto3 refuses a bearer token over plain HTTP: the key is a comment, not an export.
    assert!(!exports.iter().any(|l| l.contains("AWS_BEARER_TOKEN_BEDROCK")), "{exports:?}");
    let last = lines.next().unwrap().unwrap();
    assert!(last.starts_with("# paste the lines above"), "{last}");

    // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

#[test]
fn isolation_bubblewrap_refuses_to_start_without_it_and_off_turns_isolation_off() {
    let run = |mode: &str, path: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agentcore-emulator"))
            .args(["--python", "python3", "--isolation", mode])
            .env("RUST_LOG", "off")
            .env("PATH", path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("emulator starts");
        // The reader stays open until the child has exited: closing it early would
        // make the child's next write fail (EPIPE) and its exit status with it.
        let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = reader.by_ref().take(2).map(Result::unwrap).collect::<Vec<_>>();
        // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let output = child.wait_with_output().unwrap();
        drop(reader);
        (first, output.status, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    // No bwrap on this PATH: `bubblewrap` says what to install and exits non-zero.
    let (lines, status, stderr) = run("bubblewrap", "/nonexistent");
    assert!(lines.is_empty(), "{lines:?}");
    assert!(!status.success());
    assert!(stderr.contains("apt-get install bubblewrap"), "{stderr}");
    // `off` runs plain processes even where bubblewrap works, and says so.
    let (lines, status, _) = run("off", &std::env::var("PATH").unwrap());
    assert!(status.success());
    assert!(lines[1].starts_with("# sandbox isolation: none"), "{lines:?}");
}
