//! Runs an example binary as a child process and checks its output.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod loop_example;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The built example next to this test binary: `target/<profile>/examples/<name>`.
/// `cargo test` builds every example before running the tests; with
/// `cargo test --test <one>` build them first (`cargo build --examples`).
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir =
        exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    let binary =
        profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --examples` (plain `cargo test` does it)",
        binary.display()
    );
    binary
}

/// What a run of an example printed.
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics with both streams when the run failed.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.success(),
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// The one `error:` line of a failed run (a sandbox warning may precede it),
    /// checked to contain every one of `needles`.
    pub fn assert_one_error_line(&self, needles: &[&str]) {
        assert!(!self.success(), "the run succeeded:\n{}", self.stdout);
        let errors: Vec<&str> = self.stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{}", self.stderr);
        for needle in needles {
            assert!(errors[0].contains(needle), "{needle} missing: {}", errors[0]);
        }
    }

    /// The stdout parsed as the one JSON object of `--json`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|err| panic!("stdout is not one JSON object ({err}):\n{}", self.stdout))
    }
}

/// Runs an example with `args`, feeding `stdin`. The environment variables the
/// flags fall back on are cleared so the caller's shell cannot change the run.
pub fn run_example(name: &str, args: &[&str], stdin: Option<&str>) -> Run {
    run_example_env(name, args, stdin, &[])
}

/// The same with extra environment variables (`(name, value)`).
pub fn run_example_env(
    name: &str, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)],
) -> Run {
    let mut command = Command::new(example_binary(name));
    command
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "AWS_REGION",
        "AWS_PROFILE",
        "BEDROCK_MODEL_ID",
        "MIGRATION_LOCAL",
        "MIGRATION_JSON",
        "MIGRATION_VERBOSE",
        "CODE_FILE",
        "CODE_LANGUAGE",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("example starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let Output { status, stdout, stderr } = child.wait_with_output().expect("example runs");
    Run {
        status,
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

/// The id in `[Session started: <id>]`, checked to match `[Session stopped: <id>]`.
pub fn session_id(stdout: &str) -> String {
    let between = |prefix: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(prefix)?.strip_suffix(']'))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no line starting with {prefix:?}:\n{stdout}"))
    };
    let started = between("[Session started: ");
    let stopped = between("[Session stopped: ");
    assert_eq!(started, stopped, "the session that started is the one stopped");
    assert!(!started.is_empty());
    started
}

/// The output with the session id (of `[Session started: …]` or 06's `Session: …`)
/// replaced by `<session-id>`.
pub fn redact(stdout: &str) -> String {
    let id = stdout.lines().find_map(|line| {
        let bracketed = line.strip_prefix("[Session started: ").and_then(|r| r.strip_suffix(']'));
        bracketed.or_else(|| line.strip_prefix("Session: "))
    });
    match id {
        Some(id) if !id.is_empty() => stdout.replace(id, "<session-id>"),
        _ => stdout.to_owned(),
    }
}

/// Compares the redacted output with `tests/transcripts/<file>`; with
/// `UPDATE_TRANSCRIPTS=1` it writes the file instead.
pub fn assert_transcript(file: &str, stdout: &str) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("transcripts").join(file);
    let actual = redact(stdout);
    if std::env::var_os("UPDATE_TRANSCRIPTS").is_some() {
        std::fs::write(&path, &actual).expect("write transcript");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!("{}: {err} (record it with UPDATE_TRANSCRIPTS=1)", path.display())
    });
    assert_eq!(
        actual,
        expected,
        "output differs from {} (re-record with UPDATE_TRANSCRIPTS=1 if the change is intended)",
        path.display()
    );
}

/// Whether a test must skip for want of `what` (bubblewrap, boto3, node): it may
/// locally, with a message. With `MIGRATION_REQUIRE_TEST_DEPS` set (CI sets it) a
/// missing prerequisite fails the test instead, so nothing passes by skipping.
pub fn skip_without(what: &str, available: bool) -> bool {
    if available {
        return false;
    }
    let required = std::env::var_os("MIGRATION_REQUIRE_TEST_DEPS").is_some_and(|v| !v.is_empty());
    assert!(
        !required,
        "{what} is missing and MIGRATION_REQUIRE_TEST_DEPS is set (.ci/run installs it)"
    );
    eprintln!("skipped: {what} is missing here");
    true
}
