//! The conversation as the client holds it (with server tool blocks) turned into
//! the conversation the model on Bedrock can read (client tool calls and results).

use std::collections::HashSet;

use messages::{ContentBlock, Message, Role};

use crate::code_execution::model_id;

/// The messages for Bedrock: each `server_tool_use` becomes the `tool_use` it was,
/// each server result a `tool_result` in a user message of its own after it, and
/// neighbouring messages of one role are merged.
pub fn for_bedrock(messages: &[Message]) -> Vec<Message> {
    // Calls the model's code made (programmatic tool calling) and their results are
    // the code's business: the model sees only what the code printed.
    let from_code: HashSet<&str> = messages
        .iter()
        .flat_map(|m| &m.content)
        .filter_map(|block| match block {
            ContentBlock::ToolUse { id, caller: Some(caller), .. } if caller.kind != "direct" => {
                Some(id.as_str())
            }
            _ => None,
        })
        .collect();
    let mut out: Vec<Message> = Vec::new();
    let mut push = |role: Role, content: Vec<ContentBlock>| {
        if content.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.role == role => last.content.extend(content),
            _ => out.push(Message { role, content }),
        }
    };
    for message in messages {
        if message.role == Role::User {
            let content = message.content.iter().filter(|block| {
                !matches!(block, ContentBlock::ToolResult { tool_use_id, .. }
                    if from_code.contains(tool_use_id.as_str()))
            });
            push(Role::User, content.cloned().collect());
            continue;
        }
        let mut turn = Vec::new();
        for block in &message.content {
            match block {
                ContentBlock::ServerToolUse { id, name, input, cache_control, .. } => {
                    turn.push(ContentBlock::ToolUse {
                        id: model_id(id),
                        name: name.clone(),
                        input: input.clone(),
                        caller: None,
                        cache_control: cache_control.clone(),
                    });
                }
                ContentBlock::ToolUse { id, .. } if from_code.contains(id.as_str()) => {}
                ContentBlock::CodeExecutionToolResult { tool_use_id, content, .. }
                | ContentBlock::BashCodeExecutionToolResult { tool_use_id, content, .. }
                | ContentBlock::TextEditorCodeExecutionToolResult {
                    tool_use_id, content, ..
                } => {
                    push(Role::Assistant, std::mem::take(&mut turn));
                    let (text, is_error) = content.model_text();
                    let result = ContentBlock::tool_result(model_id(tool_use_id), text, is_error);
                    push(Role::User, vec![result]);
                }
                other => turn.push(other.clone()),
            }
        }
        push(Role::Assistant, turn);
    }
    // A paused turn sent back to go on ends with the assistant's message, which the
    // model continues. A call at its end never ran (the turn paused before it could):
    // the model makes it again. Trailing white space is not allowed there.
    let continued = messages.last().is_some_and(|m| m.role == Role::Assistant);
    if let Some(last) = out.last_mut().filter(|m| continued && m.role == Role::Assistant) {
        while matches!(
            last.content.last(),
            Some(ContentBlock::ToolUse { .. } | ContentBlock::ServerToolUse { .. })
        ) {
            last.content.pop();
        }
        if let Some(ContentBlock::Text { text, .. }) = last.content.last_mut() {
            text.truncate(text.trim_end().len());
        }
        if matches!(last.content.last(), Some(ContentBlock::Text { text, .. }) if text.is_empty()) {
            last.content.pop();
        }
        if last.content.is_empty() {
            out.pop();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code_execution::server_id;
    use messages::ServerToolResult;
    use serde_json::json;

    #[test]
    fn server_blocks_become_client_calls_and_results() {
        let result = ServerToolResult {
            kind: "bash_code_execution_result".into(),
            stdout: Some("5.5\n".into()),
            return_code: Some(0),
            ..ServerToolResult::default()
        };
        let conversation = vec![
            Message::user_text("mean?"),
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::text("Running it."),
                    ContentBlock::ServerToolUse {
                        id: server_id("toolu_1"),
                        name: "bash_code_execution".into(),
                        input: json!({"command": "python3 -c 'print(5.5)'"}),
                        caller: None,
                        cache_control: None,
                    },
                    ContentBlock::BashCodeExecutionToolResult {
                        tool_use_id: server_id("toolu_1"),
                        content: result,
                        cache_control: None,
                    },
                    ContentBlock::text("It is 5.5."),
                ],
            },
            Message::user_text("thanks"),
        ];
        let bedrock = for_bedrock(&conversation);
        let roles: Vec<Role> = bedrock.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User, Role::Assistant, Role::User]);
        assert!(
            matches!(&bedrock[1].content[1], ContentBlock::ToolUse { id, .. } if id == "toolu_1")
        );
        assert_eq!(bedrock[2].content, [ContentBlock::tool_result("toolu_1", "5.5\n", false)]);
        assert_eq!(bedrock[3].text(), "It is 5.5.");
    }
}
