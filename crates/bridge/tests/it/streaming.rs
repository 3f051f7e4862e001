//! A turn as the client sees it: events as Bedrock and the tools produce them.

use std::time::{Duration, Instant};

use messages::Assembler;
use serde_json::Value;

use crate::stack::{Stack, events, kinds, request};

const SLOW: &str = "Run a slow command and tell me what it prints";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_the_client_as_the_model_and_the_tools_produce_them() {
    let stack = Stack::start(|_| {}).await;
    let started = Instant::now();
    let response =
        stack.messages(&request(SLOW, "code_execution_20250825", true)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert!(response.headers()["request-id"].to_str().unwrap().starts_with("req_"));
    let seen = events(response, started).await;
    let kinds = kinds(&seen);
    let when = |pred: &dyn Fn(&Value) -> bool| {
        seen.iter().find(|(_, e)| pred(e)).map(|(t, _)| *t).unwrap_or_else(|| panic!("{kinds:?}"))
    };
    let first_text = when(&|e| e["delta"]["type"] == "text_delta");
    let result = when(&|e| e["content_block"]["type"] == "bash_code_execution_tool_result");
    // The model's first words arrive before the two-second command has finished.
    assert!(result >= first_text + Duration::from_millis(1800), "{first_text:?} {result:?}");
    let pings =
        seen.iter().filter(|(t, e)| e["type"] == "ping" && *t > first_text && *t < result).count();
    assert!(pings >= 3, "pings while the command ran: {pings} in {kinds:?}");
    // One message: one start, one closing delta, the stop last.
    assert_eq!(kinds.iter().filter(|k| **k == "message_start").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "message_delta").count(), 1, "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"message_stop"));
    // Block indices run 0, 1, 2, ... across both model calls and the tool's result.
    let starts: Vec<(u64, &str)> = seen
        .iter()
        .filter(|(_, e)| e["type"] == "content_block_start")
        .map(|(_, e)| (e["index"].as_u64().unwrap(), e["content_block"]["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        starts,
        [(0, "text"), (1, "server_tool_use"), (2, "bash_code_execution_tool_result"), (3, "text")]
    );
    let call_deltas = seen
        .iter()
        .filter(|(_, e)| e["index"] == 1 && e["delta"]["type"] == "input_json_delta")
        .count();
    assert!(call_deltas >= 1, "the call's input comes as input_json_delta");
    let mut assembler = Assembler::new();
    for (_, event) in &seen {
        assembler.push(event).unwrap();
    }
    let message = assembler.finish().unwrap();
    assert!(message.text().contains("The command printed: finished"), "{}", message.text());
    assert!(message.container.is_some_and(|c| c.id.starts_with("container_")));
    // Usage summed over the two model calls: more input than the first call's alone.
    let started_with = seen[0].1["message"]["usage"]["input_tokens"].as_u64().unwrap();
    assert!(message.usage.input_tokens > started_with, "{:?}", message.usage);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_answer_is_the_stream_collected() {
    let stack = Stack::start(|_| {}).await;
    let response =
        stack.messages(&request(SLOW, "code_execution_20250825", false)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["request-id"].to_str().unwrap().starts_with("req_"));
    let message: Value = response.json().await.unwrap();
    let types: Vec<&str> = message["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["text", "server_tool_use", "bash_code_execution_tool_result", "text"]);
    assert_eq!(message["content"][1]["input"]["command"], "sleep 2; echo finished");
    // The container's shell output, as the API's container gives it: plain newlines.
    assert_eq!(message["content"][2]["content"]["stdout"], "finished\n");
    assert_eq!(message["stop_reason"], "end_turn");
}

#[test]
fn the_anthropic_sdks_text_stream_shows_the_first_words_while_the_command_runs() {
    if !crate::have_anthropic_sdk() {
        return;
    }
    let bridge = crate::Running::start(&[]);
    let run = &crate::run_client(&bridge, "slow_stream")["slow_stream"];
    let (first, end) = (run["first_text_s"].as_f64().unwrap(), run["end_s"].as_f64().unwrap());
    assert!(first + 1.8 <= end, "first text at {first} s, the end at {end} s: {run}");
    assert!(run["text"].as_str().unwrap().contains("finished"), "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_state_persists_for_the_versions_that_promise_it() {
    let stack = Stack::start(|_| {}).await;
    let first = request("Set x to 41 in Python", "code_execution_20260120", false);
    let reply: Value = stack.messages(&first).send().await.unwrap().json().await.unwrap();
    assert_eq!(reply["content"][0]["type"], "server_tool_use", "{reply}");
    assert_eq!(reply["content"][0]["name"], "code_execution", "{reply}");
    assert_eq!(reply["content"][1]["type"], "code_execution_tool_result", "{reply}");
    let container = reply["container"]["id"].as_str().unwrap().to_owned();
    let mut next = first.clone();
    next["container"] = Value::from(container);
    next["messages"].as_array_mut().unwrap().extend([
        serde_json::json!({"role": "assistant", "content": reply["content"]}),
        serde_json::json!({"role": "user", "content": "Now print x + 1"}),
    ]);
    let again: Value = stack.messages(&next).send().await.unwrap().json().await.unwrap();
    let text = again["content"].as_array().unwrap().last().unwrap()["text"].as_str().unwrap();
    assert_eq!(text, "x + 1 is 42.", "{again}");
}
