//! Conversions between the Anthropic Messages format (the `messages` crate's types)
//! and the neutral conversation.

use messages::{
    CacheControl, CacheCreation, ContentBlock, MessagesRequest, MessagesResponse,
    Role as MessageRole, StopReason as WireStop, SystemPrompt, Tool,
};
use serde_json::Value;

use super::error::ModelError;
use super::prompt::PromptBuilder;
use super::types::{Api, Block, CacheTtl, Conversation, Message, Reply, Role, ToolDef, Usage};

/// Prefix of server tool-use ids; a reply block with it becomes `server_tool_use`.
pub const SERVER_TOOL_USE_PREFIX: &str = "srvtoolu_";

fn invalid(reason: impl Into<String>) -> ModelError {
    ModelError::InvalidRequest { reason: reason.into() }
}

fn ttl(cc: &CacheControl, at: &str) -> Result<CacheTtl, ModelError> {
    if cc.kind != "ephemeral" {
        return Err(invalid(format!(
            "{at}.cache_control.type: expected \"ephemeral\", got {:?}",
            cc.kind
        )));
    }
    match cc.ttl.as_deref() {
        None => Ok(CacheTtl::FiveMinutes),
        Some(t) => CacheTtl::parse(t).ok_or_else(|| {
            invalid(format!("{at}.cache_control.ttl: expected \"5m\" or \"1h\", got {t:?}"))
        }),
    }
}

/// The Messages API refuses text blocks that are empty or only white space, in
/// messages and in tool results alike.
fn check_text(text: &str) -> Result<(), ModelError> {
    let message = if text.is_empty() {
        "messages: text content blocks must be non-empty"
    } else if text.trim().is_empty() {
        "messages: text content blocks must contain non-whitespace text"
    } else {
        return Ok(());
    };
    Err(ModelError::Rejected { message: message.to_owned() })
}

/// The text checks of [`check_text`] where the API makes them: text blocks of a
/// message's block list, and text blocks of a `tool_result`'s block list (a plain
/// string content is not checked).
fn check_texts(messages: &[Value]) -> Result<(), ModelError> {
    let text_blocks = |content: Option<&Value>| -> Vec<Value> {
        let blocks = content.and_then(Value::as_array).cloned().unwrap_or_default();
        blocks
            .into_iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .collect()
    };
    for message in messages {
        let blocks = message.get("content").and_then(Value::as_array).cloned().unwrap_or_default();
        for block in blocks {
            let checked = match block.get("type").and_then(Value::as_str) {
                Some("text") => vec![block.clone()],
                Some("tool_result") => text_blocks(block.get("content")),
                _ => Vec::new(),
            };
            for text in checked.iter().filter_map(|b| b.get("text").and_then(Value::as_str)) {
                check_text(text)?;
            }
        }
    }
    Ok(())
}

/// The text of a `tool_result`'s content blocks.
fn tool_result_text(content: &[ContentBlock]) -> String {
    messages::text_of(content)
}

/// Parses a request body; errors name the field that is wrong (`messages[1]: ...`).
pub fn parse_request(body: &[u8]) -> Result<MessagesRequest, ModelError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(invalid("the body must be a JSON object"));
    };
    if !object.get("max_tokens").is_some_and(Value::is_u64) {
        return Err(invalid("max_tokens: a positive integer is required"));
    }
    let Some(messages) = object.get("messages").and_then(|m| m.as_array()) else {
        return Err(invalid("messages: a list of messages is required"));
    };
    for (i, m) in messages.iter().enumerate() {
        serde_json::from_value::<messages::Message>(m.clone())
            .map_err(|e| invalid(format!("messages[{i}]: {e}")))?;
    }
    if let Some(tools) = object.get("tools").and_then(|t| t.as_array()) {
        for (i, t) in tools.iter().enumerate() {
            let kind = t.get("type").and_then(Value::as_str).filter(|k| *k != "custom");
            if kind.is_none() && t.get("input_schema").is_none() {
                let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
                return Err(invalid(format!(
                    "tools[{i}].input_schema: required for custom tool {name:?}"
                )));
            }
            serde_json::from_value::<Tool>(t.clone())
                .map_err(|e| invalid(format!("tools[{i}]: {e}")))?;
        }
    }
    check_texts(messages)?;
    serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
}

/// The neutral conversation of a request, with prompt blocks and cache points from
/// `cache_control`.
pub fn to_conversation(
    request: &MessagesRequest, api: Api, model_id: &str,
) -> Result<Conversation, ModelError> {
    if request.messages.is_empty() {
        return Err(invalid("messages: at least one message is required"));
    }
    let mut prompt = PromptBuilder::new();
    let mut tools = Vec::with_capacity(request.tools.len());
    for (i, t) in request.tools.iter().enumerate() {
        let def = match t {
            Tool::Custom(custom) => ToolDef {
                name: custom.name.clone(),
                description: custom.description.clone().unwrap_or_default(),
                input_schema: custom.input_schema.clone(),
                kind: None,
            },
            Tool::Server(server) => ToolDef {
                name: server.name.clone(),
                description: String::new(),
                input_schema: Value::Null,
                kind: Some(server.kind.clone()),
            },
        };
        prompt.tool(&def);
        if let Some(cc) = t.cache_control() {
            prompt.cache_point(ttl(cc, &format!("tools[{i}]"))?);
        }
        tools.push(def);
    }
    let mut system = Vec::new();
    match &request.system {
        None => {}
        Some(SystemPrompt::Text(t)) => {
            prompt.system(t);
            system.push(t.clone());
        }
        Some(SystemPrompt::Blocks(blocks)) => {
            for (i, b) in blocks.iter().enumerate() {
                let ContentBlock::Text { text, cache_control, .. } = b else {
                    return Err(invalid(format!("system[{i}]: only text blocks are allowed")));
                };
                prompt.system(text);
                if let Some(cc) = cache_control {
                    prompt.cache_point(ttl(cc, &format!("system[{i}]"))?);
                }
                system.push(text.clone());
            }
        }
    }
    let mut messages = Vec::with_capacity(request.messages.len());
    for (mi, m) in request.messages.iter().enumerate() {
        let role = match m.role {
            MessageRole::User => Role::User,
            MessageRole::Assistant => Role::Assistant,
        };
        let mut content = Vec::new();
        for (bi, b) in m.content.iter().enumerate() {
            let (block, cc) = match b {
                ContentBlock::Text { text, cache_control, .. } => {
                    (Block::Text(text.clone()), cache_control)
                }
                ContentBlock::ToolUse { caller: Some(_), .. } => {
                    return Err(invalid(format!(
                        "messages.{mi}.content.{bi}: extraneous key [caller] is not permitted"
                    )));
                }
                ContentBlock::ToolUse { id, name, input, cache_control, caller: None }
                | ContentBlock::ServerToolUse { id, name, input, cache_control, .. } => (
                    Block::ToolUse { id: id.clone(), name: name.clone(), input: input.clone() },
                    cache_control,
                ),
                ContentBlock::ToolResult { tool_use_id, content, is_error, cache_control } => (
                    Block::ToolResult {
                        tool_use_id: tool_use_id.clone(),
                        text: tool_result_text(content),
                        is_error: is_error.unwrap_or(false),
                    },
                    cache_control,
                ),
                ContentBlock::CodeExecutionToolResult { tool_use_id, content, cache_control }
                | ContentBlock::BashCodeExecutionToolResult {
                    tool_use_id,
                    content,
                    cache_control,
                }
                | ContentBlock::TextEditorCodeExecutionToolResult {
                    tool_use_id,
                    content,
                    cache_control,
                } => {
                    let (text, is_error) = content.model_text();
                    (
                        Block::ToolResult { tool_use_id: tool_use_id.clone(), text, is_error },
                        cache_control,
                    )
                }
                // Bedrock has no Files API, so it has no file to put anywhere.
                ContentBlock::ContainerUpload { .. } => {
                    return Err(invalid(format!(
                        "messages.{mi}.content.{bi}: container_upload blocks are not supported"
                    )));
                }
                // Thinking and block types the model does not read are skipped.
                ContentBlock::Thinking { .. }
                | ContentBlock::RedactedThinking { .. }
                | ContentBlock::Other(_) => continue,
            };
            prompt.block(role, &block);
            if let Some(cc) = cc {
                prompt.cache_point(ttl(cc, &format!("messages[{mi}].content[{bi}]"))?);
            }
            content.push(block);
        }
        messages.push(Message { role, content });
    }
    if let Some(cc) = &request.cache_control {
        prompt.cache_point(ttl(cc, "request")?);
    }
    Ok(Conversation {
        api,
        model_id: model_id.to_owned(),
        system,
        tools,
        messages,
        prompt_blocks: prompt.finish(),
        max_tokens: Some(request.max_tokens),
    })
}

/// The usage of a reply in the Messages format.
pub fn wire_usage(u: &Usage) -> messages::Usage {
    messages::Usage {
        input_tokens: u64::from(u.input_tokens),
        output_tokens: u64::from(u.output_tokens),
        cache_creation_input_tokens: u64::from(u.cache_write_input_tokens),
        cache_read_input_tokens: u64::from(u.cache_read_input_tokens),
        cache_creation: Some(CacheCreation {
            ephemeral_5m_input_tokens: u64::from(u.cache_write_5m),
            ephemeral_1h_input_tokens: u64::from(u.cache_write_1h),
        }),
    }
}

/// The reply's blocks in Anthropic form; ids with the server prefix become `server_tool_use`.
pub fn response_blocks(content: &[Block]) -> Vec<ContentBlock> {
    content
        .iter()
        .filter_map(|b| match b {
            Block::Text(text) => Some(ContentBlock::text(text.clone())),
            Block::ToolUse { id, name, input } if id.starts_with(SERVER_TOOL_USE_PREFIX) => {
                Some(ContentBlock::ServerToolUse {
                    id: id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                    caller: None,
                    cache_control: None,
                })
            }
            Block::ToolUse { id, name, input } => Some(ContentBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: input.clone(),
                caller: None,
                cache_control: None,
            }),
            Block::ToolResult { .. } => None,
        })
        .collect()
}

/// The wire stop reason of a reply.
pub fn wire_stop(reply: &Reply) -> WireStop {
    serde_json::from_value(Value::from(reply.stop_reason.as_str())).unwrap_or(WireStop::Other)
}

/// A response Message for `reply`.
pub fn response_for(reply: &Reply, model: &str, id: String) -> MessagesResponse {
    MessagesResponse {
        id,
        kind: "message".to_owned(),
        role: MessageRole::Assistant,
        model: model.to_owned(),
        content: response_blocks(&reply.content),
        stop_reason: Some(wire_stop(reply)),
        stop_sequence: None,
        usage: wire_usage(&reply.usage),
        container: None,
    }
}
