//! The Converse and InvokeModel loops against a fake Bedrock Runtime that replays
//! scripted responses and records the requests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use axum::Json;
use axum::extract::State;
use axum::routing::post;
use common::anthropic::{self, InvokeModelLoop};
use common::converse::{self, ConverseLoop};
use common::tools::{self, ExecutePythonInput};
use common::{Error, LoopEvent, ToolOutput};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Script {
    responses: Arc<Mutex<VecDeque<Value>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

async fn answer(State(script): State<Script>, Json(body): Json<Value>) -> Json<Value> {
    script.requests.lock().unwrap().push(body);
    let next = script.responses.lock().unwrap().pop_front();
    Json(next.expect("a scripted response is left"))
}

async fn fake_bedrock(responses: Vec<Value>) -> (aws_sdk_bedrockruntime::Client, Script) {
    let script = Script { responses: Arc::new(Mutex::new(responses.into())), ..Script::default() };
    let app = axum::Router::new()
        .route("/model/{id}/converse", post(answer))
        .route("/model/{id}/invoke", post(answer))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .load()
        .await;
    (aws_sdk_bedrockruntime::Client::new(&config), script)
}

/// Runs valid input "print(...)" as "ran: <code>", refuses anything else.
fn handler() -> impl common::ToolHandler {
    |name: String, input: Value| async move {
        assert_eq!(name, tools::EXECUTE_PYTHON);
        Ok(match ExecutePythonInput::parse(input) {
            Ok(input) => ToolOutput::ok(format!("ran: {}", input.code)),
            Err(message) => ToolOutput::error(message),
        })
    }
}

fn converse_turn(stop: &str, content: Value, input_tokens: u64) -> Value {
    json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": input_tokens, "outputTokens": 7, "totalTokens": input_tokens + 7,
                  "cacheReadInputTokens": 2, "cacheWriteInputTokens": 1},
        "metrics": {"latencyMs": 1}
    })
}

#[tokio::test]
async fn converse_loop_runs_tools_and_sums_usage() {
    let (client, script) = fake_bedrock(vec![
        converse_turn(
            "tool_use",
            json!([
                {"text": "Computing."},
                {"toolUse": {"toolUseId": "t1", "name": "execute_python", "input": {"code": "print(5.5)"}}},
                {"toolUse": {"toolUseId": "t2", "name": "execute_python", "input": {"source": 1}}}
            ]),
            100,
        ),
        converse_turn("end_turn", json!([{"text": "The mean is 5.5."}]), 200),
    ])
    .await;
    let mut events = Vec::new();
    let report = ConverseLoop::new("model-x")
        .system("You check your answers.")
        .tools(tools::converse_tool_config().unwrap())
        .run(
            &client,
            vec![converse::user_text(common::STATS_PROMPT).unwrap()],
            &handler(),
            |event| match event {
                LoopEvent::ToolCall { id, .. } => events.push(format!("call {id}")),
                LoopEvent::ToolResult { id, output, .. } => {
                    events.push(format!("result {id} error={}", output.is_error));
                }
                LoopEvent::ModelCall { round_trip } => events.push(format!("model {round_trip}")),
                _ => {}
            },
        )
        .await
        .unwrap();

    assert_eq!(report.answer, "The mean is 5.5.");
    assert_eq!(report.stop_reason, "end_turn");
    assert_eq!((report.round_trips, report.tool_calls), (2, 2));
    assert_eq!(report.messages.len(), 4);
    assert_eq!(report.usage.input_tokens, 300);
    assert_eq!(report.usage.output_tokens, 14);
    assert_eq!(report.usage.cache_read_input_tokens, 4);
    assert_eq!(report.usage.cache_write_input_tokens, 2);
    assert_eq!(
        events,
        [
            "model 1",
            "call t1",
            "result t1 error=false",
            "call t2",
            "result t2 error=true",
            "model 2"
        ]
    );

    let requests = script.requests.lock().unwrap();
    assert_eq!(requests[0]["inferenceConfig"]["maxTokens"], 4096);
    assert_eq!(requests[0]["system"][0]["text"], "You check your answers.");
    assert_eq!(
        requests[0]["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"],
        json!(["code"])
    );
    let results = &requests[1]["messages"][2]["content"];
    assert_eq!(requests[1]["messages"][2]["role"], "user");
    assert_eq!(results[0]["toolResult"]["status"], "success");
    assert_eq!(results[0]["toolResult"]["content"][0]["text"], "ran: print(5.5)");
    assert_eq!(results[1]["toolResult"]["status"], "error");
    let error_text = results[1]["toolResult"]["content"][0]["text"].as_str().unwrap();
    assert!(error_text.contains("missing field `code`"), "{error_text}");
}

#[tokio::test]
async fn converse_loop_stops_at_the_turn_limit() {
    let tool_turn = || {
        converse_turn(
            "tool_use",
            json!([{"toolUse": {"toolUseId": "t", "name": "execute_python", "input": {"code": "1"}}}]),
            1,
        )
    };
    let (client, _script) = fake_bedrock(vec![tool_turn(), tool_turn(), tool_turn()]).await;
    let err = ConverseLoop::new("model-x")
        .max_turns(2)
        .run(&client, vec![converse::user_text("loop forever").unwrap()], &handler(), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TurnLimit { max_turns: 2 }), "{err:?}");
    assert_eq!(err.to_string(), "no final answer after 2 model calls (the loop's turn limit)");
}

fn anthropic_turn(stop: &str, content: Value) -> Value {
    json!({
        "id": "msg", "type": "message", "role": "assistant", "model": "m",
        "content": content, "stop_reason": stop, "stop_sequence": null,
        "usage": {"input_tokens": 50, "output_tokens": 5,
                  "cache_creation_input_tokens": 3, "cache_read_input_tokens": 4}
    })
}

#[tokio::test]
async fn invoke_model_loop_sends_tool_results_back() {
    let (client, script) = fake_bedrock(vec![
        anthropic_turn(
            "tool_use",
            json!([{"type": "tool_use", "id": "toolu_1", "name": "execute_python", "input": {"code": "print(2.8723)"}}]),
        ),
        anthropic_turn("end_turn", json!([{"type": "text", "text": "Std dev 2.8723."}])),
    ])
    .await;
    let report = InvokeModelLoop::new("model-y")
        .tools(vec![tools::anthropic_tool()])
        .run(&client, vec![anthropic::Message::user_text(common::STATS_PROMPT)], &handler(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.answer, "Std dev 2.8723.");
    assert_eq!((report.round_trips, report.tool_calls), (2, 1));
    assert_eq!(report.messages.len(), 4);
    assert_eq!(report.usage.input_tokens, 100);
    assert_eq!(report.usage.cache_write_input_tokens, 6);
    assert_eq!(report.usage.cache_read_input_tokens, 8);

    let requests = script.requests.lock().unwrap();
    assert_eq!(requests[0]["anthropic_version"], "bedrock-2023-05-31");
    assert_eq!(requests[0]["max_tokens"], 4096);
    assert_eq!(requests[0]["tools"][0]["name"], "execute_python");
    assert_eq!(
        requests[1]["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": "toolu_1",
               "content": [{"type": "text", "text": "ran: print(2.8723)"}]})
    );
}
