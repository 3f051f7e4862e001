//! The Anthropic Messages API route: the server runs the model's code execution
//! calls in a container and returns the whole turn, as api.anthropic.com does.

use serde_json::{Value, json};

const PROMPT: &str = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";

fn body(tool: &str) -> Value {
    json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": 4096,
        "tools": [{"type": tool, "name": "code_execution"}],
        "messages": [{"role": "user", "content": PROMPT}],
    })
}

async fn post(emulator: &emulator::Emulator, beta: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/messages", emulator.endpoint()))
        .header("x-api-key", emulator.api_key())
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", beta)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn blocks_of<'a>(message: &'a Value, kind: &str) -> Vec<&'a Value> {
    message["content"].as_array().unwrap().iter().filter(|b| b["type"] == kind).collect()
}

#[tokio::test]
async fn code_execution_20250825_runs_server_side_and_reuses_the_container() {
    let emulator = crate::support::emulator_with_numpy().await;
    let response =
        post(&emulator, "code-execution-2025-08-25", &body("code_execution_20250825")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["stop_reason"], "end_turn");

    let uses = blocks_of(&message, "server_tool_use");
    let names: Vec<_> = uses.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["text_editor_code_execution", "bash_code_execution"]);
    let created = blocks_of(&message, "text_editor_code_execution_tool_result");
    assert_eq!(created[0]["content"]["type"], "text_editor_code_execution_create_result");
    let ran = blocks_of(&message, "bash_code_execution_tool_result");
    let stdout = ran[0]["content"]["stdout"].as_str().unwrap();
    assert!(stdout.contains("Mean: 5.5"), "{stdout}");
    assert!(stdout.contains("Sample Std Dev: 3.0277"), "{stdout}");
    assert_eq!(ran[0]["content"]["return_code"], 0);
    assert_eq!(ran[0]["tool_use_id"], uses[1]["id"]);

    let answer: String =
        blocks_of(&message, "text").iter().map(|b| b["text"].as_str().unwrap()).collect();
    assert!(answer.contains("2.8723") && answer.contains("3.0277"), "{answer}");
    assert!(message["usage"]["input_tokens"].as_u64().unwrap() > 0);

    let container = message["container"]["id"].as_str().unwrap().to_owned();
    assert!(message["container"]["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(emulator.live_containers(), 1);

    // The same container again: the file written by the first turn is still there.
    let mut again = body("code_execution_20250825");
    again["container"] = json!(container);
    let second: Value =
        post(&emulator, "code-execution-2025-08-25", &again).await.json().await.unwrap();
    assert_eq!(second["container"]["id"], container.as_str());
    let created = blocks_of(&second, "text_editor_code_execution_tool_result");
    assert_eq!(created[0]["content"]["is_file_update"], true);
    assert_eq!(emulator.live_containers(), 1);

    let mut stale = body("code_execution_20250825");
    stale["container"] = json!("container_doesnotexist");
    let response = post(&emulator, "code-execution-2025-08-25", &stale).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn code_execution_20250522_answers_with_code_execution_results() {
    let emulator = crate::support::emulator_with_numpy().await;
    let message: Value =
        post(&emulator, "code-execution-2025-05-22", &body("code_execution_20250522"))
            .await
            .json()
            .await
            .unwrap();
    let uses = blocks_of(&message, "server_tool_use");
    assert_eq!(uses[0]["name"], "code_execution");
    let results = blocks_of(&message, "code_execution_tool_result");
    assert_eq!(results[0]["content"]["type"], "code_execution_result");
    assert!(results[0]["content"]["stdout"].as_str().unwrap().contains("Mean: 5.5"));
}

#[tokio::test]
async fn streaming_answers_as_server_sent_events() {
    let emulator = crate::support::emulator_with_numpy().await;
    let mut request = body("code_execution_20250825");
    request["stream"] = json!(true);
    let response = post(&emulator, "code-execution-2025-08-25", &request).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let events: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("event: ")).collect();
    assert_eq!(events.first(), Some(&"message_start"));
    assert_eq!(events.last(), Some(&"message_stop"));
    assert!(events.contains(&"content_block_delta"));
    assert!(text.contains("bash_code_execution_tool_result"));
}

#[tokio::test]
async fn bad_requests_get_anthropic_errors() {
    let emulator = crate::support::emulator().await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/messages", emulator.endpoint());

    let response = http
        .post(&url)
        .header("anthropic-version", "2023-06-01")
        .json(&body("code_execution_20250825"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "authentication_error");

    let response = http
        .post(&url)
        .header("authorization", "Bearer wrong")
        .json(&body("code_execution_20250825"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // Bearer with the right key is accepted; the beta header is still required.
    let response = http
        .post(&url)
        .bearer_auth(emulator.api_key())
        .header("anthropic-version", "2023-06-01")
        .json(&body("code_execution_20250825"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert!(error["error"]["message"].as_str().unwrap().contains("code-execution-2025-08-25"));

    let mut unknown = body("code_execution_20250825");
    unknown["messages"][0]["content"] = json!("Write me a poem about the sea");
    let response = post(&emulator, "code-execution-2025-08-25", &unknown).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("transcript"), "{message}");

    let response = post(&emulator, "code-execution-2025-08-25", &json!({"max_tokens": 5})).await;
    assert_eq!(response.status(), 400);
    assert_eq!(emulator.live_containers(), 0);
}

#[tokio::test]
async fn a_retired_model_and_a_blank_text_block_get_the_apis_errors() {
    let emulator = crate::support::emulator().await;
    let mut retired = body("code_execution_20250825");
    retired["model"] = json!("claude-sonnet-4-5-20250929");
    let response = post(&emulator, "code-execution-2025-08-25", &retired).await;
    assert_eq!(response.status(), 404);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "not_found_error");
    assert_eq!(error["error"]["message"], "model: claude-sonnet-4-5-20250929");

    let mut blank = body("code_execution_20250825");
    blank["messages"] = json!([{"role": "user", "content": [{"type": "text", "text": ""}]}]);
    let response = post(&emulator, "code-execution-2025-08-25", &blank).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(error["error"]["message"], "messages: text content blocks must be non-empty");
}
