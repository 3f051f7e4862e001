//! The bridge binary, offline (`--local`), driven by the anthropic Python SDK as a
//! user's unchanged code would drive it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

mod failures;
mod fleet;
mod fleet_harness;
mod s3;
mod stack;
mod streaming;
mod typescript;

/// A `bridge --local` process and the environment that points an SDK at it.
struct Running {
    child: Child,
    env: Vec<(String, String)>,
}

impl Running {
    /// `bridge --local` with `extra_args`.
    fn start(extra_args: &[&str]) -> Running {
        let mut args = vec!["--local"];
        args.extend_from_slice(extra_args);
        Running::spawn(&args, &[])
    }

    /// The bridge with `args`, its AWS settings from `env`.
    fn spawn(args: &[&str], env: &[(&str, String)]) -> Running {
        let files = std::env::temp_dir().join(format!("bridge-test-files-{}", std::process::id()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_bridge"))
            .arg("--files-dir")
            .arg(files)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
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

    fn base_url(&self) -> String {
        self.env.iter().find(|(k, _)| k == "ANTHROPIC_BASE_URL").unwrap().1.clone()
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

/// Runs one part of the SDK script against `bridge`; the JSON object it printed.
fn run_client(bridge: &Running, part: &str) -> Value {
    run_client_with(bridge, part, &[])
}

fn run_client_with(bridge: &Running, part: &str, env: &[(&str, String)]) -> Value {
    let script = format!("{}/tests/python/anthropic_client.py", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .arg(script)
        .arg(part)
        .envs(bridge.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).expect("one JSON object")
}

/// Runs one part of the SDK script with just `env` pointing it somewhere.
fn run_python(part: &str, env: &[(&str, String)]) -> Value {
    let script = format!("{}/tests/python/anthropic_client.py", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .arg(script)
        .arg(part)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).expect("one JSON object")
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
    let bridge = Running::start(&[]);
    let seen = run_client(&bridge, "messages");

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

    // Generally available: no beta header, and the newer version runs as 20250825 does.
    assert_answers_the_statistics(&seen["ga_0120"]);
    assert_eq!(seen["ga_0120"]["types"], first["types"]);

    // Token counting goes to Bedrock's CountTokens; the tool's definition counts.
    let (plain, with_tool) = (
        seen["count_tokens"]["plain"].as_u64().unwrap(),
        seen["count_tokens"]["with_tool"].as_u64().unwrap(),
    );
    assert!(plain > 0 && with_tool > plain, "{}", seen["count_tokens"]);

    // The API's errors.
    let status = |case: &str| seen[case]["status"].as_u64();
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

    assert_eq!(status("unknown_server_tool"), Some(400), "{}", seen["unknown_server_tool"]);
}

/// `bridge --local` started from a shell that holds the user's own AWS settings (a
/// Bedrock API key, a profile that does not exist, endpoints that lead nowhere):
/// none of them reach its clients, and the lines it prints, pasted into such a
/// shell, point the unmodified SDK at it.
#[test]
fn local_ignores_the_callers_aws_environment_and_its_lines_work_in_a_shell() {
    if !have_anthropic_sdk() {
        return;
    }
    let hostile = [
        ("AWS_BEARER_TOKEN_BEDROCK", "ABSKusers-own-bedrock-api-key".to_owned()),
        ("AWS_PROFILE", "a-profile-that-does-not-exist".to_owned()),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_owned()),
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9".to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "users-own-secret".to_owned()),
        ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9".to_owned()),
    ];
    let bridge = Running::spawn(&["--local"], &hostile);
    let dir = tempfile::tempdir().unwrap();
    let setup = dir.path().join("bridge.sh");
    let lines: String = bridge.env.iter().map(|(k, v)| format!("export {k}={v}\n")).collect();
    std::fs::write(&setup, lines).unwrap();
    let script = format!("{}/tests/python/anthropic_client.py", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg("-c")
        .arg(r#"set -e; . "$1"; exec python3 "$2" messages"#)
        .args(["setup", setup.to_str().unwrap(), &script])
        .envs(hostile.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let run: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_answers_the_statistics(&run["create_0825"]);
}

#[test]
fn files_go_into_the_container_and_what_the_code_writes_comes_back() {
    if !have_anthropic_sdk() {
        return;
    }
    let bridge = Running::start(&[]);
    let files = &run_client(&bridge, "files")["files"];
    // The upload: stored, not downloadable (as with the API).
    assert_eq!(files["uploaded"]["filename"], "data.csv", "{files}");
    assert_eq!(files["uploaded"]["size_bytes"], 39, "{files}");
    assert_eq!(files["uploaded"]["downloadable"], false, "{files}");
    // The code read it in the container and wrote outputs/totals.csv.
    let text = files["reply"]["text"].as_str().unwrap();
    assert!(text.contains("The 3 rows add up to 9.5"), "{files}");
    assert_eq!(files["outputs"].as_array().unwrap().len(), 1, "{files}");
    assert_eq!(files["written"]["filename"], "totals.csv", "{files}");
    assert_eq!(files["written"]["mime_type"], "text/csv", "{files}");
    assert_eq!(files["written"]["downloadable"], true, "{files}");
    assert_eq!(
        files["downloaded"], "item,amount\r\napples,3\r\npears,4.5\r\nplums,2\r\ntotal,9.5\r\n",
        "{files}"
    );
    let listed = files["listed"].as_array().unwrap();
    assert!(listed.contains(&files["uploaded"]["id"]) && listed.contains(&files["outputs"][0]));
    assert_eq!(files["download_upload"]["status"], 400, "{files}");
    assert_eq!(files["deleted"], "file_deleted", "{files}");
    assert_eq!(files["after_delete"]["status"], 404, "{files}");
    assert_eq!(files["after_delete"]["class"], "NotFoundError", "{files}");
    assert_eq!(files["unknown_upload"]["status"], 400, "{files}");
    assert!(
        files["unknown_upload"]["message"].as_str().unwrap().contains("was not found"),
        "{files}"
    );
}

#[test]
fn a_client_tool_goes_back_to_the_client_and_its_result_reaches_the_model() {
    if !have_anthropic_sdk() {
        return;
    }
    let bridge = Running::start(&[]);
    let case = &run_client(&bridge, "client_tool")["client_tool"];
    assert_eq!(case["asked"]["stop_reason"], "tool_use", "{case}");
    assert_eq!(case["asked"]["types"], serde_json::json!(["text", "tool_use"]), "{case}");
    assert_eq!(case["call"]["name"], "get_temperature", "{case}");
    assert_eq!(case["call"]["input"]["city"], "Paris", "{case}");
    assert_eq!(case["answered"]["stop_reason"], "end_turn", "{case}");
    assert_eq!(case["answered"]["text"], "It is 18 °C in Paris.", "{case}");
}

#[test]
fn a_turn_past_its_step_budget_pauses_and_goes_on_when_sent_back() {
    if !have_anthropic_sdk() {
        return;
    }
    let bridge = Running::start(&["--max-steps", "1"]);
    let pause = &run_client(&bridge, "pause")["pause"];
    // Three model calls at one per request: two pauses, then the answer.
    assert_eq!(pause["pauses"], 2, "{pause}");
    assert_answers_the_statistics(pause);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programmatic_tool_calls_run_in_the_client_and_any_replica_resumes_them() {
    if !have_anthropic_sdk() {
        return;
    }
    // Three bridges on one AWS (an emulator): two replicas sharing a key, and one
    // whose code waits at most a second for a tool's result.
    let aws = emulator::Emulator::builder().progress(false).start().await.unwrap();
    let env = aws.env_vars();
    let key = ["--api-key", "sk-test-programmatic"];
    let first = Running::spawn(&key, &env);
    let second = Running::spawn(&key, &env);
    let short = Running::spawn(&[key[0], key[1], "--tool-wait-seconds", "1"], &env);
    let extra = [("SECOND_BASE_URL", second.base_url()), ("SHORT_WAIT_BASE_URL", short.base_url())];
    let seen = tokio::task::spawn_blocking(move || {
        let seen = run_client_with(&first, "programmatic", &extra);
        drop((first, second, short));
        seen
    })
    .await
    .unwrap();

    let run = &seen["programmatic"];
    // One code block, 15 calls of the client's tools: five pauses of three calls made
    // at once, answered alternately through both replicas.
    assert_eq!(run["pauses"], serde_json::json!([3, 3, 3, 3, 3]), "{run}");
    assert_eq!(run["calls"], 15, "{run}");
    assert_eq!(run["callers"], serde_json::json!([["code_execution_20250825", "srvtoolu_"]]));
    assert_eq!(
        run["served_by"],
        serde_json::json!(["second", "first", "second", "first", "second"])
    );
    assert_eq!(run["calls_from_code"], "15", "{run}");
    // The ranking is example 07's: the same data, scored by the same code.
    let text = run["final"]["text"].as_str().unwrap();
    for (rank, city) in
        [(1, "Los Angeles"), (2, "Denver"), (3, "Portland"), (4, "Seattle"), (5, "San Francisco")]
    {
        assert!(text.contains(&format!("{rank}. {city} (score")), "rank {rank} {city}: {text}");
    }
    assert_eq!(run["final"]["stop_reason"], "end_turn", "{run}");
    assert_eq!(run["result_types"][0], "code_execution_tool_result", "{run}");

    let errors = &seen["programmatic_errors"];
    assert_eq!(errors["no_container"]["status"], 400, "{errors}");
    assert!(
        errors["no_container"]["message"].as_str().unwrap().contains("container_id is required")
    );
    assert_eq!(errors["unknown_call"]["status"], 400, "{errors}");
    assert!(errors["unknown_call"]["message"].as_str().unwrap().contains("unexpected tool_use_id"));

    let raised = &seen["programmatic_raised"];
    assert_eq!(raised["return_code"], 1, "{raised}");
    assert!(
        raised["stderr"].as_str().unwrap().contains("ToolError: get_weather is down"),
        "{raised}"
    );

    let expired = &seen["programmatic_expired"];
    assert_eq!(expired["content_type"], "code_execution_tool_result_error", "{expired}");
    assert_eq!(expired["error_code"], "execution_time_exceeded", "{expired}");
    aws.shutdown().await;
}

/// Custom skills through the unmodified SDK: created, listed, loaded into the
/// container where the model reads its SKILL.md and runs its script, versioned,
/// deleted; an Anthropic-provided skill is refused with what to do instead.
#[test]
fn custom_skills_reach_the_model_and_run_in_the_container() {
    if !have_anthropic_sdk() {
        return;
    }
    let bridge = Running::start(&[]);
    let skills = &run_client(&bridge, "skills")["skills"];
    let id = skills["created"]["id"].as_str().unwrap();
    assert!(id.starts_with("skill_"), "{skills}");
    assert_eq!(skills["created"]["display_name"], "Greeting", "{skills}");
    assert_eq!(skills["created"]["source"], "custom", "{skills}");
    assert!(skills["listed"].as_array().unwrap().iter().any(|s| s == id), "{skills}");
    assert_eq!(
        skills["used"]["text"].as_str().unwrap().lines().last(),
        Some("The skill's greeting: Ahoy, Ada!"),
        "{skills}"
    );
    let loaded = &skills["container_skills"][0];
    assert_eq!(
        (loaded["type"].as_str(), loaded["skill_id"].as_str()),
        (Some("custom"), Some(id)),
        "{skills}"
    );
    assert_eq!(loaded["version"], skills["created"]["latest_version_id"], "{skills}");
    assert_eq!(skills["versions"].as_array().unwrap().len(), 2, "{skills}");
    assert_eq!(skills["versions"][0], skills["new_version"], "newest first: {skills}");
    assert_eq!(skills["refused_delete"]["status"], 400, "{skills}");
    assert_eq!(skills["deleted"], "skill_deleted", "{skills}");
    assert_eq!(skills["anthropic_skill"]["status"], 400, "{skills}");
    let message = skills["anthropic_skill"]["message"].as_str().unwrap();
    assert!(message.contains("POST /v1/skills"), "{message}");
}
