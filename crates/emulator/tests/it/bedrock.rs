//! Bedrock Runtime against the emulator, driven by the real Rust SDK client.

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    CachePointBlock, CachePointType, ContentBlock, ContentBlockDelta, ContentBlockStart,
    ConversationRole, ConverseOutput, ConverseStreamOutput, Message, ResponseStream, StopReason,
    SystemContentBlock, Tool, ToolConfiguration, ToolInputSchema, ToolResultBlock,
    ToolResultContentBlock, ToolSpecification,
};
use aws_smithy_types::Document;
use serde_json::{Value, json};

pub(crate) const MODEL: &str = "us.anthropic.claude-sonnet-4-6";
pub(crate) const P: &str =
    "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
const STATS_OUTPUT: &str = "Data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nMean: 5.5\n\
                            Population Std Dev: 2.8723\nSample Std Dev: 3.0277\n";

pub(crate) async fn client(emulator: &emulator::Emulator) -> aws_sdk_bedrockruntime::Client {
    aws_sdk_bedrockruntime::Client::new(&crate::support::sdk_config(emulator).await)
}

pub(crate) fn document(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            aws_smithy_types::Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            aws_smithy_types::Number::NegInt(i)
        } else {
            aws_smithy_types::Number::Float(n.as_f64().unwrap_or_default())
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(document).collect()),
        Value::Object(o) => {
            Document::Object(o.iter().map(|(k, v)| (k.clone(), document(v))).collect())
        }
    }
}

fn python_tool_config(cache: bool) -> ToolConfiguration {
    let schema =
        json!({"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]});
    let spec = ToolSpecification::builder()
        .name("execute_python")
        .description("Run Python code in a secure sandbox; numpy, pandas and matplotlib available")
        .input_schema(ToolInputSchema::Json(document(&schema)))
        .build()
        .unwrap();
    let mut builder = ToolConfiguration::builder().tools(Tool::ToolSpec(spec));
    if cache {
        builder = builder.tools(Tool::CachePoint(
            CachePointBlock::builder().r#type(CachePointType::Default).build().unwrap(),
        ));
    }
    builder.build().unwrap()
}

pub(crate) fn user(blocks: Vec<ContentBlock>) -> Message {
    Message::builder().role(ConversationRole::User).set_content(Some(blocks)).build().unwrap()
}

pub(crate) fn tool_result(id: &str, text: &str) -> ContentBlock {
    ContentBlock::ToolResult(
        ToolResultBlock::builder()
            .tool_use_id(id)
            .content(ToolResultContentBlock::Text(text.into()))
            .build()
            .unwrap(),
    )
}

fn texts(message: &Message) -> String {
    message
        .content()
        .iter()
        .filter_map(|b| b.as_text().ok().cloned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_quotes_stats(text: &str) {
    for want in ["5.5", "2.8723", "3.0277"] {
        assert!(text.contains(want), "{want} missing in {text}");
    }
}

#[tokio::test]
async fn converse_round_trip_quotes_the_tool_output() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let mut messages = vec![user(vec![ContentBlock::Text(P.into())])];

    let first = client
        .converse()
        .model_id(MODEL)
        .set_messages(Some(messages.clone()))
        .tool_config(python_tool_config(false))
        .send()
        .await
        .expect("converse succeeds");
    assert_eq!(first.stop_reason(), &StopReason::ToolUse);
    let ConverseOutput::Message(assistant) = first.output().unwrap().clone() else {
        panic!("no message");
    };
    let tool_use =
        assistant.content().iter().find_map(|b| b.as_tool_use().ok()).expect("a tool call").clone();
    assert_eq!(tool_use.name(), "execute_python");
    assert!(tool_use.tool_use_id().starts_with("tooluse_"));
    let code = tool_use.input().as_object().unwrap()["code"].as_string().unwrap();
    assert!(code.contains("import numpy"), "{code}");
    let usage = first.usage().unwrap();
    assert!(usage.input_tokens() > 0 && usage.output_tokens() > 0);
    assert_eq!(usage.total_tokens(), usage.input_tokens() + usage.output_tokens());

    messages.push(assistant);
    messages.push(user(vec![tool_result(tool_use.tool_use_id(), STATS_OUTPUT)]));
    let second = client
        .converse()
        .model_id(MODEL)
        .set_messages(Some(messages))
        .tool_config(python_tool_config(false))
        .send()
        .await
        .expect("converse succeeds");
    assert_eq!(second.stop_reason(), &StopReason::EndTurn);
    let ConverseOutput::Message(answer) = second.output().unwrap() else {
        panic!("no message");
    };
    assert_quotes_stats(&texts(answer));
}

/// Collects a ConverseStream reply into (assistant message, stop reason, metadata seen).
async fn converse_stream_once(
    client: &aws_sdk_bedrockruntime::Client, messages: &[Message],
) -> (Message, StopReason, bool) {
    let mut output = client
        .converse_stream()
        .model_id(MODEL)
        .set_messages(Some(messages.to_vec()))
        .tool_config(python_tool_config(false))
        .send()
        .await
        .expect("converse-stream succeeds");
    let mut blocks: Vec<(Option<(String, String)>, String)> = Vec::new();
    let (mut stop, mut metadata, mut started) = (None, false, false);
    while let Some(event) = output.stream.recv().await.expect("stream decodes") {
        match event {
            ConverseStreamOutput::MessageStart(_) => started = true,
            ConverseStreamOutput::ContentBlockStart(e) => {
                let idx = e.content_block_index() as usize;
                blocks.resize(idx + 1, (None, String::new()));
                if let Some(ContentBlockStart::ToolUse(tu)) = e.start() {
                    blocks[idx].0 = Some((tu.tool_use_id().into(), tu.name().into()));
                }
            }
            ConverseStreamOutput::ContentBlockDelta(e) => {
                let idx = e.content_block_index() as usize;
                if blocks.len() <= idx {
                    blocks.resize(idx + 1, (None, String::new()));
                }
                match e.delta() {
                    Some(ContentBlockDelta::Text(t)) => blocks[idx].1.push_str(t),
                    Some(ContentBlockDelta::ToolUse(tu)) => blocks[idx].1.push_str(tu.input()),
                    other => panic!("unexpected delta {other:?}"),
                }
            }
            ConverseStreamOutput::MessageStop(e) => stop = Some(e.stop_reason().clone()),
            ConverseStreamOutput::Metadata(e) => {
                metadata = e.usage().is_some_and(|u| u.input_tokens() > 0) && e.metrics().is_some();
            }
            _ => {}
        }
    }
    assert!(started, "messageStart first");
    let content = blocks
        .into_iter()
        .map(|(tool, body)| match tool {
            Some((id, name)) => ContentBlock::ToolUse(
                aws_sdk_bedrockruntime::types::ToolUseBlock::builder()
                    .tool_use_id(id)
                    .name(name)
                    .input(document(&serde_json::from_str(&body).expect("tool input is JSON")))
                    .build()
                    .unwrap(),
            ),
            None => ContentBlock::Text(body),
        })
        .collect();
    let message = Message::builder()
        .role(ConversationRole::Assistant)
        .set_content(Some(content))
        .build()
        .unwrap();
    (message, stop.expect("messageStop"), metadata)
}

#[tokio::test]
async fn converse_stream_round_trip() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let mut messages = vec![user(vec![ContentBlock::Text(P.into())])];
    let (assistant, stop, metadata) = converse_stream_once(&client, &messages).await;
    assert_eq!(stop, StopReason::ToolUse);
    assert!(metadata, "metadata with usage and metrics");
    let tool_use = assistant
        .content()
        .iter()
        .find_map(|b| b.as_tool_use().ok())
        .expect("a streamed tool call")
        .clone();
    assert!(tool_use.input().as_object().unwrap()["code"].as_string().unwrap().contains("numpy"));
    messages.push(assistant);
    messages.push(user(vec![tool_result(tool_use.tool_use_id(), STATS_OUTPUT)]));
    let (answer, stop, _) = converse_stream_once(&client, &messages).await;
    assert_eq!(stop, StopReason::EndTurn);
    assert_quotes_stats(&texts(&answer));
}

pub(crate) fn invoke_body(messages: &[Value]) -> Value {
    json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 4096,
        "messages": messages,
        "tools": [{"name": "execute_python", "description": "Run Python code in a sandbox",
                   "input_schema": {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}}]
    })
}

async fn invoke(client: &aws_sdk_bedrockruntime::Client, messages: &[Value]) -> Value {
    let out = client
        .invoke_model()
        .model_id(MODEL)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(serde_json::to_vec(&invoke_body(messages)).unwrap()))
        .send()
        .await
        .expect("invoke-model succeeds");
    assert_eq!(out.content_type(), "application/json");
    serde_json::from_slice(out.body().as_ref()).expect("a JSON Message")
}

#[tokio::test]
async fn invoke_model_round_trip() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let mut messages = vec![json!({"role": "user", "content": P})];
    let first = invoke(&client, &messages).await;
    assert_eq!(first["type"], "message");
    assert_eq!(first["model"], MODEL, "the model id arrives decoded");
    assert_eq!(first["stop_reason"], "tool_use");
    assert_eq!(first["usage"]["cache_creation"]["ephemeral_5m_input_tokens"], 0);
    let tool_use = first["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_use")
        .expect("a tool_use block")
        .clone();
    assert!(tool_use["id"].as_str().unwrap().starts_with("toolu_"));
    messages.push(json!({"role": "assistant", "content": first["content"]}));
    messages.push(json!({"role": "user", "content": [{"type": "tool_result",
        "tool_use_id": tool_use["id"], "content": [{"type": "text", "text": STATS_OUTPUT}]}]}));
    let second = invoke(&client, &messages).await;
    assert_eq!(second["stop_reason"], "end_turn");
    assert_quotes_stats(second["content"][0]["text"].as_str().unwrap());
}

async fn invoke_stream(client: &aws_sdk_bedrockruntime::Client, messages: &[Value]) -> Vec<Value> {
    let mut out = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .content_type("application/json")
        .body(Blob::new(serde_json::to_vec(&invoke_body(messages)).unwrap()))
        .send()
        .await
        .expect("invoke-with-response-stream succeeds");
    assert_eq!(out.content_type(), "application/json");
    let mut events = Vec::new();
    while let Some(event) = out.body.recv().await.expect("stream decodes") {
        if let ResponseStream::Chunk(part) = event {
            let bytes = part.bytes().expect("chunk bytes");
            events.push(serde_json::from_slice::<Value>(bytes.as_ref()).expect("event JSON"));
        }
    }
    events
}

/// Rebuilds the content blocks of a streamed Anthropic message.
fn rebuild(events: &[Value]) -> (Vec<Value>, String) {
    let mut blocks: Vec<Value> = Vec::new();
    let mut partial: Vec<String> = Vec::new();
    let mut stop = String::new();
    for e in events {
        match e["type"].as_str().unwrap() {
            "content_block_start" => {
                blocks.push(e["content_block"].clone());
                partial.push(String::new());
            }
            "content_block_delta" => {
                let i = e["index"].as_u64().unwrap() as usize;
                match e["delta"]["type"].as_str().unwrap() {
                    "text_delta" => {
                        let text = blocks[i]["text"].as_str().unwrap().to_owned();
                        blocks[i]["text"] = json!(text + e["delta"]["text"].as_str().unwrap());
                    }
                    _ => partial[i].push_str(e["delta"]["partial_json"].as_str().unwrap()),
                }
            }
            "content_block_stop" => {
                let i = e["index"].as_u64().unwrap() as usize;
                if !partial[i].is_empty() {
                    blocks[i]["input"] = serde_json::from_str(&partial[i]).unwrap();
                }
            }
            "message_delta" => stop = e["delta"]["stop_reason"].as_str().unwrap().to_owned(),
            _ => {}
        }
    }
    (blocks, stop)
}

#[tokio::test]
async fn invoke_model_with_response_stream_round_trip() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let mut messages = vec![json!({"role": "user", "content": P})];
    let events = invoke_stream(&client, &messages).await;
    assert_eq!(events[0]["type"], "message_start");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "message_stop");
    assert!(last["amazon-bedrock-invocationMetrics"]["inputTokenCount"].as_u64() > Some(0));
    let (blocks, stop) = rebuild(&events);
    assert_eq!(stop, "tool_use");
    let tool_use = blocks.iter().find(|b| b["type"] == "tool_use").unwrap().clone();
    assert!(tool_use["input"]["code"].as_str().unwrap().contains("numpy"));

    messages.push(json!({"role": "assistant", "content": blocks}));
    messages.push(json!({"role": "user", "content": [{"type": "tool_result",
        "tool_use_id": tool_use["id"], "content": STATS_OUTPUT}]}));
    let (blocks, stop) = rebuild(&invoke_stream(&client, &messages).await);
    assert_eq!(stop, "end_turn");
    assert_quotes_stats(blocks[0]["text"].as_str().unwrap());
}

#[tokio::test]
async fn unknown_conversation_is_a_validation_error_that_explains_transcripts() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let err = client
        .converse()
        .model_id(MODEL)
        .messages(user(vec![ContentBlock::Text("Write me a poem about Rust".into())]))
        .send()
        .await
        .expect_err("no transcript");
    let service = err.into_service_error();
    assert!(service.is_validation_exception(), "{service:?}");
    let message = service.message().unwrap_or_default().to_owned();
    assert!(message.contains("Write me a poem about Rust"), "{message}");
    assert!(message.contains("--transcripts DIR"), "{message}");
    assert!(message.contains("AGENTCORE_EMULATOR_TRANSCRIPTS"), "{message}");

    let err = client
        .invoke_model()
        .model_id(MODEL)
        .body(Blob::new(
            br#"{"anthropic_version": "bedrock-2023-05-31", "messages": "nope"}"#.to_vec(),
        ))
        .send()
        .await
        .expect_err("bad body");
    let service = err.into_service_error();
    assert!(service.is_validation_exception(), "{service:?}");
    let message = service.message().unwrap_or_default();
    assert!(message.contains("max_tokens"), "{message}");

    let err = client
        .invoke_model()
        .model_id(MODEL)
        .body(Blob::new(
            br#"{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": [{"role": "robot", "content": "hi"}]}"#.to_vec(),
        ))
        .send()
        .await
        .expect_err("bad role");
    let service = err.into_service_error();
    let message = service.message().unwrap_or_default();
    assert!(message.contains("messages[0]") && message.contains("robot"), "{message}");
}

async fn converse_cached(
    client: &aws_sdk_bedrockruntime::Client, system: &str, question: &str,
) -> aws_sdk_bedrockruntime::types::TokenUsage {
    let out = client
        .converse()
        .model_id(MODEL)
        .system(SystemContentBlock::Text(system.into()))
        .system(SystemContentBlock::CachePoint(
            CachePointBlock::builder().r#type(CachePointType::Default).build().unwrap(),
        ))
        .messages(user(vec![ContentBlock::Text(question.into())]))
        .tool_config(python_tool_config(true))
        .send()
        .await
        .expect("converse succeeds");
    out.usage().unwrap().clone()
}

#[tokio::test]
async fn prompt_caching_writes_then_reads() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let long_system = "You are an expert data analyst who explains every statistic. ".repeat(80);
    let first = converse_cached(
        &client,
        &long_system,
        "Calculate the mean of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
    )
    .await;
    let written = first.cache_write_input_tokens().unwrap_or_default();
    assert!(written >= 1024, "{first:?}");
    assert_eq!(first.cache_read_input_tokens(), Some(0));
    assert_eq!(first.cache_details().len(), 1);
    assert_eq!(first.cache_details()[0].input_tokens(), written);

    let second = converse_cached(
        &client,
        &long_system,
        "Calculate the standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
    )
    .await;
    assert_eq!(second.cache_read_input_tokens(), Some(written));
    assert_eq!(second.cache_write_input_tokens(), Some(0));
    assert_eq!(second.total_tokens(), second.input_tokens() + second.output_tokens() + written);

    // Below Sonnet's 1,024-token minimum nothing is cached.
    let short = converse_cached(
        &client,
        "You are terse.",
        "Calculate the mean of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
    )
    .await;
    assert_eq!(short.cache_write_input_tokens(), Some(0));
    assert_eq!(short.cache_read_input_tokens(), Some(0));
}
