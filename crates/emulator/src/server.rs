//! The HTTP router: the operations of [`crate::operations`], behind the Host and
//! credential checks, fault injection and validation.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};

use crate::auth::{self, MAX_BODY_BYTES};
use crate::error::AwsError;
use crate::operations::OPERATIONS;
use crate::state::AppState;

/// Builds the emulator's router over shared state.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new();
    for operation in OPERATIONS {
        router = router.route(operation.path, (operation.route)());
    }
    router
        .fallback(unknown_operation)
        // Innermost: a request that breaks the service's model never reaches a handler.
        .layer(middleware::from_fn(crate::validate::check_request))
        // Inside the auth layer: a request that fails the checks never meets a fault.
        .layer(middleware::from_fn_with_state(Arc::clone(&state), crate::faults::apply::inject))
        // Record mode may send the AgentCore data plane upstream (after the auth check).
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            crate::record::ops::agentcore_proxy,
        ))
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
