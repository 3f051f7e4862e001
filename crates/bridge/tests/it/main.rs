//! The bridge binary, offline (`--local`), driven by the anthropic Python SDK as a
//! user's unchanged code would drive it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A `bridge --local` process and the environment that points an SDK at it.
struct Running {
    child: Child,
    env: Vec<(String, String)>,
}

impl Running {
    fn start() -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bridge"))
            .arg("--local")
            .env("RUST_LOG", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the bridge starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.next().unwrap().unwrap();
        assert!(ready.starts_with("READY http://127.0.0.1:"), "{ready}");
        let env = (0..2)
            .map(|_| {
                let line = lines.next().unwrap().unwrap();
                let (name, value) = line.strip_prefix("export ").unwrap().split_once('=').unwrap();
                (name.to_owned(), value.to_owned())
            })
            .collect();
        Running { child, env }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// Whether `python3` can import the anthropic SDK; with `MIGRATION_REQUIRE_TEST_DEPS`
/// set (CI sets it) its absence fails the test instead of skipping it.
fn have_anthropic_sdk() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import anthropic"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let required =
            std::env::var_os("MIGRATION_REQUIRE_TEST_DEPS").is_some_and(|v| !v.is_empty());
        assert!(!required, "the anthropic SDK is missing and MIGRATION_REQUIRE_TEST_DEPS is set");
        eprintln!("skipped: the anthropic Python SDK is missing here (pip install anthropic)");
    }
    found
}

fn assert_answers_the_statistics(run: &Value) {
    let text = run["text"].as_str().unwrap();
    for number in ["5.5", "2.8723", "3.0277"] {
        assert!(text.contains(number), "{number} missing: {run}");
    }
    assert_eq!(run["stop_reason"], "end_turn", "{run}");
    assert!(run["input_tokens"].as_u64().unwrap() > 0, "{run}");
}

#[test]
fn the_anthropic_sdk_runs_unchanged_against_the_bridge() {
    if !have_anthropic_sdk() {
        return;
    }
    let bridge = Running::start();
    let script = format!("{}/tests/python/anthropic_client.py", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .arg(script)
        .envs(bridge.env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");

    // code_execution_20250825: the text editor writes the script, bash runs it.
    let first = &seen["create_0825"];
    assert_answers_the_statistics(first);
    let types: Vec<&str> =
        first["types"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "text",
            "server_tool_use",
            "text_editor_code_execution_tool_result",
            "text",
            "server_tool_use",
            "bash_code_execution_tool_result",
            "text"
        ]
    );
    assert!(first["container"].as_str().unwrap().starts_with("container_"), "{first}");
    assert!(first["expires_at"].as_str().unwrap().starts_with("20"), "{first}");

    // Streaming: the SDK rebuilds the same message from the events.
    let streamed = &seen["stream_0825"];
    assert_answers_the_statistics(streamed);
    assert!(streamed["streamed_text"].as_str().unwrap().contains("5.5"), "{streamed}");
    assert_eq!(streamed["types"], first["types"]);

    // code_execution_20250522: Python through executeCode.
    let older = &seen["create_0522"];
    assert_answers_the_statistics(older);
    assert!(
        older["types"].as_array().unwrap().iter().any(|t| t == "code_execution_tool_result"),
        "{older}"
    );

    // The second request continues in the first one's container and sees its file.
    let reuse = &seen["reuse"];
    assert_eq!(reuse["container"], first["container"], "{reuse}");
    assert!(reuse["text"].as_str().unwrap().contains("`import numpy as np`"), "{reuse}");

    // The API's errors.
    let status = |case: &str| seen[case]["status"].as_u64();
    assert_eq!(status("missing_beta"), Some(400), "{}", seen["missing_beta"]);
    assert!(
        seen["missing_beta"]["message"]
            .as_str()
            .unwrap()
            .contains("anthropic-beta: code-execution-2025-08-25")
    );
    assert_eq!(status("unknown_model"), Some(404), "{}", seen["unknown_model"]);
    assert!(
        seen["unknown_model"]["message"]
            .as_str()
            .unwrap()
            .contains("model: claude-sonnet-4-5-20250929")
    );
    // Bedrock's refusal of a blank text block reaches the client as the API's error.
    assert_eq!(status("blank_text"), Some(400), "{}", seen["blank_text"]);
    assert!(
        seen["blank_text"]["message"]
            .as_str()
            .unwrap()
            .contains("text content blocks must be non-empty"),
        "{}",
        seen["blank_text"]
    );
    assert_eq!(seen["unknown_model"]["class"], "NotFoundError");
    assert_eq!(status("unknown_container"), Some(400), "{}", seen["unknown_container"]);
    assert!(
        seen["unknown_container"]["message"]
            .as_str()
            .unwrap()
            .contains("was not found or has expired")
    );
    assert_eq!(status("wrong_key"), Some(401), "{}", seen["wrong_key"]);
    assert_eq!(seen["wrong_key"]["class"], "AuthenticationError");
    assert!(
        seen["models"].as_array().unwrap().iter().any(|m| m == "claude-sonnet-4-6"),
        "{}",
        seen["models"]
    );
}
