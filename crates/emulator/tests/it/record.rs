//! Record mode, tested offline: emulator A (scripted) is the upstream of emulator B
//! (recording); emulator C replays B's files. Driven by the real Bedrock Runtime client.

use std::path::Path;

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput, ConverseStreamOutput, Message, ResponseStream,
    Tool, ToolConfiguration, ToolInputSchema, ToolResultBlock, ToolResultContentBlock,
    ToolSpecification,
};
use aws_smithy_types::Document;
use emulator::Emulator;
use emulator::{RecordConfig, UpstreamAuth};
use serde_json::{Value, json};

const MODEL: &str = "us.anthropic.claude-sonnet-4-6";
const P: &str = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
const STATS_OUTPUT: &str = "Data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nMean: 5.5\n\
                            Population Std Dev: 2.8723\nSample Std Dev: 3.0277\n";

/// B: records into `dir`, with A as its upstream, signing with A's credentials.
async fn recorder(upstream: &Emulator, dir: &Path, captures: bool) -> Emulator {
    let auth = UpstreamAuth {
        credentials: Some(aws_credential_types::Credentials::new(
            upstream.access_key_id(),
            upstream.secret_access_key(),
            None,
            None,
            "test",
        )),
        bearer_token: None,
    };
    Emulator::builder()
        .python("python3")
        .progress(false)
        .record(RecordConfig {
            upstream: upstream.endpoint().to_owned(),
            agentcore_upstream: None,
            dir: dir.to_owned(),
            region: "us-west-2".into(),
            auth,
            captures,
        })
        .start()
        .await
        .expect("recording emulator starts")
}

/// C: replays the files of `dir`.
async fn replayer(dir: &Path) -> Emulator {
    Emulator::builder()
        .python("python3")
        .progress(false)
        .transcripts_dir(dir)
        .start()
        .await
        .expect("replaying emulator starts")
}

async fn client(emulator: &Emulator) -> aws_sdk_bedrockruntime::Client {
    aws_sdk_bedrockruntime::Client::new(&crate::support::sdk_config(emulator).await)
}

fn tool_config() -> ToolConfiguration {
    let string = Document::Object([("type".to_owned(), Document::String("string".into()))].into());
    let schema = Document::Object(
        [
            ("type".to_owned(), Document::String("object".into())),
            ("properties".to_owned(), Document::Object([("code".to_owned(), string)].into())),
            ("required".to_owned(), Document::Array(vec![Document::String("code".into())])),
        ]
        .into(),
    );
    let spec = ToolSpecification::builder()
        .name("execute_python")
        .description("Run Python code in a sandbox")
        .input_schema(ToolInputSchema::Json(schema))
        .build()
        .unwrap();
    ToolConfiguration::builder().tools(Tool::ToolSpec(spec)).build().unwrap()
}

fn message(role: ConversationRole, content: Vec<ContentBlock>) -> Message {
    Message::builder().role(role).set_content(Some(content)).build().unwrap()
}

fn code_of(input: &Document) -> String {
    input.as_object().unwrap()["code"].as_string().unwrap().to_owned()
}

/// What one conversation produced: the code of each tool call and the final answer.
#[derive(Debug, PartialEq)]
struct Outcome {
    calls: Vec<String>,
    answer: String,
}

/// A Converse (or ConverseStream) tool-use loop that answers every call with `output`.
async fn converse_loop(emulator: &Emulator, stream: bool, output: &str) -> Outcome {
    let client = client(emulator).await;
    let mut messages = vec![message(ConversationRole::User, vec![ContentBlock::Text(P.into())])];
    let mut calls = Vec::new();
    for _ in 0..4 {
        let assistant = if stream {
            converse_stream_once(&client, &messages).await
        } else {
            let out = client
                .converse()
                .model_id(MODEL)
                .set_messages(Some(messages.clone()))
                .tool_config(tool_config())
                .send()
                .await
                .expect("converse succeeds");
            let Some(ConverseOutput::Message(m)) = out.output().cloned() else {
                panic!("no message")
            };
            m
        };
        let uses: Vec<_> =
            assistant.content().iter().filter_map(|b| b.as_tool_use().ok().cloned()).collect();
        let text: Vec<String> =
            assistant.content().iter().filter_map(|b| b.as_text().ok().cloned()).collect();
        messages.push(assistant);
        if uses.is_empty() {
            return Outcome { calls, answer: text.join("\n") };
        }
        let mut results = Vec::new();
        for tool_use in uses {
            calls.push(code_of(tool_use.input()));
            results.push(ContentBlock::ToolResult(
                ToolResultBlock::builder()
                    .tool_use_id(tool_use.tool_use_id())
                    .content(ToolResultContentBlock::Text(output.into()))
                    .build()
                    .unwrap(),
            ));
        }
        messages.push(message(ConversationRole::User, results));
    }
    panic!("the loop did not end");
}

async fn converse_stream_once(
    client: &aws_sdk_bedrockruntime::Client, messages: &[Message],
) -> Message {
    let mut out = client
        .converse_stream()
        .model_id(MODEL)
        .set_messages(Some(messages.to_vec()))
        .tool_config(tool_config())
        .send()
        .await
        .expect("converse-stream succeeds");
    // (tool id and name, accumulated text or input JSON) per block index.
    let mut blocks: Vec<(Option<(String, String)>, String)> = Vec::new();
    while let Some(event) = out.stream.recv().await.expect("stream decodes") {
        let (index, start, delta) = match &event {
            ConverseStreamOutput::ContentBlockStart(e) => {
                let tool = e
                    .start()
                    .and_then(|s| s.as_tool_use().ok())
                    .map(|t| (t.tool_use_id().to_owned(), t.name().to_owned()));
                (e.content_block_index(), tool, None)
            }
            ConverseStreamOutput::ContentBlockDelta(e) => {
                let piece = e.delta().and_then(|d| {
                    d.as_text()
                        .ok()
                        .cloned()
                        .or_else(|| d.as_tool_use().ok().map(|t| t.input().to_owned()))
                });
                (e.content_block_index(), None, piece)
            }
            _ => continue,
        };
        let index = usize::try_from(index).unwrap();
        if blocks.len() <= index {
            blocks.resize(index + 1, (None, String::new()));
        }
        if start.is_some() {
            blocks[index].0 = start;
        }
        blocks[index].1.push_str(&delta.unwrap_or_default());
    }
    let content = blocks
        .into_iter()
        .map(|(tool, body)| match tool {
            Some((id, name)) => {
                let input: Value = serde_json::from_str(&body).unwrap();
                let code = input["code"].as_str().unwrap().to_owned();
                let input = Document::Object([("code".to_owned(), Document::String(code))].into());
                ContentBlock::ToolUse(
                    aws_sdk_bedrockruntime::types::ToolUseBlock::builder()
                        .tool_use_id(id)
                        .name(name)
                        .input(input)
                        .build()
                        .unwrap(),
                )
            }
            None => ContentBlock::Text(body),
        })
        .collect();
    message(ConversationRole::Assistant, content)
}

fn invoke_body(messages: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 4096,
        "messages": messages,
        "tools": [{"name": "execute_python", "description": "Run Python code in a sandbox",
                   "input_schema": {"type": "object", "properties": {"code": {"type": "string"}},
                                    "required": ["code"]}}]
    }))
    .unwrap()
}

/// The content blocks of one InvokeModel (or InvokeModelWithResponseStream) call.
async fn invoke_once(
    client: &aws_sdk_bedrockruntime::Client, messages: &[Value], stream: bool,
) -> Vec<Value> {
    if !stream {
        let out = client
            .invoke_model()
            .model_id(MODEL)
            .content_type("application/json")
            .accept("application/json")
            .body(Blob::new(invoke_body(messages)))
            .send()
            .await
            .expect("invoke-model succeeds");
        let message: Value = serde_json::from_slice(out.body().as_ref()).unwrap();
        return message["content"].as_array().unwrap().clone();
    }
    let mut out = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .content_type("application/json")
        .body(Blob::new(invoke_body(messages)))
        .send()
        .await
        .expect("invoke-with-response-stream succeeds");
    let (mut blocks, mut partial): (Vec<Value>, Vec<String>) = (Vec::new(), Vec::new());
    while let Some(event) = out.body.recv().await.expect("stream decodes") {
        let ResponseStream::Chunk(part) = event else {
            continue;
        };
        let e: Value = serde_json::from_slice(part.bytes().unwrap().as_ref()).unwrap();
        let i = e["index"].as_u64().unwrap_or(0) as usize;
        match e["type"].as_str().unwrap() {
            "content_block_start" => {
                blocks.push(e["content_block"].clone());
                partial.push(String::new());
            }
            "content_block_delta" if e["delta"]["type"] == "text_delta" => {
                let text = blocks[i]["text"].as_str().unwrap().to_owned();
                blocks[i]["text"] = json!(text + e["delta"]["text"].as_str().unwrap());
            }
            "content_block_delta" => {
                partial[i].push_str(e["delta"]["partial_json"].as_str().unwrap());
            }
            "content_block_stop" if !partial[i].is_empty() => {
                blocks[i]["input"] = serde_json::from_str(&partial[i]).unwrap();
            }
            _ => {}
        }
    }
    blocks
}

/// An InvokeModel tool-use loop that answers every call with `output`.
async fn invoke_loop(emulator: &Emulator, stream: bool, output: &str) -> Outcome {
    let client = client(emulator).await;
    let mut messages = vec![json!({"role": "user", "content": P})];
    let mut calls = Vec::new();
    for _ in 0..4 {
        let content = invoke_once(&client, &messages, stream).await;
        messages.push(json!({"role": "assistant", "content": content}));
        let uses: Vec<&Value> = content.iter().filter(|b| b["type"] == "tool_use").collect();
        if uses.is_empty() {
            let text: Vec<&str> = content.iter().filter_map(|b| b["text"].as_str()).collect();
            return Outcome { calls, answer: text.join("\n") };
        }
        let results: Vec<Value> = uses
            .iter()
            .map(|u| {
                calls.push(u["input"]["code"].as_str().unwrap().to_owned());
                json!({"type": "tool_result", "tool_use_id": u["id"],
                       "content": [{"type": "text", "text": output}]})
            })
            .collect();
        messages.push(json!({"role": "user", "content": results}));
    }
    panic!("the loop did not end");
}

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn converse_and_invoke_model_replay_as_recorded() {
    let a = crate::support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let b = recorder(&a, dir.path(), false).await;
    let direct = converse_loop(&a, false, STATS_OUTPUT).await;
    let recorded = converse_loop(&b, false, STATS_OUTPUT).await;
    assert_eq!(recorded, direct, "the recorder passes the upstream through");
    let recorded_invoke = invoke_loop(&b, false, STATS_OUTPUT).await;
    assert!(recorded_invoke.answer.contains("3.0277"));

    let written = files(dir.path());
    assert_eq!(written.len(), 2, "one file per conversation: {written:?}");
    let (name, text) = &written[0];
    assert!(name.starts_with("recorded-converse-calculate-the-mean"), "{name}");
    assert!(text.contains("api = [\"converse\"]"), "{text}");
    assert!(text.contains("tools = [\"execute_python\"]"), "{text}");
    assert!(written[1].0.starts_with("recorded-invoke-model-"));

    // C knows only the recordings (they outrank the embedded transcript of the same prompt).
    let c = replayer(dir.path()).await;
    assert_eq!(converse_loop(&c, false, STATS_OUTPUT).await, direct);
    assert_eq!(invoke_loop(&c, false, STATS_OUTPUT).await, recorded_invoke);
}

#[tokio::test]
async fn streams_are_recorded_from_the_assembled_message() {
    let a = crate::support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let b = recorder(&a, dir.path(), false).await;
    let direct = converse_loop(&a, false, STATS_OUTPUT).await;
    let streamed = converse_loop(&b, true, STATS_OUTPUT).await;
    assert_eq!(streamed, direct);
    let direct_invoke = invoke_loop(&a, false, STATS_OUTPUT).await;
    let streamed_invoke = invoke_loop(&b, true, STATS_OUTPUT).await;
    assert_eq!(streamed_invoke, direct_invoke);

    // Replayed through the non-streaming operations of the same API.
    let c = replayer(dir.path()).await;
    assert_eq!(converse_loop(&c, false, STATS_OUTPUT).await, direct);
    assert_eq!(invoke_loop(&c, false, STATS_OUTPUT).await, direct_invoke);
}

#[tokio::test]
async fn captures_quote_the_replayed_tool_output() {
    let a = crate::support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let b = recorder(&a, dir.path(), true).await;
    converse_loop(&b, false, STATS_OUTPUT).await;
    let (_, text) = &files(dir.path())[0];
    assert!(text.contains("{mean}"), "{text}");
    assert!(text.contains("Mean: "), "{text}");

    // A different sandbox output shows in the replayed answer.
    let c = replayer(dir.path()).await;
    let other = STATS_OUTPUT.replace("5.5", "6.5");
    let replayed = converse_loop(&c, false, &other).await;
    assert!(replayed.answer.contains("6.5"), "{}", replayed.answer);
    assert!(!replayed.answer.contains("5.5"), "{}", replayed.answer);
}

#[tokio::test]
async fn upstream_errors_pass_through_unrecorded() {
    let a = crate::support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let b = recorder(&a, dir.path(), false).await;
    let client = client(&b).await;
    let err = client
        .converse()
        .model_id(MODEL)
        .messages(message(
            ConversationRole::User,
            vec![ContentBlock::Text("a prompt no transcript knows".into())],
        ))
        .send()
        .await
        .expect_err("no transcript upstream");
    let service = err.into_service_error();
    assert!(service.is_validation_exception(), "{service:?}");
    assert!(files(dir.path()).is_empty());
}
