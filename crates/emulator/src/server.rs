//! The HTTP router: one route per operation, behind the Host and credential checks.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use crate::agentcore::{control, invoke, sessions};
use crate::auth::{self, MAX_BODY_BYTES};
use crate::bedrock;
use crate::error::AwsError;
use crate::state::AppState;

/// Builds the emulator's router over shared state.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        // AgentCore control plane.
        .route("/code-interpreters", put(control::create).post(control::list))
        .route("/code-interpreters/{id}", get(control::get).delete(control::delete))
        // AgentCore data plane.
        .route("/code-interpreters/{id}/sessions/start", put(sessions::start))
        .route("/code-interpreters/{id}/sessions/stop", put(sessions::stop))
        .route("/code-interpreters/{id}/sessions/get", get(sessions::get))
        .route("/code-interpreters/{id}/sessions/list", post(sessions::list))
        .route("/code-interpreters/{id}/tools/invoke", post(invoke::invoke))
        // Bedrock Runtime.
        .route("/model/{model_id}/converse", post(bedrock::converse))
        .route("/model/{model_id}/converse-stream", post(bedrock::converse_stream))
        .route("/model/{model_id}/invoke", post(bedrock::invoke_model))
        .route("/model/{model_id}/count-tokens", post(bedrock::count_tokens))
        .route(
            "/model/{model_id}/invoke-with-response-stream",
            post(bedrock::invoke_model_with_response_stream),
        )
        // IAM and STS (query protocol).
        .route("/", post(crate::iam::dispatch))
        .fallback(unknown_operation)
        // Innermost: a request that breaks the service's model never reaches a handler.
        .layer(middleware::from_fn(crate::validate::check_request))
        // Inside the auth layer: a request that fails the checks never meets a fault.
        .layer(middleware::from_fn_with_state(Arc::clone(&state), crate::faults::inject))
        // Record mode may send the AgentCore data plane upstream (after the auth check).
        .layer(middleware::from_fn_with_state(Arc::clone(&state), crate::record::agentcore_proxy))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), auth::authenticate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn unknown_operation(method: Method, uri: Uri) -> Response {
    AwsError::new(
        axum::http::StatusCode::NOT_FOUND,
        "UnknownOperationException",
        format!(
            "The emulator has no operation at {method} {}; docs/FIDELITY.md in the project lists the operations it serves",
            uri.path()
        ),
    )
    .into_response()
}
