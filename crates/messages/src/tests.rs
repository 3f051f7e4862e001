//! Wire shapes of the Messages types.

use serde_json::json;

use super::*;

#[test]
fn server_tool_blocks_of_both_versions_parse_and_print() {
    let response: MessagesResponse = serde_json::from_value(json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [
            {"type": "text", "text": "Let me compute."},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "bash_code_execution",
             "input": {"command": "python3 -c 'print(5.5)'"}},
            {"type": "bash_code_execution_tool_result", "tool_use_id": "srvtoolu_1",
             "content": {"type": "bash_code_execution_result", "stdout": "5.5\n", "stderr": "",
                         "return_code": 0, "content": []}},
            {"type": "text_editor_code_execution_tool_result", "tool_use_id": "srvtoolu_2",
             "content": {"type": "text_editor_code_execution_create_result", "is_file_update": false}},
            {"type": "code_execution_tool_result", "tool_use_id": "srvtoolu_3",
             "content": {"type": "code_execution_result", "stdout": "2.87", "stderr": "",
                         "return_code": 0,
                         "content": [{"type": "code_execution_output", "file_id": "file_1"}]}},
            {"type": "code_execution_tool_result", "tool_use_id": "srvtoolu_4",
             "content": {"type": "code_execution_tool_result_error", "error_code": "unavailable"}}
        ],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 20, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 5, "server_tool_use": {"web_search_requests": 0}},
        "container": {"id": "container_1", "expires_at": "2025-01-01T00:00:00Z"}
    }))
    .unwrap();
    assert_eq!(response.stop_reason, Some(StopReason::EndTurn));
    assert_eq!(response.usage.cache_read_input_tokens, 5);
    let outputs: Vec<String> =
        response.content.iter().filter_map(|b| Some(b.code_output()?.to_string())).collect();
    assert_eq!(outputs, ["5.5", "file created", "2.87", "[code_execution] error: unavailable"]);
    let ContentBlock::CodeExecutionToolResult { content, .. } = &response.content[4] else {
        panic!("a code execution result: {:?}", response.content[4]);
    };
    assert_eq!(content.content.as_ref().unwrap()[0]["file_id"], "file_1");
    assert_eq!(response.text(), "Let me compute.");
    assert_eq!(response.container.unwrap().id, "container_1");
}

#[test]
fn unknown_blocks_and_reasons_survive_a_round_trip() {
    let raw = json!({"type": "web_search_tool_result", "tool_use_id": "x", "content": []});
    let block: ContentBlock = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(block, ContentBlock::Other(raw.clone()));
    assert_eq!(serde_json::to_value(&block).unwrap(), raw);
    let reason: StopReason = serde_json::from_value(json!("something_new")).unwrap();
    assert_eq!(reason, StopReason::Other);
}

#[test]
fn bedrock_body_has_the_expected_shape() {
    let mut request = MessagesRequest::bedrock(4096, vec![Message::user_text("hi")]);
    request.messages.push(Message {
        role: Role::Assistant,
        content: vec![ContentBlock::ToolUse {
            id: "toolu_1".into(),
            name: "execute_python".into(),
            input: json!({"code": "print(1)"}),
            caller: None,
            cache_control: None,
        }],
    });
    request.messages.push(Message {
        role: Role::User,
        content: vec![
            ContentBlock::tool_result("toolu_1", "1", false),
            ContentBlock::tool_result("toolu_2", "boom", true),
        ],
    });
    let body = serde_json::to_value(&request).unwrap();
    assert_eq!(body["anthropic_version"], "bedrock-2023-05-31");
    assert_eq!(body["max_tokens"], 4096);
    assert!(body.get("model").is_none());
    assert!(body.get("system").is_none());
    assert_eq!(
        body["messages"][0],
        json!({"role": "user", "content": [{"type": "text", "text": "hi"}]})
    );
    assert_eq!(
        body["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "1"}]})
    );
    assert_eq!(body["messages"][2]["content"][1]["is_error"], true);
    let back: MessagesRequest = serde_json::from_value(body).unwrap();
    assert_eq!(back, request);
}

#[test]
fn string_content_tools_containers_and_cache_control() {
    let message: Message =
        serde_json::from_value(json!({"role": "user", "content": "plain"})).unwrap();
    assert_eq!(message.text(), "plain");
    let system = SystemPrompt::Blocks(vec![ContentBlock::Text {
        text: "long".into(),
        cache_control: Some(CacheControl::ephemeral()),
        citations: None,
    }]);
    assert_eq!(
        serde_json::to_value(system).unwrap(),
        json!([{"type": "text", "text": "long", "cache_control": {"type": "ephemeral"}}])
    );
    let request: MessagesRequest = serde_json::from_value(json!({
        "model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [],
        "tools": [{"type": "code_execution_20250825", "name": "code_execution"},
                  {"name": "f", "input_schema": {"type": "object"}}],
        "container": {"id": "container_9", "skills": []}
    }))
    .unwrap();
    assert!(matches!(&request.tools[0], Tool::Server(t) if t.kind == "code_execution_20250825"));
    assert!(matches!(&request.tools[1], Tool::Custom(t) if t.name == "f"));
    assert_eq!(request.container.unwrap().id(), Some("container_9"));
    let result: ContentBlock = serde_json::from_value(json!(
        {"type": "tool_result", "tool_use_id": "t", "content": "42"}
    ))
    .unwrap();
    assert!(matches!(result, ContentBlock::ToolResult { content, .. } if content.len() == 1));
}
