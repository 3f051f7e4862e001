//! The bridge driven by a second real client: the TypeScript SDK
//! (`@anthropic-ai/sdk` from npm), unmodified. `.ci/run` installs it into
//! `target/ts-sdk`; elsewhere set `ANTHROPIC_TS_SDK_DIR` to a directory whose
//! `node_modules` has it (`npm install --prefix DIR @anthropic-ai/sdk`).

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

/// The directory with the SDK installed, if there is one (a test fails for want of
/// it where `MIGRATION_REQUIRE_TEST_DEPS` is set).
fn sdk_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ANTHROPIC_TS_SDK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ts-sdk"));
    let found = dir.join("node_modules/@anthropic-ai/sdk/package.json").is_file()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        let required =
            std::env::var_os("MIGRATION_REQUIRE_TEST_DEPS").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "the TypeScript SDK is missing in {} (.ci/run installs it)",
            dir.display()
        );
        eprintln!(
            "skipped: the TypeScript SDK is missing (npm install --prefix {} @anthropic-ai/sdk)",
            dir.display()
        );
    }
    found.then_some(dir)
}

/// Runs one part of `tests/ts/client.mjs` against `bridge`, from the SDK's directory
/// (ES modules resolve packages next to the script).
fn run(dir: &std::path::Path, bridge: &crate::Running, part: &str) -> Value {
    let script = dir.join("bridge-client.mjs");
    std::fs::copy(format!("{}/tests/ts/client.mjs", env!("CARGO_MANIFEST_DIR")), &script).unwrap();
    let output = Command::new("node")
        .arg(&script)
        .arg(part)
        .envs(bridge.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).expect("one JSON object")
}

#[test]
fn the_typescript_sdk_creates_streams_and_sees_the_apis_errors() {
    let Some(dir) = sdk_dir() else { return };
    let bridge = crate::Running::start(&[]);
    let seen = run(&dir, &bridge, "messages");
    crate::assert_answers_the_statistics(&seen["created"]);
    assert!(seen["created"]["request_id"].as_str().unwrap().starts_with("req_"), "{seen}");
    let streamed = &seen["streamed"];
    assert!(streamed["text"].as_str().unwrap().contains("finished"), "{streamed}");
    let (first, end) =
        (streamed["first_text_ms"].as_u64().unwrap(), streamed["end_ms"].as_u64().unwrap());
    assert!(first + 1800 <= end, "first text at {first} ms, the end at {end} ms");
    assert_eq!(seen["unknown_model"]["status"], 404, "{seen}");
    assert_eq!(seen["unknown_model"]["type"], "not_found_error", "{seen}");
}

#[test]
fn the_typescript_sdk_uploads_and_downloads_files() {
    let Some(dir) = sdk_dir() else { return };
    let bridge = crate::Running::start(&[]);
    let files = run(&dir, &bridge, "files");
    assert_eq!(files["uploaded"]["size_bytes"], 39, "{files}");
    assert!(
        files["reply"]["text"].as_str().unwrap().contains("The 3 rows add up to 9.5"),
        "{files}"
    );
    assert_eq!(files["outputs"].as_array().unwrap().len(), 1, "{files}");
    assert!(files["downloaded"].as_str().unwrap().contains("total,9.5"), "{files}");
    assert!(files["listed"].as_array().unwrap().contains(&files["uploaded"]["id"]), "{files}");
}

#[test]
fn the_typescript_sdk_answers_tool_calls_made_by_code() {
    let Some(dir) = sdk_dir() else { return };
    let bridge = crate::Running::start(&[]);
    let run = run(&dir, &bridge, "programmatic");
    assert_eq!(run["pauses"], json!([3, 3, 3, 3, 3]), "{run}");
    assert_eq!(run["callers"], json!(["code_execution_20250825"]), "{run}");
    let text = run["final"]["text"].as_str().unwrap();
    assert!(text.contains("1. Los Angeles"), "{run}");
}
