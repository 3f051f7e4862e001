//! `POST /v1/messages`, `POST /v1/messages/count_tokens` and `GET /v1/models`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{CountTokensInput, InvokeModelTokensRequest};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use messages::{
    BEDROCK_ANTHROPIC_VERSION, ContentBlock, CustomTool, Message, MessagesRequest,
    MessagesResponse, Role, StopReason, Tool, Usage, stream_events,
};
use serde_json::json;

use crate::Bridge;
use crate::container::Container;
use crate::error::ApiError;
use crate::files::{self, FileMetadata};
use crate::history::{for_bedrock, model_id as model_id_of, server_id};
use crate::ptc::{self, Progress};
use crate::timing::Upstream;
use crate::tools::{self, Version};

/// Header of a response in which code ended that called the client's tools: how
/// many calls it made.
pub const TOOL_CALLS_FROM_CODE: &str = "x-bridge-tool-calls-from-code";

/// The key a request carries: `x-api-key`, or `Authorization: Bearer <key>`.
fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key);
    }
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    bearer.strip_prefix("Bearer ")
}

pub(crate) fn authenticate(bridge: &Bridge, headers: &HeaderMap) -> Result<(), ApiError> {
    match api_key(headers) {
        Some(key) if bridge.config.api_keys.iter().any(|k| k == key) => Ok(()),
        _ => Err(ApiError::authentication("invalid x-api-key")),
    }
}

/// The code execution version a request asks for, after refusing server tools the
/// bridge does not run.
fn code_execution(request: &MessagesRequest) -> Result<Option<&'static Version>, ApiError> {
    let mut found = None;
    for (i, tool) in request.tools.iter().enumerate() {
        let Tool::Server(server) = tool else { continue };
        let Some(version) = tools::version(&server.kind) else {
            return Err(ApiError::invalid_request(format!(
                "tools.{i}: the bridge does not run the server tool {}; it runs {}",
                server.kind,
                tools::VERSIONS.map(|v| v.kind).join(", ")
            )));
        };
        found = Some(version);
    }
    Ok(found)
}

/// `POST /v1/messages`.
pub async fn create_message(
    State(bridge): State<Arc<Bridge>>, headers: HeaderMap, body: Bytes,
) -> Response {
    let outcome = async {
        authenticate(&bridge, &headers)?;
        if !headers.contains_key("anthropic-version") {
            return Err(ApiError::invalid_request("anthropic-version: header is required"));
        }
        let request: MessagesRequest = serde_json::from_slice(&body).map_err(|err| {
            ApiError::invalid_request(format!("the request body is invalid: {err}"))
        })?;
        let stream = request.stream.unwrap_or(false);
        let turn = complete(&bridge, request).await?;
        Ok::<_, ApiError>((stream, turn))
    }
    .await;
    match outcome {
        Ok((stream, turn)) => {
            let mut response =
                if stream { sse(&turn.message) } else { Json(turn.message).into_response() };
            if let Some(calls) = turn.tool_calls_from_code {
                // Each of these calls would have been a model round trip without
                // programmatic tool calling.
                response.headers_mut().insert(TOOL_CALLS_FROM_CODE, calls.into());
            }
            response
        }
        Err(err) => {
            tracing::debug!(%err, "request refused");
            err.into_response()
        }
    }
}

/// The model name a request gives, and the Bedrock model id it maps to.
fn model_of(bridge: &Bridge, request: &MessagesRequest) -> Result<(String, String), ApiError> {
    let name = request.model.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::invalid_request("model: field required"));
    }
    let model_id = bridge.config.models.resolve(&name)?.to_owned();
    Ok((name, model_id))
}

/// The container a request names, checked to be alive.
async fn named_container(
    bridge: &Bridge, request: &MessagesRequest,
) -> Result<Option<Container>, ApiError> {
    let Some(id) = request.container.as_ref().map(|c| c.id().unwrap_or_default()) else {
        return Ok(None);
    };
    let container = Container::from_id(id).ok_or_else(|| crate::container::gone(id))?;
    bridge.sessions.expires_at(&container).await?;
    Ok(Some(container))
}

/// The tools the model on Bedrock gets: the client's own, and the code execution
/// tool's calls as client tools.
/// Tools the client allows only its code to call are not among them; the Python tool
/// that runs such code is, and says which functions the code has.
fn bedrock_tools(request: &MessagesRequest, version: Option<&Version>) -> Vec<Tool> {
    let mut tools: Vec<Tool> = request
        .tools
        .iter()
        .filter_map(|tool| match tool {
            Tool::Custom(custom) if ptc::callable_directly(custom) => {
                Some(Tool::Custom(CustomTool { allowed_callers: None, ..custom.clone() }))
            }
            _ => None,
        })
        .collect();
    if let Some(version) = version {
        tools.extend(tools::client_tools(version));
        let callable = ptc::callable_from_code(&request.tools);
        if !callable.is_empty() && !version.calls.contains(&"code_execution") {
            tools.push(ptc::code_tool(&callable));
        }
    }
    tools
}

/// The code execution version, and the client's tools its code may call.
fn code_execution_and_callable(
    request: &MessagesRequest,
) -> Result<(Option<&'static Version>, Vec<CustomTool>), ApiError> {
    let version = code_execution(request)?;
    let callable = ptc::callable_from_code(&request.tools);
    if !callable.is_empty() && version.is_none_or(|v| v.calls.contains(&"code_execution")) {
        return Err(ApiError::invalid_request(format!(
            "tools: {} may be called from code (allowed_callers), which needs the code execution tool code_execution_20250825 or later in `tools`",
            callable.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok((version, callable))
}

/// The `container_upload` blocks of `messages`, each with its file's name; the model
/// on Bedrock reads each as a line of text saying where the file is.
async fn uploads(
    bridge: &Bridge, messages: &mut [Message],
) -> Result<Vec<Vec<FileMetadata>>, ApiError> {
    let mut per_message = Vec::with_capacity(messages.len());
    for (mi, message) in messages.iter_mut().enumerate() {
        let mut files = Vec::new();
        for (bi, block) in message.content.iter_mut().enumerate() {
            let ContentBlock::ContainerUpload { file_id, .. } = block else { continue };
            let meta = bridge
                .config
                .files
                .metadata(file_id)
                .await
                .map_err(|err| ApiError::api(format!("reading the file store: {err}")))?;
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

/// The body of one InvokeModel call.
fn bedrock_body(
    request: &MessagesRequest, messages: Vec<Message>, tools: Vec<Tool>,
) -> MessagesRequest {
    MessagesRequest {
        anthropic_version: Some(BEDROCK_ANTHROPIC_VERSION.to_owned()),
        max_tokens: request.max_tokens,
        system: request.system.clone(),
        messages,
        tools,
        extra: request.extra.clone(),
        ..MessagesRequest::default()
    }
}

/// A container's state as one request sees it: started on first use, and the files
/// of its output directory already reported.
struct Running<'a> {
    bridge: &'a Bridge,
    container: Option<Container>,
    /// Output files known (name → size) once the directory has been looked at.
    reported: Option<HashMap<String, Option<i64>>>,
}

impl Running<'_> {
    async fn container(&mut self) -> Result<Container, ApiError> {
        if let Some(container) = &self.container {
            return Ok(container.clone());
        }
        let started = self.bridge.start_container().await?;
        // A new container has no output files yet.
        self.reported = Some(HashMap::new());
        self.container = Some(started.clone());
        Ok(started)
    }

    /// Puts an uploaded file into the container's working directory.
    async fn place(&mut self, meta: &FileMetadata) -> Result<(), ApiError> {
        let container = self.container().await?;
        let files = &self.bridge.config.files;
        let bytes = (files.content(&meta.id).await)
            .map_err(|err| ApiError::api(format!("reading the file store: {err}")))?
            .unwrap_or_default();
        let sessions = &self.bridge.sessions;
        tools::put_file(sessions, &container, meta.filename.clone(), bytes.to_vec()).await
    }

    /// Files new or changed in the output directory since the last look, stored
    /// for download; their ids.
    async fn new_outputs(&mut self) -> Result<Vec<String>, ApiError> {
        let container = self.container().await?;
        let sessions = &self.bridge.sessions;
        let listed = tools::list_outputs(sessions, &container).await?;
        let Some(reported) = self.reported.as_mut() else {
            // The first look in this request: what is there came before it.
            self.reported = Some(listed.into_iter().collect());
            return Ok(Vec::new());
        };
        let mut ids = Vec::new();
        for (name, size) in listed {
            if reported.get(&name) == Some(&size) {
                continue;
            }
            reported.insert(name.clone(), size);
            let path = format!("{}/{name}", tools::OUTPUT_DIR);
            let Some(bytes) = tools::read_bytes(sessions, &container, &path).await? else {
                continue;
            };
            let meta = FileMetadata::new(&name, files::mime_type(&name), bytes.len() as u64, true);
            let id = meta.id.clone();
            self.bridge
                .config
                .files
                .put(meta, bytes.into())
                .await
                .map_err(|err| ApiError::api(format!("storing {path}: {err}")))?;
            ids.push(id);
        }
        Ok(ids)
    }
}

/// A finished turn: the response, and how many tool calls the model's code made when
/// a code execution call with programmatic tool calls ended in it.
pub(crate) struct Turn {
    message: MessagesResponse,
    tool_calls_from_code: Option<u64>,
}

/// The loop: the model on Bedrock, the code execution calls in the container, until
/// the model answers, asks for a client tool (directly, or from its code), or runs
/// out of steps or time (`pause_turn`).
async fn complete(bridge: &Bridge, request: MessagesRequest) -> Result<Turn, ApiError> {
    let (name, model_id) = model_of(bridge, &request)?;
    let (version, callable) = code_execution_and_callable(&request)?;
    let from_code = !callable.is_empty();
    let mut running =
        Running { bridge, container: named_container(bridge, &request).await?, reported: None };
    let mut messages = request.messages.clone();
    let uploaded = uploads(bridge, &mut messages).await?;
    // A new container gets every file the conversation uploaded; one that goes on
    // has those of earlier turns already.
    let to_place: Vec<&FileMetadata> = if running.container.is_some() {
        uploaded.last().into_iter().flatten().collect()
    } else {
        uploaded.iter().flatten().collect()
    };
    for meta in to_place {
        running.place(meta).await?;
    }
    let tools = bedrock_tools(&request, version);
    let mut conversation = for_bedrock(&messages);
    let (mut content, mut usage, mut stop_reason, mut id) =
        (Vec::new(), Usage::default(), StopReason::PauseTurn, None);
    let mut tool_calls_from_code = None;
    // The code the client's results are for: let it go on, until it calls again
    // (back to the client) or ends (its output to the model).
    let resumed = if from_code { ptc::paused(&request.messages)? } else { None };
    let mut paused = None;
    if let Some(resumed) = resumed {
        let container = running
            .container
            .clone()
            .ok_or_else(|| ApiError::invalid_request(ptc::CONTAINER_REQUIRED))?;
        ptc::answer(&bridge.sessions, &container, &resumed).await?;
        let progress = ptc::progress(
            &bridge.sessions,
            &container,
            &resumed.call_id,
            &resumed.handed_out,
            bridge.config.turn_budget,
        )
        .await?;
        match progress {
            Progress::Calls(calls) => paused = Some((resumed.call_id, resumed.version, calls)),
            Progress::Done(status) => {
                tool_calls_from_code = Some(status.calls);
                let block = ptc::result_block(&resumed.call_id, status);
                let result = for_model(model_id_of(&resumed.call_id), &block);
                conversation.push(Message { role: Role::User, content: vec![result] });
                content.push(block);
            }
        }
    }
    let started = Instant::now();
    let mut steps = 0;
    while paused.is_none() && steps < bridge.config.max_steps {
        if started.elapsed() >= bridge.config.turn_budget {
            break;
        }
        steps += 1;
        let body = bedrock_body(&request, conversation.clone(), tools.clone());
        let response = invoke_model(bridge, &model_id, &body).await?;
        id.get_or_insert_with(|| response.id.clone());
        usage += response.usage;
        let (mut results, mut client_call) = (Vec::new(), false);
        for block in &response.content {
            match block {
                ContentBlock::ToolUse { id, name, input, .. }
                    if from_code && name == "code_execution" =>
                {
                    let container = running.container().await?;
                    let call_id = server_id(id);
                    content.push(ContentBlock::ServerToolUse {
                        id: call_id.clone(),
                        name: name.clone(),
                        input: input.clone(),
                        cache_control: None,
                    });
                    let Some(code) = input.get("code").and_then(serde_json::Value::as_str) else {
                        let block = tools::invalid_code_input(&call_id);
                        results.push(for_model(id.clone(), &block));
                        content.push(block);
                        continue;
                    };
                    let sessions = &bridge.sessions;
                    let wait = bridge.config.tool_wait;
                    ptc::start(sessions, &container, &call_id, code, &callable, wait).await?;
                    let budget = bridge.config.turn_budget.saturating_sub(started.elapsed());
                    let none = HashSet::new();
                    match ptc::progress(sessions, &container, &call_id, &none, budget).await? {
                        Progress::Calls(calls) => {
                            let version = version.map(|v| v.kind).unwrap_or_default();
                            paused = Some((call_id, version.to_owned(), calls));
                            break;
                        }
                        Progress::Done(status) => {
                            tool_calls_from_code = Some(status.calls);
                            let block = ptc::result_block(&call_id, status);
                            results.push(for_model(id.clone(), &block));
                            content.push(block);
                        }
                    }
                }
                ContentBlock::ToolUse { id, name, input, .. }
                    if version.is_some_and(|v| v.calls.contains(&name.as_str())) =>
                {
                    let container = running.container().await?;
                    let call_id = server_id(id);
                    let input = input.clone();
                    let mut result =
                        tools::run(&bridge.sessions, &container, &call_id, name, &input).await?;
                    if name != "text_editor_code_execution" {
                        let outputs = running.new_outputs().await?;
                        tools::attach_outputs(&mut result, &outputs);
                    }
                    content.push(ContentBlock::ServerToolUse {
                        id: call_id,
                        name: name.clone(),
                        input,
                        cache_control: None,
                    });
                    results.push(for_model(id.clone(), &result));
                    content.push(result);
                }
                ContentBlock::ToolUse { .. } => {
                    client_call = true;
                    content.push(block.clone());
                }
                other => content.push(other.clone()),
            }
        }
        if paused.is_some() {
            break;
        }
        conversation.push(response.to_message());
        if client_call || results.is_empty() {
            stop_reason = response.stop_reason.unwrap_or(StopReason::EndTurn);
            break;
        }
        conversation.push(Message { role: Role::User, content: results });
    }
    if let Some((call_id, version, calls)) = paused {
        // The code waits for the client: its calls go out, as the API sends them.
        content.extend(calls.iter().map(|call| ptc::tool_use_block(&call_id, &version, call)));
        stop_reason = StopReason::ToolUse;
    }
    let container = match running.container {
        Some(container) => {
            let expires_at = bridge.sessions.expires_at(&container).await?;
            Some(messages::Container { id: container.id(), expires_at: Some(expires_at) })
        }
        None => None,
    };
    let message = MessagesResponse {
        id: id.unwrap_or_else(|| format!("msg_bridge_{}", crate::random_suffix())),
        kind: "message".to_owned(),
        role: Role::Assistant,
        model: name,
        content,
        stop_reason: Some(stop_reason),
        stop_sequence: None,
        usage,
        container,
    };
    Ok(Turn { message, tool_calls_from_code })
}

/// `POST /v1/messages/count_tokens`: Bedrock's CountTokens on the body the bridge
/// would send, so the code execution tool counts as the client tools it becomes.
pub async fn count_tokens(
    State(bridge): State<Arc<Bridge>>, headers: HeaderMap, body: Bytes,
) -> Response {
    let outcome = async {
        authenticate(&bridge, &headers)?;
        let invalid = |err: serde_json::Error| {
            ApiError::invalid_request(format!("the request body is invalid: {err}"))
        };
        // A count has no max_tokens; Bedrock's body needs one, and does not count it.
        let mut fields: serde_json::Value = serde_json::from_slice(&body).map_err(invalid)?;
        if let Some(fields) = fields.as_object_mut() {
            fields.entry("max_tokens").or_insert(json!(1));
        }
        let request: MessagesRequest = serde_json::from_value(fields).map_err(invalid)?;
        let (_, model_id) = model_of(&bridge, &request)?;
        let (version, _) = code_execution_and_callable(&request)?;
        let mut messages = request.messages.clone();
        uploads(&bridge, &mut messages).await?;
        let bedrock =
            bedrock_body(&request, for_bedrock(&messages), bedrock_tools(&request, version));
        let json = serde_json::to_vec(&bedrock)
            .map_err(|err| ApiError::api(format!("writing the Bedrock body: {err}")))?;
        let output = bridge
            .bedrock
            .count_tokens()
            .model_id(foundation_model(&model_id))
            .input(CountTokensInput::InvokeModel(
                InvokeModelTokensRequest::builder()
                    .body(Blob::new(json))
                    .build()
                    .map_err(|err| ApiError::api(format!("building CountTokens: {err}")))?,
            ))
            .send()
            .upstream()
            .await
            .map_err(|err| bedrock_error("CountTokens", err))?;
        Ok::<_, ApiError>(Json(json!({"input_tokens": output.input_tokens()})).into_response())
    }
    .await;
    outcome.unwrap_or_else(IntoResponse::into_response)
}

/// CountTokens takes a base model id: an inference profile's id without its
/// geography (`global.anthropic.x` → `anthropic.x`).
fn foundation_model(model_id: &str) -> &str {
    const GEOGRAPHIES: [&str; 6] = ["global.", "us.", "eu.", "apac.", "jp.", "au."];
    GEOGRAPHIES.iter().find_map(|prefix| model_id.strip_prefix(prefix)).unwrap_or(model_id)
}

/// What the model on Bedrock reads of a server tool's result block: a `tool_result`
/// for its client-tool call `tool_use_id`.
fn for_model(tool_use_id: String, block: &ContentBlock) -> ContentBlock {
    let (text, is_error) = match block {
        ContentBlock::CodeExecutionToolResult { content, .. }
        | ContentBlock::BashCodeExecutionToolResult { content, .. }
        | ContentBlock::TextEditorCodeExecutionToolResult { content, .. } => content.model_text(),
        _ => (String::new(), false),
    };
    ContentBlock::tool_result(tool_use_id, text, is_error)
}

/// One InvokeModel call; Bedrock's errors as the API's.
async fn invoke_model(
    bridge: &Bridge, model_id: &str, body: &MessagesRequest,
) -> Result<MessagesResponse, ApiError> {
    let json = serde_json::to_vec(body)
        .map_err(|err| ApiError::api(format!("writing the Bedrock body: {err}")))?;
    let output = bridge
        .bedrock
        .invoke_model()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(json))
        .send()
        .upstream()
        .await
        .map_err(|err| bedrock_error("InvokeModel", err))?;
    serde_json::from_slice(output.body().as_ref()).map_err(|err| {
        ApiError::api(format!("Bedrock answered a body that is not a Messages response: {err}"))
    })
}

/// A Bedrock error as the API's.
fn bedrock_error<E, R>(
    operation: &str, err: aws_sdk_bedrockruntime::error::SdkError<E, R>,
) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = err.message().unwrap_or("Bedrock refused the request").to_owned();
    match err.code() {
        Some("ValidationException") => ApiError::invalid_request(message),
        Some("ResourceNotFoundException") => ApiError::not_found(message),
        Some("ThrottlingException" | "ServiceQuotaExceededException") => {
            ApiError::rate_limit(message)
        }
        Some("ServiceUnavailableException" | "ModelNotReadyException") => {
            ApiError::overloaded(message)
        }
        _ => ApiError::api(format!(
            "Bedrock {operation} failed: {}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        )),
    }
}

/// The response as server-sent events, as `stream: true` asks.
fn sse(message: &MessagesResponse) -> Response {
    let mut body = String::new();
    for event in stream_events(message) {
        let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
        body.push_str(&format!("event: {}\ndata: {data}\n\n", event.name()));
    }
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/event-stream"));
    response
}

/// `GET /v1/models`: the names the bridge serves.
pub async fn list_models(State(bridge): State<Arc<Bridge>>, headers: HeaderMap) -> Response {
    if let Err(err) = authenticate(&bridge, &headers) {
        return err.into_response();
    }
    let data: Vec<_> = (bridge.config.models.names())
        .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2026-01-01T00:00:00Z"}))
        .collect();
    let first = data.first().map(|m| m["id"].clone());
    let last = data.last().map(|m| m["id"].clone());
    Json(json!({"data": data, "has_more": false, "first_id": first, "last_id": last}))
        .into_response()
}
