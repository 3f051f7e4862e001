//! Failures as the SDKs meet them: each answer says whether a retry is safe, no
//! retry runs code twice, and no session is left running for nobody.

use std::time::Instant;

use emulator::{Fault, FaultKind};
use serde_json::{Value, json};

use crate::stack::{Stack, events, kinds, request};

const ONCE: &str = "Append a line to runs.log and count its lines";
const STREAM: &str = "InvokeModelWithResponseStream";

/// The status, the retry headers, the error body and whether the id matches.
async fn refusal(response: reqwest::Response) -> (u16, String, Option<String>, Value) {
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (retry, after, id) =
        (header("x-should-retry"), header("retry-after"), header("request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["request_id"].as_str(), id.as_deref(), "the body names the request: {body}");
    (status, retry.unwrap_or_default(), after, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_before_anything_ran_is_a_rate_limit_error_to_retry() {
    let stack = Stack::start(|_| {}).await;
    stack.emulator.inject(Fault::new(STREAM, FaultKind::Throttle));
    let response = stack.messages(&request(ONCE, "code_execution_20250825", false)).send().await;
    let (status, retry, after, body) = refusal(response.unwrap()).await;
    assert_eq!((status, retry.as_str()), (429, "true"), "{body}");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(after.as_deref(), Some("2"));
    assert!(stack.no_session_left().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bedrock_refusals_are_the_apis_and_final() {
    let stack = Stack::start(|_| {}).await;
    for (kind, status, error, retry) in [
        (FaultKind::Denied, 403, "permission_error", "false"),
        (FaultKind::Unavailable, 529, "overloaded_error", "true"),
        (FaultKind::Validation, 400, "invalid_request_error", "false"),
    ] {
        stack.emulator.inject(Fault::new(STREAM, kind));
        let response =
            stack.messages(&request(ONCE, "code_execution_20250825", false)).send().await;
        let (got, should_retry, _, body) = refusal(response.unwrap()).await;
        assert_eq!(
            (got, body["error"]["type"].as_str(), should_retry.as_str()),
            (status, Some(error), retry)
        );
    }
}

/// The model call after the code ran breaks off: the turn ends with `pause_turn`,
/// what it did and its container, so the client goes on; the code ran once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_after_code_ran_pauses_the_turn_and_the_code_runs_once() {
    let stack = Stack::start(|_| {}).await;
    stack.emulator.inject(Fault::new(STREAM, FaultKind::MidStream).after(1));
    let first = request(ONCE, "code_execution_20250825", false);
    let reply: Value = stack.messages(&first).send().await.unwrap().json().await.unwrap();
    assert_eq!(reply["stop_reason"], "pause_turn", "{reply}");
    let types: Vec<&str> =
        reply["content"].as_array().unwrap().iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(&types[..3], ["text", "server_tool_use", "bash_code_execution_tool_result"]);
    let container = reply["container"]["id"].as_str().unwrap().to_owned();
    let mut next = first.clone();
    next["container"] = Value::from(container);
    next["messages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "assistant", "content": reply["content"]}));
    let done: Value = stack.messages(&next).send().await.unwrap().json().await.unwrap();
    let text = done["content"].as_array().unwrap().last().unwrap()["text"].as_str().unwrap();
    assert_eq!(text, "runs.log has 1 line(s).", "{done}");
}

/// The same through the unmodified anthropic SDK with its default retries (twice for
/// 429 and 5xx): it never has a reason to send the request again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdks_retries_never_run_code_twice() {
    if !crate::have_anthropic_sdk() {
        return;
    }
    let stack = Stack::start(|_| {}).await;
    stack.emulator.inject(Fault::new(STREAM, FaultKind::Internal).after(1));
    let env = stack.sdk_env();
    let seen =
        tokio::task::spawn_blocking(move || crate::run_python("runs_once", &env)).await.unwrap();
    let run = &seen["runs_once"];
    assert_eq!(run["text"].as_str().unwrap().lines().last(), Some("runs.log has 1 line(s)."));
    assert_eq!(run["pauses"], 1, "{run}");
    assert_eq!(run["request_ids"].as_array().unwrap().len(), 2, "{run}");
}

/// A refusal after the code ran is final: no retry, and the container the turn
/// started (which the client never heard of) is stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_after_code_ran_stops_the_turns_container() {
    let stack = Stack::start(|_| {}).await;
    stack.emulator.inject(Fault::new(STREAM, FaultKind::Validation).after(1));
    let response = stack.messages(&request(ONCE, "code_execution_20250825", false)).send().await;
    let (status, retry, _, body) = refusal(response.unwrap()).await;
    assert_eq!((status, retry.as_str()), (400, "false"), "{body}");
    assert!(stack.no_session_left().await, "the turn's container is still running");
}

/// A client that hangs up in the middle of a stream: the turn stops and its
/// container goes, as nobody will continue in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_leaves_no_session() {
    let stack = Stack::start(|_| {}).await;
    let slow =
        request("Run a slow command and tell me what it prints", "code_execution_20250825", true);
    let mut response = stack.messages(&slow).send().await.unwrap();
    let mut seen = String::new();
    while !seen.contains("server_tool_use") {
        seen.push_str(&String::from_utf8_lossy(&response.chunk().await.unwrap().unwrap()));
    }
    // The command (two seconds) is about to run, or running, in a new session.
    for _ in 0..100 {
        if stack.emulator.live_sessions() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(stack.emulator.live_sessions(), 1);
    drop(response);
    assert!(stack.no_session_left().await, "the turn's container outlived its client");
}

/// An error after the first byte of a stream is the API's `error` event, with the
/// request's id, and the stream ends there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_in_the_middle_of_a_stream_is_an_error_event() {
    let stack = Stack::start(|_| {}).await;
    stack.emulator.inject(Fault::new(STREAM, FaultKind::MidStream));
    let response =
        stack.messages(&request(ONCE, "code_execution_20250825", true)).send().await.unwrap();
    let id = response.headers()["request-id"].to_str().unwrap().to_owned();
    let seen = events(response, Instant::now()).await;
    assert_eq!(kinds(&seen).first(), Some(&"message_start"));
    let (_, last) = seen.last().unwrap();
    assert_eq!(last["type"], "error", "{:?}", kinds(&seen));
    assert_eq!(last["error"]["type"], "api_error");
    assert_eq!(last["request_id"], id.as_str());
    assert!(stack.no_session_left().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id_and_errors_have_the_apis_shape() {
    let stack = Stack::start(|_| {}).await;
    let http = &stack.http;
    let models =
        http.get(format!("{}/v1/models", stack.url)).header("x-api-key", crate::stack::KEY);
    let ok = models.send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers()["request-id"].to_str().unwrap().starts_with("req_"));
    let wrong_key = http.get(format!("{}/v1/models", stack.url)).header("x-api-key", "nope");
    let (status, _, _, body) = refusal(wrong_key.send().await.unwrap()).await;
    assert_eq!((status, body["error"]["type"].as_str()), (401, Some("authentication_error")));
    let nowhere =
        http.get(format!("{}/v1/nowhere", stack.url)).header("x-api-key", crate::stack::KEY);
    let (status, _, _, body) = refusal(nowhere.send().await.unwrap()).await;
    assert_eq!((status, body["error"]["type"].as_str()), (404, Some("not_found_error")));
    let huge = "x".repeat(33 << 20);
    let big = stack.messages(&json!({"model": "claude-sonnet-4-6", "max_tokens": 1,
        "messages": [{"role": "user", "content": huge}]}));
    let (status, retry, _, body) = refusal(big.send().await.unwrap()).await;
    assert_eq!((status, body["error"]["type"].as_str()), (413, Some("request_too_large")));
    assert_eq!(retry, "false");
}

/// What Bedrock runs or takes itself passes through; what nobody serves is refused
/// with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bedrock_native_tools_pass_and_unserved_ones_are_refused_clearly() {
    let stack = Stack::start(|_| {}).await;
    let memory = json!({"model": "claude-sonnet-4-6", "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Remember that my favourite colour is green"}],
        "tools": [{"type": "memory_20250818", "name": "memory"}]});
    let response =
        stack.messages(&memory).header("anthropic-beta", "context-management-2025-06-27");
    let reply: Value = response.send().await.unwrap().json().await.unwrap();
    assert_eq!(reply["stop_reason"], "tool_use", "{reply}");
    assert_eq!(reply["content"][1]["type"], "tool_use", "{reply}");
    assert_eq!(reply["content"][1]["name"], "memory");
    assert_eq!(reply["content"][1]["input"]["path"], "/memories/colour.txt");
    let search = json!({"model": "claude-sonnet-4-6", "max_tokens": 1024,
        "messages": [{"role": "user", "content": "news?"}],
        "tools": [{"type": "web_search_20250305", "name": "web_search"}]});
    let (status, _, _, body) = refusal(stack.messages(&search).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("not available on Amazon Bedrock"),
        "{body}"
    );
}
