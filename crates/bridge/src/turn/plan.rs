//! What a request asks for, checked before anything runs: the model, the code
//! execution version and the client's tools, the container to continue in, the
//! uploads, and the body every model call of the turn sends to Bedrock.
//!
//! Every refusal happens here, so it is an error answer before the first byte of a
//! stream, and nothing has been started that would have to be undone.

use messages::{
    BEDROCK_ANTHROPIC_VERSION, ContentBlock, CustomTool, Message, MessagesRequest, SystemPrompt,
    Tool,
};

use crate::Bridge;
use crate::agentcore::Container;
use crate::code_execution::{self, Version, ptc};
use crate::error::ApiError;
use crate::files::FileMetadata;

/// Server tools Bedrock runs itself, or Anthropic-defined tools the client runs,
/// which Bedrock's Anthropic models take as they are (the prefix of their `type`).
const PASSED_THROUGH: [&str; 5] =
    ["memory_", "bash_", "text_editor_", "computer_", "tool_search_tool_"];

/// Server tools neither Bedrock nor the bridge serves, and why.
const UNSERVED: [(&str, &str); 3] = [
    ("web_search_", "web search is not available on Amazon Bedrock"),
    ("web_fetch_", "web fetch is not available on Amazon Bedrock"),
    ("mcp_toolset", "the MCP connector is not available on Amazon Bedrock"),
];

/// Beta features Bedrock's `anthropic_beta` accepts (the prefix of the header's
/// values); the bridge serves the others itself (code execution, files, skills).
const BEDROCK_BETAS: [&str; 11] = [
    "computer-use-",
    "token-efficient-tools-",
    "interleaved-thinking-",
    "output-128k-",
    "dev-full-thinking-",
    "context-1m-",
    "context-management-",
    "effort-",
    "tool-search-tool-",
    "tool-examples-",
    "fine-grained-tool-streaming-",
];

/// Members of a request that only the Anthropic API takes (Bedrock refuses a key
/// it does not know), or that the bridge itself answers.
const API_ONLY: [&str; 4] = ["metadata", "service_tier", "mcp_servers", "container"];

/// A request, checked and turned into what the turn needs.
#[derive(Debug)]
pub struct Plan {
    /// The model name the client gave (responses carry it).
    pub name: String,
    /// The Bedrock model id serving it.
    pub model_id: String,
    /// The code execution tool's version, if the request has one.
    pub version: Option<&'static Version>,
    /// The client's tools the model's code may call.
    pub callable: Vec<CustomTool>,
    /// The container the request continues in, checked to be alive.
    pub container: Option<Container>,
    /// The conversation as the client sent it, uploads replaced by a line of text.
    pub messages: Vec<Message>,
    /// The files each message uploaded (`container_upload`), in order.
    pub uploads: Vec<Vec<FileMetadata>>,
    /// The body of every model call, without its messages.
    pub body: MessagesRequest,
    /// The skills the request loads into its container.
    pub skills: Vec<SkillUse>,
}

/// A skill a request loads (`container.skills`).
#[derive(Debug, Clone)]
pub struct SkillUse {
    /// The version, with its files.
    pub loaded: crate::skills::Loaded,
}

impl SkillUse {
    /// Where its files go in the container (relative to the working directory: an
    /// AgentCore session cannot write `/skills`).
    pub fn folder(&self) -> String {
        format!("skills/{}", self.loaded.version.directory)
    }

    /// As the response's `container.skills` names it.
    pub fn reference(&self) -> serde_json::Value {
        let version = &self.loaded.version;
        // The resolved version: its id, as the API names a custom skill's.
        serde_json::json!({"type": "custom", "skill_id": version.skill_id, "version": version.id})
    }
}

/// The most skills one request may load (the API's limit).
const MAX_SKILLS: usize = 8;

/// The skills `container.skills` names, loaded.
async fn skills(bridge: &Bridge, request: &MessagesRequest) -> Result<Vec<SkillUse>, ApiError> {
    let Some(messages::ContainerRef::Object(container)) = &request.container else {
        return Ok(Vec::new());
    };
    let Some(listed) = container.get("skills").and_then(serde_json::Value::as_array) else {
        return Ok(Vec::new());
    };
    if listed.len() > MAX_SKILLS {
        return Err(ApiError::invalid_request(format!(
            "container.skills: at most {MAX_SKILLS} skills per request, not {}",
            listed.len()
        )));
    }
    let mut loaded = Vec::with_capacity(listed.len());
    for (i, skill) in listed.iter().enumerate() {
        let id = skill["skill_id"].as_str().unwrap_or_default();
        let version = skill["version"].as_str().unwrap_or("latest");
        match skill["type"].as_str().unwrap_or("custom") {
            "custom" => {}
            "anthropic" => {
                return Err(ApiError::invalid_request(format!(
                    "container.skills.{i}: the Anthropic-provided skill {id:?} is not available \
                     through the bridge (Bedrock has no such skills); upload your own with POST \
                     /v1/skills and name it as {{\"type\": \"custom\", \"skill_id\": \"skill_...\"}}"
                )));
            }
            other => {
                return Err(ApiError::invalid_request(format!(
                    "container.skills.{i}.type: {other:?} is neither custom nor anthropic"
                )));
            }
        }
        let found = bridge
            .skills
            .version(id, version)
            .await
            .map_err(|err| ApiError::api("the skill store could not be read").caused_by(err))?;
        let found = found.ok_or_else(|| {
            ApiError::invalid_request(format!(
                "container.skills.{i}: skill {id:?} (version {version}) was not found; list yours with GET /v1/skills"
            ))
        })?;
        loaded.push(SkillUse { loaded: found });
    }
    Ok(loaded)
}

/// The system prompt with the skills told: each one's name, description and where
/// its `SKILL.md` is, for the model to read before it uses one.
fn tell_skills(system: Option<SystemPrompt>, skills: &[SkillUse]) -> Option<SystemPrompt> {
    if skills.is_empty() {
        return system;
    }
    let mut told = String::from(
        "You have these skills: folders of instructions, scripts and resources in the \
         container. When a task matches one, first read its SKILL.md (bash `cat`, or the \
         text editor), then follow it.\n<available_skills>\n",
    );
    for skill in skills {
        let version = &skill.loaded.version;
        told.push_str(&format!(
            "<skill><name>{}</name><description>{}</description><location>{}/SKILL.md</location></skill>\n",
            version.name,
            version.description,
            skill.folder()
        ));
    }
    told.push_str("</available_skills>");
    let block = ContentBlock::text(told);
    Some(match system {
        None => SystemPrompt::Blocks(vec![block]),
        Some(SystemPrompt::Text(text)) => {
            SystemPrompt::Blocks(vec![ContentBlock::text(text), block])
        }
        Some(SystemPrompt::Blocks(mut blocks)) => {
            blocks.push(block);
            SystemPrompt::Blocks(blocks)
        }
    })
}

/// The model name a request gives, and the Bedrock model id it maps to.
pub fn model_of(bridge: &Bridge, request: &MessagesRequest) -> Result<(String, String), ApiError> {
    let name = request.model.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::invalid_request("model: field required"));
    }
    let model_id = bridge.config.models.resolve(&name)?.to_owned();
    Ok((name, model_id))
}

/// The tools Bedrock gets for the request's `tools`, and the code execution version.
fn tools(request: &MessagesRequest) -> Result<(Vec<Tool>, Option<&'static Version>), ApiError> {
    let mut version = None;
    let mut passed = Vec::new();
    for (i, tool) in request.tools.iter().enumerate() {
        match tool {
            Tool::Custom(custom) if ptc::callable_directly(custom) => {
                passed.push(Tool::Custom(CustomTool { allowed_callers: None, ..custom.clone() }));
            }
            Tool::Custom(_) => {}
            Tool::Server(server) => {
                if let Some(found) = code_execution::version(&server.kind) {
                    version = Some(found);
                } else if let Some((_, why)) =
                    UNSERVED.iter().find(|(prefix, _)| server.kind.starts_with(prefix))
                {
                    return Err(ApiError::invalid_request(format!(
                        "tools.{i}: {} is not served here: {why}; the bridge runs the code \
                         execution tool ({}) and passes on what Bedrock runs itself",
                        server.kind,
                        code_execution::VERSIONS.map(|v| v.kind).join(", ")
                    )));
                } else if PASSED_THROUGH.iter().any(|prefix| server.kind.starts_with(prefix)) {
                    passed.push(tool.clone());
                } else {
                    return Err(ApiError::invalid_request(format!(
                        "tools.{i}: the tool type {} is not known to the bridge",
                        server.kind
                    )));
                }
            }
        }
    }
    Ok((passed, version))
}

/// The container a request names (an id, or `{"id": ...}`), checked to be alive.
async fn named_container(
    bridge: &Bridge, request: &MessagesRequest,
) -> Result<Option<Container>, ApiError> {
    let Some(id) = request.container.as_ref().and_then(|c| c.id()) else {
        return Ok(None);
    };
    let container = Container::from_id(id).ok_or_else(|| crate::agentcore::gone(id))?;
    bridge.sessions.expires_at(&container).await?;
    Ok(Some(container))
}

/// The `container_upload` blocks of `messages`, each with its file; the model on
/// Bedrock reads each as a line of text saying where the file is.
async fn uploads(
    bridge: &Bridge, messages: &mut [Message],
) -> Result<Vec<Vec<FileMetadata>>, ApiError> {
    let mut per_message = Vec::with_capacity(messages.len());
    for (mi, message) in messages.iter_mut().enumerate() {
        let mut files = Vec::new();
        for (bi, block) in message.content.iter_mut().enumerate() {
            let ContentBlock::ContainerUpload { file_id, .. } = block else { continue };
            let meta =
                bridge.files.metadata(file_id).await.map_err(|err| {
                    ApiError::api("the file store could not be read").caused_by(err)
                })?;
            let meta = meta.ok_or_else(|| {
                ApiError::invalid_request(format!(
                    "messages.{mi}.content.{bi}: file {file_id} was not found; upload it with POST /v1/files first"
                ))
            })?;
            *block = ContentBlock::text(format!(
                "[The file {} ({}) is in the container's working directory.]",
                meta.filename, meta.id
            ));
            files.push(meta);
        }
        per_message.push(files);
    }
    Ok(per_message)
}

/// The body every model call of the turn sends, without its messages.
fn body(request: &MessagesRequest, tools: Vec<Tool>, betas: &[String]) -> MessagesRequest {
    let mut extra = request.extra.clone();
    for member in API_ONLY {
        extra.remove(member);
    }
    let anthropic_beta = betas
        .iter()
        .chain(&request.anthropic_beta)
        .map(|beta| beta.trim().to_ascii_lowercase())
        .filter(|beta| BEDROCK_BETAS.iter().any(|prefix| beta.starts_with(prefix)))
        .collect();
    MessagesRequest {
        anthropic_version: Some(BEDROCK_ANTHROPIC_VERSION.to_owned()),
        anthropic_beta,
        max_tokens: request.max_tokens,
        system: request.system.clone(),
        tools,
        cache_control: request.cache_control.clone(),
        extra,
        ..MessagesRequest::default()
    }
}

/// Checks `request` (with the betas of its `anthropic-beta` header) and plans its turn.
pub async fn plan(
    bridge: &Bridge, request: MessagesRequest, betas: &[String],
) -> Result<Plan, ApiError> {
    let (name, model_id) = model_of(bridge, &request)?;
    let (mut tools, version) = tools(&request)?;
    let callable = ptc::callable_from_code(&request.tools);
    if !callable.is_empty() && !version.is_some_and(Version::calls_tools_from_code) {
        return Err(ApiError::invalid_request(format!(
            "tools: {} may be called from code (allowed_callers), which needs the code execution tool code_execution_20250825 or later in `tools`",
            callable.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(version) = version {
        tools.extend(code_execution::client_tools(version, &callable));
    }
    let skills = skills(bridge, &request).await?;
    if !skills.is_empty() && version.is_none() {
        return Err(ApiError::invalid_request(
            "container.skills: skills run in the container, which needs the code execution tool in `tools`",
        ));
    }
    let container = named_container(bridge, &request).await?;
    let mut messages = request.messages.clone();
    let uploads = uploads(bridge, &mut messages).await?;
    let mut body = body(&request, tools, betas);
    body.system = tell_skills(body.system.take(), &skills);
    Ok(Plan { name, model_id, version, callable, container, messages, uploads, body, skills })
}

/// The body of one model call: the plan's, with `messages`.
pub fn with_messages(body: &MessagesRequest, messages: Vec<Message>) -> MessagesRequest {
    MessagesRequest { messages, ..body.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(tools: serde_json::Value) -> MessagesRequest {
        serde_json::from_value(json!({"model": "m", "max_tokens": 10, "messages": [],
            "tools": tools, "metadata": {"user_id": "u"}, "temperature": 0.5}))
        .unwrap()
    }

    #[test]
    fn what_bedrock_runs_passes_and_what_nobody_serves_is_refused() {
        let passed = request(json!([
            {"type": "memory_20250818", "name": "memory"},
            {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
            {"name": "lookup", "description": "d", "input_schema": {"type": "object"},
             "strict": true, "defer_loading": true, "input_examples": [{"q": "x"}]},
            {"type": "code_execution_20250825", "name": "code_execution"},
        ]));
        let (sent, version) = tools(&passed).unwrap();
        assert_eq!(version.map(|v| v.kind), Some("code_execution_20250825"));
        let sent = serde_json::to_value(&sent).unwrap();
        assert_eq!(sent[0]["type"], "memory_20250818");
        assert_eq!(sent[1]["type"], "tool_search_tool_regex_20251119");
        assert_eq!(
            (sent[2]["strict"].clone(), sent[2]["defer_loading"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(sent[2]["input_examples"], json!([{"q": "x"}]));
        let refused =
            tools(&request(json!([{"type": "web_search_20250305", "name": "web_search"}])));
        assert!(refused.unwrap_err().message.contains("not available on Amazon Bedrock"));
    }

    #[test]
    fn the_body_keeps_what_bedrock_takes() {
        let request = request(json!([]));
        let betas = ["context-management-2025-06-27".to_owned(), "files-api-2025-04-14".to_owned()];
        let body = serde_json::to_value(body(&request, Vec::new(), &betas)).unwrap();
        assert_eq!(body["anthropic_beta"], json!(["context-management-2025-06-27"]));
        assert_eq!(body["temperature"], json!(0.5));
        assert!(body.get("metadata").is_none() && body.get("model").is_none());
    }
}
