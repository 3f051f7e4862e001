//! Converse / ConverseStream wire types and their conversion to the neutral
//! conversation.
//!
//! Smithy unions arrive as objects with exactly one key. They are read as structs whose members
//! are all optional, so members the model does not read (images, documents, reasoning, guard
//! content) are accepted and skipped instead of failing the request.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    Api, Block, CacheTtl, Conversation, Message, PromptBuilder, Reply, Role, ToolDef, Usage,
};

/// Why a Converse body cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConverseError {
    #[error("the request body is not a valid Converse request: {0}")]
    Json(#[source] serde_json::Error),
    #[error("{path}: {reason}")]
    Field { path: String, reason: String },
    /// Bedrock's own words for a blank text member; `at` is dotted
    /// (`messages.1.content.0`).
    #[error(
        "The text field in the {object} object at {at} is blank. Add text to the text field, and try again."
    )]
    Blank { object: &'static str, at: String },
}

/// Refuses blank text (empty or white space only), as Converse does.
fn check_blank(text: &str, object: &'static str, at: String) -> Result<(), ConverseError> {
    if text.trim().is_empty() {
        return Err(ConverseError::Blank { object, at });
    }
    Ok(())
}

fn field(path: impl Into<String>, reason: impl Into<String>) -> ConverseError {
    ConverseError::Field { path: path.into(), reason: reason.into() }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRequest {
    #[serde(default)]
    pub messages: Vec<CvMessage>,
    #[serde(default)]
    pub system: Vec<SystemBlock>,
    #[serde(default)]
    pub inference_config: Option<InferenceConfig>,
    #[serde(default)]
    pub tool_config: Option<ToolConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig {
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    #[serde(default)]
    pub tools: Vec<ToolEntry>,
}

/// The `Tool` union: `toolSpec` | `systemTool` | `cachePoint`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolEntry {
    pub tool_spec: Option<ToolSpec>,
    pub system_tool: Option<SystemTool>,
    pub cache_point: Option<CachePoint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub input_schema: InputSchema,
}

#[derive(Debug, Deserialize)]
pub struct InputSchema {
    pub json: Value,
}

#[derive(Debug, Deserialize)]
pub struct SystemTool {
    pub name: String,
}

/// `{"type":"default","ttl"?:"5m"|"1h"}`.
#[derive(Debug, Deserialize)]
pub struct CachePoint {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub ttl: Option<String>,
}

/// The `SystemContentBlock` union; `guardContent` is accepted and skipped.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemBlock {
    pub text: Option<String>,
    pub cache_point: Option<CachePoint>,
}

#[derive(Debug, Deserialize)]
pub struct CvMessage {
    pub role: String,
    pub content: Vec<ContentBlock>,
}

/// The `ContentBlock` union, limited to the members the model reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlock {
    pub text: Option<String>,
    pub tool_use: Option<ToolUseBlock>,
    pub tool_result: Option<ToolResultBlock>,
    pub cache_point: Option<CachePoint>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlock {
    pub tool_use_id: String,
    pub name: String,
    pub input: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlock {
    pub tool_use_id: String,
    #[serde(default)]
    pub content: Vec<ToolResultContent>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A `ToolResultContentBlock`: `text` and `json` are read; other members are skipped.
#[derive(Debug, Deserialize)]
pub struct ToolResultContent {
    pub text: Option<String>,
    pub json: Option<Value>,
}

fn ttl(cp: &CachePoint, path: &str) -> Result<CacheTtl, ConverseError> {
    if cp.kind != "default" {
        return Err(field(
            format!("{path}.cachePoint.type"),
            format!("expected \"default\", got {:?}", cp.kind),
        ));
    }
    match cp.ttl.as_deref() {
        None => Ok(CacheTtl::FiveMinutes),
        Some(t) => CacheTtl::parse(t).ok_or_else(|| {
            field(format!("{path}.cachePoint.ttl"), format!("expected \"5m\" or \"1h\", got {t:?}"))
        }),
    }
}

impl ConverseRequest {
    /// Parses a body; an empty body is an empty request.
    pub fn parse(body: &[u8]) -> Result<Self, ConverseError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        serde_json::from_slice(body).map_err(ConverseError::Json)
    }

    /// The neutral conversation, with prompt blocks and `cachePoint` positions.
    pub fn to_conversation(&self, model_id: &str) -> Result<Conversation, ConverseError> {
        if self.messages.is_empty() {
            return Err(field("messages", "at least one message is required"));
        }
        let mut prompt = PromptBuilder::new();
        let mut tools = Vec::new();
        for (i, entry) in self.tool_config.iter().flat_map(|c| c.tools.iter()).enumerate() {
            let path = format!("toolConfig.tools[{i}]");
            match (&entry.tool_spec, &entry.system_tool, &entry.cache_point) {
                (Some(spec), None, None) => {
                    let def = ToolDef::custom(
                        spec.name.clone(),
                        spec.description.clone().unwrap_or_default(),
                        spec.input_schema.json.clone(),
                    );
                    prompt.tool(&def);
                    tools.push(def);
                }
                (None, Some(sys), None) => {
                    let def = ToolDef {
                        name: sys.name.clone(),
                        description: String::new(),
                        input_schema: Value::Null,
                        kind: Some(sys.name.clone()),
                    };
                    prompt.tool(&def);
                    tools.push(def);
                }
                (None, None, Some(cp)) => {
                    prompt.cache_point(ttl(cp, &path)?);
                }
                _ => {
                    return Err(field(
                        path,
                        "a Tool must have exactly one of toolSpec, systemTool or cachePoint",
                    ));
                }
            }
        }
        let mut system = Vec::new();
        for (i, block) in self.system.iter().enumerate() {
            let path = format!("system[{i}]");
            match (&block.text, &block.cache_point) {
                (Some(_), Some(_)) => {
                    return Err(field(path, "a SystemContentBlock must have one member"));
                }
                (Some(text), None) => {
                    if text.is_empty() {
                        return Err(field(format!("{path}.text"), "must not be empty"));
                    }
                    prompt.system(text);
                    system.push(text.clone());
                }
                (None, Some(cp)) => {
                    prompt.cache_point(ttl(cp, &path)?);
                }
                (None, None) => {}
            }
        }
        let mut messages = Vec::with_capacity(self.messages.len());
        for (mi, m) in self.messages.iter().enumerate() {
            let role = match m.role.as_str() {
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(field(
                        format!("messages[{mi}].role"),
                        format!("expected \"user\" or \"assistant\", got {other:?}"),
                    ));
                }
            };
            let mut content = Vec::with_capacity(m.content.len());
            for (bi, b) in m.content.iter().enumerate() {
                let path = format!("messages[{mi}].content[{bi}]");
                check_blanks(b, &format!("messages.{mi}.content.{bi}"))?;
                if let Some(block) = convert_block(b, &path, &mut prompt)? {
                    prompt.block(role, &block);
                    content.push(block);
                }
            }
            messages.push(Message { role, content });
        }
        Ok(Conversation {
            api: Api::Converse,
            model_id: model_id.to_owned(),
            system,
            tools,
            messages,
            prompt_blocks: prompt.finish(),
            max_tokens: self.inference_config.as_ref().and_then(|c| c.max_tokens),
        })
    }
}

/// The neutral block for a content block; `None` for a cache point (applied to `prompt`) or a
/// member the model does not read.
fn check_blanks(b: &ContentBlock, at: &str) -> Result<(), ConverseError> {
    if let Some(text) = &b.text {
        check_blank(text, "ContentBlock", at.to_owned())?;
    }
    if let Some(tr) = &b.tool_result {
        for (ci, c) in tr.content.iter().enumerate() {
            if let Some(text) = &c.text {
                check_blank(
                    text,
                    "ToolResultContentBlock",
                    format!("{at}.toolResult.content.{ci}"),
                )?;
            }
        }
    }
    Ok(())
}

fn convert_block(
    b: &ContentBlock, path: &str, prompt: &mut PromptBuilder,
) -> Result<Option<Block>, ConverseError> {
    let members = usize::from(b.text.is_some())
        + usize::from(b.tool_use.is_some())
        + usize::from(b.tool_result.is_some())
        + usize::from(b.cache_point.is_some());
    if members > 1 {
        return Err(field(path, "a ContentBlock must have exactly one member"));
    }
    if let Some(text) = &b.text {
        return Ok(Some(Block::Text(text.clone())));
    }
    if let Some(tu) = &b.tool_use {
        return Ok(Some(Block::ToolUse {
            id: tu.tool_use_id.clone(),
            name: tu.name.clone(),
            input: tu.input.clone(),
        }));
    }
    if let Some(tr) = &b.tool_result {
        let text = tr
            .content
            .iter()
            .filter_map(|c| match (&c.text, &c.json) {
                (Some(t), _) => Some(t.clone()),
                (None, Some(j)) => Some(j.to_string()),
                (None, None) => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let is_error = match tr.status.as_deref() {
            None | Some("success") => false,
            Some("error") => true,
            Some(other) => {
                return Err(field(
                    format!("{path}.toolResult.status"),
                    format!("expected \"success\" or \"error\", got {other:?}"),
                ));
            }
        };
        return Ok(Some(Block::ToolResult { tool_use_id: tr.tool_use_id.clone(), text, is_error }));
    }
    if let Some(cp) = &b.cache_point {
        prompt.cache_point(ttl(cp, path)?);
    }
    Ok(None)
}

/// A response content block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OutBlock {
    Text(String),
    ToolUse(ToolUseBlock),
}

/// The reply's blocks in Converse form.
pub fn out_blocks(reply: &Reply) -> Vec<OutBlock> {
    reply
        .content
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(OutBlock::Text(t.clone())),
            Block::ToolUse { id, name, input } => Some(OutBlock::ToolUse(ToolUseBlock {
                tool_use_id: id.clone(),
                name: name.clone(),
                input: input.clone(),
            })),
            Block::ToolResult { .. } => None,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutMessage {
    pub role: &'static str,
    pub content: Vec<OutBlock>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConverseOutput {
    pub message: OutMessage,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    pub output: ConverseOutput,
    pub stop_reason: &'static str,
    pub usage: TokenUsage,
    pub metrics: Metrics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub latency_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub total_tokens: u32,
    pub cache_read_input_tokens: u32,
    pub cache_write_input_tokens: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_details: Vec<CacheDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheDetail {
    pub ttl: &'static str,
    pub input_tokens: u32,
}

impl From<&Usage> for TokenUsage {
    fn from(u: &Usage) -> Self {
        // Writes per TTL, 1h before 5m, none when nothing was written.
        let cache_details = [("1h", u.cache_write_1h), ("5m", u.cache_write_5m)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(ttl, input_tokens)| CacheDetail { ttl, input_tokens })
            .collect();
        Self {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            total_tokens: u.total_input_tokens() + u.output_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
            cache_write_input_tokens: u.cache_write_input_tokens,
            cache_details,
        }
    }
}

impl ConverseResponse {
    pub fn new(reply: &Reply, latency_ms: u64) -> Self {
        Self {
            output: ConverseOutput {
                message: OutMessage { role: "assistant", content: out_blocks(reply) },
            },
            stop_reason: reply.stop_reason.as_str(),
            usage: TokenUsage::from(&reply.usage),
            metrics: Metrics { latency_ms },
        }
    }
}
