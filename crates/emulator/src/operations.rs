//! The emulator's operations, in one table. The router mounts each on its method
//! and path; fault injection and validation look a request's operation up here,
//! by the name AWS gives it (the name `--fault` takes and the service models use).

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::agentcore::{control, invoke, sessions};
use crate::state::AppState;

/// How an operation's requests and errors are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// REST with JSON bodies (AgentCore, Bedrock Runtime): the operation is its
    /// method and path; errors are `{"message"}` with `x-amzn-errortype`.
    RestJson,
    /// The query protocol (IAM, STS): `POST /` with the action in the form body;
    /// errors are XML.
    Query,
}

/// One operation.
pub struct Operation {
    /// AWS's name: `InvokeCodeInterpreter`, `Converse`, ...; for the query
    /// protocol's one route, the services it serves.
    pub name: &'static str,
    /// Its HTTP method.
    pub method: Method,
    /// Its path, with `{label}` segments, as the router takes it.
    pub path: &'static str,
    /// How it is written.
    pub protocol: Protocol,
    /// Its handler, mounted on the method.
    pub route: fn() -> MethodRouter<Arc<AppState>>,
}

macro_rules! rest {
    ($name:literal, $method:ident, $path:literal, $handler:path) => {
        Operation {
            name: $name,
            method: Method::$method,
            path: $path,
            protocol: Protocol::RestJson,
            route: || on(MethodFilter::$method, $handler),
        }
    };
}

/// Every operation the emulator serves.
pub static OPERATIONS: &[Operation] = &[
    // AgentCore control plane.
    rest!("CreateCodeInterpreter", PUT, "/code-interpreters", control::create),
    rest!("ListCodeInterpreters", POST, "/code-interpreters", control::list),
    rest!("GetCodeInterpreter", GET, "/code-interpreters/{id}", control::get),
    rest!("DeleteCodeInterpreter", DELETE, "/code-interpreters/{id}", control::delete),
    // AgentCore data plane.
    rest!(
        "StartCodeInterpreterSession",
        PUT,
        "/code-interpreters/{id}/sessions/start",
        sessions::start
    ),
    rest!(
        "StopCodeInterpreterSession",
        PUT,
        "/code-interpreters/{id}/sessions/stop",
        sessions::stop
    ),
    rest!("GetCodeInterpreterSession", GET, "/code-interpreters/{id}/sessions/get", sessions::get),
    rest!(
        "ListCodeInterpreterSessions",
        POST,
        "/code-interpreters/{id}/sessions/list",
        sessions::list
    ),
    rest!("InvokeCodeInterpreter", POST, "/code-interpreters/{id}/tools/invoke", invoke::invoke),
    // Bedrock Runtime.
    rest!("Converse", POST, "/model/{model_id}/converse", crate::bedrock::converse::converse),
    rest!(
        "ConverseStream",
        POST,
        "/model/{model_id}/converse-stream",
        crate::bedrock::converse::converse_stream
    ),
    rest!("InvokeModel", POST, "/model/{model_id}/invoke", crate::bedrock::invoke::invoke_model),
    rest!(
        "InvokeModelWithResponseStream",
        POST,
        "/model/{model_id}/invoke-with-response-stream",
        crate::bedrock::invoke::invoke_model_with_response_stream
    ),
    rest!(
        "CountTokens",
        POST,
        "/model/{model_id}/count-tokens",
        crate::bedrock::count_tokens::count_tokens
    ),
    // IAM and STS.
    Operation {
        name: "IAM and STS",
        method: Method::POST,
        path: "/",
        protocol: Protocol::Query,
        route: || on(MethodFilter::POST, crate::iam::dispatch),
    },
];

/// The operation a request's method and path name, if any.
pub fn operation_of(method: &Method, path: &str) -> Option<&'static Operation> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    OPERATIONS.iter().find(|op| {
        let pattern: Vec<&str> = op.path.trim_matches('/').split('/').collect();
        op.method == *method
            && pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(want, got)| (want.starts_with('{') && !got.is_empty()) || want == got)
    })
}

/// The AWS name of the REST-JSON operation a request is for; `None` for the query
/// protocol (whose action is in the body) and for paths nothing serves.
pub fn rest_operation(method: &Method, path: &str) -> Option<&'static str> {
    operation_of(method, path).filter(|op| op.protocol == Protocol::RestJson).map(|op| op.name)
}
