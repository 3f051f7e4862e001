//! Fault injection: make chosen operations fail the way the real services sometimes
//! do, so clients can be tested against throttling, server errors, broken streams,
//! expired sessions, slow answers and malformed model replies.
//!
//! A [`Fault`] names an operation (as AWS names it: `Converse`,
//! `InvokeCodeInterpreter`, `StartCodeInterpreterSession`, ... or `*` for any), a
//! [`FaultKind`] and when it fires ([`Trigger`]: the next N matching requests, a
//! share of them, or all). Faults are set with `EmulatorBuilder::fault`,
//! `Emulator::inject` at run time, or `--fault` on the binary, written as
//! `OPERATION:KIND[:WHEN]` (see [`Fault::parse`] and [`SYNTAX`]).
//!
//! They are applied by one middleware that runs after the Host and credential
//! checks, so a request that fails authentication never consumes a fault.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::anthropic::AnthropicError;
use crate::error::{AwsError, QueryError};
use crate::state::AppState;

/// The `--fault` syntax, for help texts.
pub const SYNTAX: &str = "\
OPERATION:KIND[:WHEN], repeatable. OPERATION is an AWS operation name in any case, dashes \
ignored (Converse, converse-stream, InvokeCodeInterpreter, StartCodeInterpreterSession, \
InvokeModel, CreateMessage for the Anthropic API, CreateRole, ...) or * for any. KIND: \
throttle (429 ThrottlingException), 500 (InternalServerException), 503 \
(ServiceUnavailableException), midstream (an exception frame after the first event of an \
event stream or SSE), expire (the session the request names is terminated first), \
delay=<N>ms|<N>s (the answer waits), malformed (a model reply that does not parse), \
missing-code / wrong-type (the model's tool call has no `code`, or a number for it). WHEN: \
N (the next N matching requests, default 1), P% (each with probability P), or always. \
Example: --fault converse:throttle:2 --fault InvokeCodeInterpreter:delay=3s";

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// 429 `ThrottlingException` (query protocol: `Throttling`; Anthropic: `rate_limit_error`).
    Throttle,
    /// 500 `InternalServerException`.
    Internal,
    /// 503 `ServiceUnavailableException`.
    Unavailable,
    /// The response starts, then an `internalServerException` frame (or an SSE `error`
    /// event) follows the first event and the stream ends.
    MidStream,
    /// The session named by the request (header or `sessionId`) is terminated before
    /// the request is handled, as if its timeout had passed.
    Expire,
    /// The request is handled after this delay.
    Delay(Duration),
    /// A model reply whose body is not valid JSON.
    Malformed,
    /// The model's tool calls come without the `code` member.
    MissingCode,
    /// The model's tool calls carry `code` as a number.
    WrongType,
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// The next N matching requests.
    Count(u32),
    /// Each matching request with this probability (0 to 1).
    Rate(f64),
    /// Every matching request.
    Always,
}

/// One fault: an operation, what goes wrong, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    operation: String,
    kind: FaultKind,
    trigger: Trigger,
}

/// A `--fault` value that could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "invalid fault '{spec}': {reason} (expected OPERATION:KIND[:WHEN], e.g. converse:throttle:2)"
)]
pub struct FaultParseError {
    spec: String,
    reason: String,
}

fn normalize(operation: &str) -> String {
    operation
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Fault {
    /// A fault on `operation` (AWS name, any case; `*` for any) that fires once.
    pub fn new(operation: &str, kind: FaultKind) -> Self {
        Self {
            operation: normalize(operation),
            kind,
            trigger: Trigger::Count(1),
        }
    }

    /// Fires on the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.trigger = Trigger::Count(n);
        self
    }

    /// Fires on each matching request with probability `rate` (clamped to 0..=1).
    pub fn rate(mut self, rate: f64) -> Self {
        self.trigger = Trigger::Rate(rate.clamp(0.0, 1.0));
        self
    }

    /// Fires on every matching request.
    pub fn always(mut self) -> Self {
        self.trigger = Trigger::Always;
        self
    }

    /// What goes wrong.
    pub fn kind(&self) -> FaultKind {
        self.kind
    }

    /// Reads `OPERATION:KIND[:WHEN]` (see [`SYNTAX`]).
    pub fn parse(spec: &str) -> Result<Self, FaultParseError> {
        let fail = |reason: &str| FaultParseError {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = spec.trim().split(':');
        let operation = parts.next().unwrap_or_default();
        if operation.is_empty() {
            return Err(fail("the operation is missing"));
        }
        let kind = parts.next().ok_or_else(|| fail("the kind is missing"))?;
        let kind = parse_kind(kind).map_err(|reason| fail(&reason))?;
        let mut fault = Self::new(operation, kind);
        if let Some(when) = parts.next() {
            fault.trigger = parse_trigger(when).map_err(|reason| fail(&reason))?;
        }
        if parts.next().is_some() {
            return Err(fail("too many ':'-separated parts"));
        }
        Ok(fault)
    }

    fn matches(&self, operation: &str) -> bool {
        self.operation == "*" || self.operation == normalize(operation)
    }
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        Self::parse(spec)
    }
}

fn parse_kind(kind: &str) -> Result<FaultKind, String> {
    let lower = kind.trim().to_ascii_lowercase();
    if let Some(delay) = lower.strip_prefix("delay=") {
        return parse_duration(delay).map(FaultKind::Delay);
    }
    Ok(match lower.as_str() {
        "throttle" | "throttling" | "429" => FaultKind::Throttle,
        "500" | "internal" => FaultKind::Internal,
        "503" | "unavailable" => FaultKind::Unavailable,
        "midstream" | "mid-stream" => FaultKind::MidStream,
        "expire" | "expired" => FaultKind::Expire,
        "malformed" => FaultKind::Malformed,
        "missing-code" => FaultKind::MissingCode,
        "wrong-type" => FaultKind::WrongType,
        other => {
            return Err(format!(
                "unknown kind '{other}'; use throttle, 500, 503, midstream, expire, delay=<N>ms, malformed, missing-code or wrong-type"
            ));
        }
    })
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        return Err(format!("delay '{text}' needs a unit: ms or s"));
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or_else(|| format!("delay '{text}' is not a non-negative number"))
}

fn parse_trigger(when: &str) -> Result<Trigger, String> {
    let when = when.trim();
    if when.eq_ignore_ascii_case("always") {
        return Ok(Trigger::Always);
    }
    if let Some(percent) = when.strip_suffix('%') {
        return percent
            .parse::<f64>()
            .ok()
            .filter(|p| (0.0..=100.0).contains(p))
            .map(|p| Trigger::Rate(p / 100.0))
            .ok_or_else(|| format!("rate '{when}' must be 0% to 100%"));
    }
    when.parse::<u32>()
        .map(Trigger::Count)
        .map_err(|_| format!("'{when}' is not a count, a rate (25%) or 'always'"))
}

/// The faults of one emulator and how many fired.
#[derive(Debug, Default)]
pub struct FaultPlan {
    faults: Mutex<Vec<Fault>>,
    fired: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
}

impl FaultPlan {
    /// A plan holding these faults.
    pub fn new(faults: impl IntoIterator<Item = Fault>) -> Self {
        let plan = Self::default();
        for fault in faults {
            plan.add(fault);
        }
        plan
    }

    /// Adds a fault after the ones already there (the first match wins).
    pub fn add(&self, fault: Fault) {
        lock(&self.faults).push(fault);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        lock(&self.faults).clear();
    }

    /// How many faults fired, in all.
    pub fn fired(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    /// How many faults fired on `operation`.
    pub fn fired_on(&self, operation: &str) -> usize {
        lock(&self.fired)
            .get(&normalize(operation))
            .copied()
            .unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        lock(&self.faults).is_empty()
    }

    /// The fault to apply to one request of `operation`, if any fires.
    fn pick(&self, operation: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|fault| {
            fault.matches(operation)
                && match fault.trigger {
                    Trigger::Count(n) => n > 0,
                    Trigger::Rate(rate) => rand::random::<f64>() < rate,
                    Trigger::Always => true,
                }
        })?;
        let kind = faults[index].kind;
        if let Trigger::Count(n) = &mut faults[index].trigger {
            *n -= 1;
            if *n == 0 {
                faults.remove(index);
            }
        }
        drop(faults);
        self.total.fetch_add(1, Ordering::SeqCst);
        *lock(&self.fired).entry(normalize(operation)).or_default() += 1;
        Some(kind)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The AWS name of the operation a REST request is for; `None` for the query
/// protocol (`POST /`, whose action is in the body) and unknown routes.
pub fn rest_operation(method: &Method, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    Some(match (method.as_str(), segments.as_slice()) {
        ("PUT", ["code-interpreters"]) => "CreateCodeInterpreter",
        ("POST", ["code-interpreters"]) => "ListCodeInterpreters",
        ("GET", ["code-interpreters", _]) => "GetCodeInterpreter",
        ("DELETE", ["code-interpreters", _]) => "DeleteCodeInterpreter",
        ("PUT", ["code-interpreters", _, "sessions", "start"]) => "StartCodeInterpreterSession",
        ("PUT", ["code-interpreters", _, "sessions", "stop"]) => "StopCodeInterpreterSession",
        ("GET", ["code-interpreters", _, "sessions", "get"]) => "GetCodeInterpreterSession",
        ("POST", ["code-interpreters", _, "sessions", "list"]) => "ListCodeInterpreterSessions",
        ("POST", ["code-interpreters", _, "tools", "invoke"]) => "InvokeCodeInterpreter",
        ("POST", ["model", _, "converse"]) => "Converse",
        ("POST", ["model", _, "converse-stream"]) => "ConverseStream",
        ("POST", ["model", _, "invoke"]) => "InvokeModel",
        ("POST", ["model", _, "invoke-with-response-stream"]) => "InvokeModelWithResponseStream",
        ("POST", ["v1", "messages"]) => "CreateMessage",
        _ => return None,
    })
}

/// Which error shape a route speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    RestJson,
    Query,
    Anthropic,
}

/// Middleware: applies the first fault that fires for the request's operation.
pub async fn inject(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if state.faults.is_empty() {
        return next.run(request).await;
    }
    let (operation, protocol, request) =
        match rest_operation(request.method(), request.uri().path()) {
            Some(op) => {
                let protocol = if op == "CreateMessage" {
                    Protocol::Anthropic
                } else {
                    Protocol::RestJson
                };
                (op.to_owned(), protocol, request)
            }
            None if request.method() == Method::POST && request.uri().path() == "/" => {
                // IAM and STS: the action is a form field of the (small) body.
                let (parts, body) = request.into_parts();
                let Ok(bytes) = axum::body::to_bytes(body, crate::auth::MAX_BODY_BYTES).await
                else {
                    return AwsError::validation("the request body could not be read")
                        .into_response();
                };
                let action = url_form_action(&bytes).unwrap_or_default();
                (
                    action,
                    Protocol::Query,
                    Request::from_parts(parts, Body::from(bytes)),
                )
            }
            None => return next.run(request).await,
        };
    let Some(kind) = state.faults.pick(&operation) else {
        return next.run(request).await;
    };
    tracing::info!(operation, ?kind, "injecting a fault");
    let injected = "(injected by the emulator's fault injection)";
    match kind {
        FaultKind::Throttle => error(
            protocol,
            StatusCode::TOO_MANY_REQUESTS,
            ["ThrottlingException", "Throttling", "rate_limit_error"],
            &format!("Rate exceeded for {operation} {injected}"),
        ),
        FaultKind::Internal => error(
            protocol,
            StatusCode::INTERNAL_SERVER_ERROR,
            ["InternalServerException", "ServiceFailure", "api_error"],
            &format!("Internal server error in {operation} {injected}"),
        ),
        FaultKind::Unavailable => error(
            protocol,
            StatusCode::SERVICE_UNAVAILABLE,
            [
                "ServiceUnavailableException",
                "ServiceUnavailable",
                "overloaded_error",
            ],
            &format!("{operation} is temporarily unavailable {injected}"),
        ),
        FaultKind::Delay(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        FaultKind::Expire => {
            if let Some(id) = session_id_of(&request) {
                if let Some(session) = state.sessions.get(&id).await {
                    session.terminate("expired by an injected fault").await;
                }
            } else {
                tracing::warn!(
                    operation,
                    "an expire fault needs a request that names a session"
                );
            }
            next.run(request).await
        }
        FaultKind::MidStream => break_stream(next.run(request).await),
        FaultKind::Malformed | FaultKind::MissingCode | FaultKind::WrongType => {
            corrupt_model_reply(next.run(request).await, kind).await
        }
    }
}

fn url_form_action(body: &[u8]) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let value = pair.strip_prefix(b"Action=")?;
        Some(String::from_utf8_lossy(value).into_owned())
    })
}

/// `codes`: the error code for REST-JSON, the query protocol and the Anthropic API.
fn error(protocol: Protocol, status: StatusCode, codes: [&str; 3], message: &str) -> Response {
    match protocol {
        Protocol::RestJson => AwsError::new(status, codes[0], message).into_response(),
        Protocol::Query => QueryError::new(status, codes[1], message).into_response(),
        Protocol::Anthropic => {
            let kind = match codes[2] {
                "rate_limit_error" => "rate_limit_error",
                "overloaded_error" => "overloaded_error",
                _ => "api_error",
            };
            AnthropicError::new(status, kind, message).into_response()
        }
    }
}

fn session_id_of(request: &Request) -> Option<String> {
    if let Some(id) = request
        .headers()
        .get(crate::agentcore::invoke::SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return Some(id.to_owned());
    }
    request.uri().query().and_then(|query| {
        query.split('&').find_map(|pair| {
            let value = pair.strip_prefix("sessionId=")?;
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .ok()
                .map(|v| v.into_owned())
        })
    })
}

fn content_type(response: &Response) -> &str {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Lets the first event of a stream through, then sends an exception and ends it.
fn break_stream(response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let failure: Bytes = if content_type(&response).starts_with(crate::eventstream::CONTENT_TYPE) {
        AwsError::internal("The stream broke off (injected by the emulator's fault injection)")
            .exception_frame()
    } else if content_type(&response).starts_with("text/event-stream") {
        let body = json!({"type": "error", "error": {"type": "overloaded_error",
            "message": "The stream broke off (injected by the emulator's fault injection)"}});
        Bytes::from(format!("event: error\ndata: {body}\n\n"))
    } else {
        tracing::warn!("a midstream fault hit a response that is not a stream; left as it is");
        return response;
    };
    let (parts, body) = response.into_parts();
    let first = body.into_data_stream().take(1);
    let broken = first.chain(futures::stream::once(async move {
        Ok::<Bytes, axum::Error>(failure)
    }));
    Response::from_parts(parts, Body::from_stream(broken))
}

/// Rewrites a successful JSON model reply (Converse, InvokeModel, Anthropic).
async fn corrupt_model_reply(response: Response, kind: FaultKind) -> Response {
    if !response.status().is_success() || !content_type(&response).starts_with("application/json") {
        tracing::warn!(
            ?kind,
            "a model-reply fault hit a response that is not a JSON reply; left as it is"
        );
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return AwsError::internal("the reply could not be buffered").into_response();
    };
    let new_body = match kind {
        FaultKind::Malformed => {
            // Cut the document in half: no JSON parser accepts it.
            let cut = bytes.len() / 2;
            let mut broken = bytes[..cut].to_vec();
            broken.extend_from_slice(b"<<not json");
            broken
        }
        _ => match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut reply) => {
                let input = if kind == FaultKind::MissingCode {
                    json!({"source": "print('the code member is missing')"})
                } else {
                    json!({"code": 42})
                };
                rewrite_tool_inputs(&mut reply, &input);
                serde_json::to_vec(&reply).unwrap_or_else(|_| bytes.to_vec())
            }
            Err(_) => bytes.to_vec(),
        },
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Ok(len) = HeaderValue::from_str(&new_body.len().to_string()) {
        parts.headers.insert(header::CONTENT_LENGTH, len);
    }
    Response::from_parts(parts, Body::from(new_body))
}

/// Replaces the input of every tool call in a Converse (`toolUse`) or Anthropic
/// (`tool_use`) reply.
fn rewrite_tool_inputs(reply: &mut Value, input: &Value) {
    let converse = reply
        .pointer_mut("/output/message/content")
        .and_then(Value::as_array_mut);
    if let Some(blocks) = converse {
        for block in blocks {
            if let Some(tool_use) = block.get_mut("toolUse") {
                tool_use["input"] = input.clone();
            }
        }
        return;
    }
    if let Some(blocks) = reply.get_mut("content").and_then(Value::as_array_mut) {
        for block in blocks {
            if block.get("type").and_then(Value::as_str) == Some("tool_use") {
                block["input"] = input.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let fault = Fault::parse("converse:throttle:2").unwrap();
        assert_eq!(fault.kind, FaultKind::Throttle);
        assert_eq!(fault.trigger, Trigger::Count(2));
        assert!(fault.matches("Converse"));
        assert!(!fault.matches("ConverseStream"));
        let fault = Fault::parse("invoke-code-interpreter:delay=250ms:always").unwrap();
        assert_eq!(fault.kind, FaultKind::Delay(Duration::from_millis(250)));
        assert_eq!(fault.trigger, Trigger::Always);
        assert!(fault.matches("InvokeCodeInterpreter"));
        assert_eq!(
            Fault::parse("*:503:25%").unwrap().trigger,
            Trigger::Rate(0.25)
        );
        assert_eq!(
            Fault::parse("InvokeModel:malformed").unwrap().trigger,
            Trigger::Count(1)
        );
        for bad in [
            "",
            "converse",
            "converse:boom",
            "converse:throttle:x",
            "a:delay=3:1",
            "a:500:1:2",
        ] {
            let err = Fault::parse(bad).unwrap_err().to_string();
            assert!(err.contains("OPERATION:KIND"), "{err}");
        }
    }

    #[test]
    fn counts_run_out_and_the_first_match_wins() {
        let plan = FaultPlan::new([
            Fault::new("Converse", FaultKind::Throttle).times(2),
            Fault::new("*", FaultKind::Internal).always(),
        ]);
        assert_eq!(plan.pick("Converse"), Some(FaultKind::Throttle));
        assert_eq!(plan.pick("converse"), Some(FaultKind::Throttle));
        assert_eq!(plan.pick("Converse"), Some(FaultKind::Internal));
        assert_eq!(plan.pick("GetRole"), Some(FaultKind::Internal));
        assert_eq!(plan.fired(), 4);
        assert_eq!(plan.fired_on("Converse"), 3);
        plan.clear();
        assert_eq!(plan.pick("Converse"), None);
        let never = FaultPlan::new([Fault::new("Converse", FaultKind::Throttle).rate(0.0)]);
        assert_eq!(never.pick("Converse"), None);
    }

    #[test]
    fn names_operations_like_aws() {
        let op = |m: Method, p: &str| rest_operation(&m, p);
        assert_eq!(op(Method::POST, "/model/x/converse"), Some("Converse"));
        assert_eq!(
            op(
                Method::POST,
                "/code-interpreters/aws.codeinterpreter.v1/tools/invoke"
            ),
            Some("InvokeCodeInterpreter")
        );
        assert_eq!(
            op(Method::PUT, "/code-interpreters/x/sessions/start"),
            Some("StartCodeInterpreterSession")
        );
        assert_eq!(op(Method::POST, "/"), None);
        assert_eq!(
            url_form_action(b"Version=1&Action=GetRole&RoleName=r"),
            Some("GetRole".into())
        );
    }

    #[test]
    fn tool_inputs_are_rewritten_in_both_formats() {
        let mut converse = json!({"output": {"message": {"content": [
            {"text": "hi"}, {"toolUse": {"toolUseId": "t", "name": "execute_python", "input": {"code": "1"}}}]}}});
        rewrite_tool_inputs(&mut converse, &json!({"code": 42}));
        assert_eq!(
            converse["output"]["message"]["content"][1]["toolUse"]["input"]["code"],
            42
        );
        let mut anthropic = json!({"content": [{"type": "tool_use", "id": "t", "name": "n", "input": {"code": "1"}}]});
        rewrite_tool_inputs(&mut anthropic, &json!({}));
        assert_eq!(anthropic["content"][0]["input"], json!({}));
    }
}
