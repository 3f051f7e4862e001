//! What Bedrock Runtime refuses, and in which words: fields, model ids, blank text
//! and InvokeModel bodies, through the Rust SDK.

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
use serde_json::{Value, json};

use crate::bedrock::{MODEL, P, client, document, invoke_body, tool_result, user};

#[tokio::test]
async fn bad_converse_fields_are_named() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let err = client.converse().model_id(MODEL).send().await.expect_err("no messages");
    let service = err.into_service_error();
    assert!(service.is_validation_exception(), "{service:?}");
    assert!(service.message().unwrap_or_default().contains("messages"), "{service:?}");
}

async fn converse_error(
    client: &aws_sdk_bedrockruntime::Client, model: &str, messages: Vec<Message>,
) -> (String, String) {
    let err = client
        .converse()
        .model_id(model)
        .set_messages(Some(messages))
        .send()
        .await
        .expect_err("refused");
    let service = err.into_service_error();
    (
        service.code().unwrap_or_default().to_owned(),
        service.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn retired_unknown_and_bare_model_ids_are_refused_as_bedrock_does() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let ask = || vec![user(vec![ContentBlock::Text(P.into())])];
    let (code, message) =
        converse_error(&client, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", ask()).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert!(message.contains("reached the end of its life"), "{message}");
    let (code, message) = converse_error(&client, "us.anthropic.claude-nonesuch", ask()).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(message, "The provided model identifier is invalid.");
    let (code, message) = converse_error(&client, "anthropic.claude-sonnet-4-6", ask()).await;
    assert_eq!(code, "ValidationException");
    assert!(message.contains("on-demand throughput"), "{message}");
    // InvokeModel checks the same way.
    let err = client
        .invoke_model()
        .model_id("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        .body(Blob::new(
            serde_json::to_vec(&invoke_body(&[json!({"role": "user", "content": P})])).unwrap(),
        ))
        .send()
        .await
        .expect_err("retired");
    assert!(err.into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn blank_text_blocks_are_refused_with_the_services_messages() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let tool_use = ContentBlock::ToolUse(
        aws_sdk_bedrockruntime::types::ToolUseBlock::builder()
            .tool_use_id("t1")
            .name("execute_python")
            .input(document(&json!({"code": "x = 1"})))
            .build()
            .unwrap(),
    );
    let messages = vec![
        user(vec![ContentBlock::Text(P.into())]),
        Message::builder().role(ConversationRole::Assistant).content(tool_use).build().unwrap(),
        user(vec![tool_result("t1", "")]),
    ];
    let (code, message) = converse_error(&client, MODEL, messages).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "The text field in the ToolResultContentBlock object at messages.2.content.0.toolResult.content.0 is blank. Add text to the text field, and try again."
    );
    let (_, message) =
        converse_error(&client, MODEL, vec![user(vec![ContentBlock::Text("  ".into())])]).await;
    assert_eq!(
        message,
        "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again."
    );

    // InvokeModel, Anthropic Messages body: the Messages API's own words.
    let body = invoke_body(&[
        json!({"role": "user", "content": P}),
        json!({"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "execute_python", "input": {"code": "x = 1"}}]}),
        json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": ""}]}]}),
    ]);
    assert_eq!(
        invoke_refused(&client, body).await,
        "messages: text content blocks must be non-empty"
    );
}

/// The message of the `ValidationException` that InvokeModel answers `body` with.
async fn invoke_refused(client: &aws_sdk_bedrockruntime::Client, body: Value) -> String {
    let err = client
        .invoke_model()
        .model_id(MODEL)
        .body(Blob::new(serde_json::to_vec(&body).unwrap()))
        .send()
        .await
        .expect_err("refused");
    let service = err.into_service_error();
    assert!(service.is_validation_exception(), "{service:?}");
    service.message().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn invoke_model_bodies_follow_bedrocks_rules_for_anthropic_models() {
    let emulator = crate::support::emulator().await;
    let client = client(&emulator).await;
    let ask = json!({"role": "user", "content": P});
    let refused = |body: Value| invoke_refused(&client, body);
    let mut no_version = invoke_body(std::slice::from_ref(&ask));
    no_version.as_object_mut().unwrap().remove("anthropic_version");
    assert_eq!(
        refused(no_version).await,
        "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again."
    );
    let mut with_model = invoke_body(std::slice::from_ref(&ask));
    with_model["model"] = json!("claude-sonnet-4-6");
    assert!(refused(with_model).await.contains("extraneous key [model] is not permitted"));
    let mut server_tool = invoke_body(&[ask]);
    server_tool["tools"] = json!([{"type": "code_execution_20250825", "name": "code_execution"}]);
    assert!(refused(server_tool).await.contains("code_execution_20250825 is not supported"));
}
