//! Example 00 (the Anthropic API "before") run offline: the server-side tool calls
//! run in the emulator's container and every result block is printed.

use crate::support::{run_example, run_example_env};

const EXAMPLE: &str = "00_anthropic_code_execution";

fn assert_statistics(out: &str) {
    let code_output = out.lines().filter(|l| l.starts_with("[Code Output] ")).count();
    assert_eq!(code_output, 2, "one line per result block (create, run):\n{out}");
    assert!(out.contains("[Code Output] file created"), "{out}");
    assert!(out.contains("[Code Output] Data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"), "{out}");
    for number in ["Mean: 5.5", "Population Std Dev: 2.8723", "Sample Std Dev: 3.0277"] {
        assert!(out.contains(number), "missing {number}:\n{out}");
    }
    assert!(out.contains("**Mean:** 5.5"), "the answer quotes the result:\n{out}");
}

#[test]
fn local_run_prints_text_and_code_output() {
    let run = run_example(EXAMPLE, &["--local"], None);
    run.assert_success();
    assert_statistics(&run.stdout);
}

#[test]
fn json_report_counts_the_server_tool_calls() {
    let run = run_example(EXAMPLE, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "00");
    assert_eq!(report["round_trips"], 1, "one API call does everything");
    assert_eq!(report["tool_calls"], 2);
    assert_eq!(report["sessions_started"], 0);
    assert!(report["answer"].as_str().unwrap().contains("3.0277"));
}

#[test]
fn without_a_key_the_error_says_what_to_do() {
    let run = run_example_env(
        EXAMPLE,
        &[],
        None,
        &[("ANTHROPIC_API_KEY", ""), ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")],
    );
    assert!(!run.success());
    assert!(run.stderr.contains("ANTHROPIC_API_KEY"), "{}", run.stderr);
    assert!(run.stderr.contains("--local"), "{}", run.stderr);
}

#[test]
fn a_retired_anthropic_model_is_one_clear_line_that_names_the_flag() {
    let args = ["--local", "--model", "claude-sonnet-4-5-20250929"];
    run_example(EXAMPLE, &args, None).assert_one_error_line(&[
        "model: claude-sonnet-4-5-20250929",
        "--model or BEDROCK_MODEL_ID",
    ]);
}

/// A bridge on `emulator`'s Bedrock and AgentCore, pausing after `max_steps` model
/// calls; the environment that points the example at it.
async fn bridge_on(
    emulator: &emulator::Emulator, max_steps: usize,
) -> (std::sync::Arc<bridge::Bridge>, Vec<(&'static str, String)>) {
    let aws = emulator.sdk_config_builder().build();
    let key = "sk-bridge-test";
    let mut config = bridge::BridgeConfig::with_keys([key]);
    config.max_steps = max_steps;
    let bridge = bridge::Bridge::new(&aws, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = bridge.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (bridge, vec![("ANTHROPIC_BASE_URL", url), ("ANTHROPIC_API_KEY", key.to_owned())])
}

async fn run_with(env: Vec<(&'static str, String)>) -> crate::support::Run {
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_example_env(EXAMPLE, &[], None, &env)
    })
    .await
    .unwrap()
}

/// The example, unchanged, against the bridge (`ANTHROPIC_BASE_URL`): the model on
/// the emulator's Bedrock, the code in its AgentCore, the same numbers printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_unchanged_against_the_bridge() {
    let emulator = emulator::Emulator::builder().progress(false).start().await.unwrap();
    let (bridge, env) = bridge_on(&emulator, 10).await;
    let run = run_with(env).await;
    run.assert_success();
    assert_statistics(&run.stdout);
    assert_eq!(emulator.live_sessions(), 1, "the bridge ran both calls in one AgentCore session");
    assert_eq!(bridge.stop_containers().await, 1);
    assert_eq!(emulator.live_sessions(), 0);
}

/// A bridge that pauses after every model call, as the real API pauses long turns:
/// the example sends the turn back until it ends, in the same container.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_turns_are_resumed_in_the_same_container() {
    let emulator = emulator::Emulator::builder().progress(false).start().await.unwrap();
    let (_bridge, env) = bridge_on(&emulator, 1).await;
    let run = run_with(env).await;
    run.assert_success();
    assert_statistics(&run.stdout);
    assert_eq!(emulator.live_sessions(), 1, "every continuation used one container");
}
