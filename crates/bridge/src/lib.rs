//! The bridge: the Anthropic Messages API, code execution tool included, served
//! from Amazon Bedrock (InvokeModel) and AgentCore Code Interpreter, so that code
//! written against the Anthropic SDK runs unchanged with `ANTHROPIC_BASE_URL`
//! pointing here.
//!
//! The model on Bedrock has no server tools. For a request with the code execution
//! tool the bridge declares client tools of the same names to the model, runs the
//! loop itself (model → tool in the container's AgentCore session → model) until the
//! model answers, and returns what the Anthropic API returns: `server_tool_use`
//! blocks with their `*_tool_result` blocks, usage summed over the loop, and the
//! `container` to continue in. The client's own tools pass through as `tool_use`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let bridge = bridge::Bridge::new(&aws, bridge::BridgeConfig::with_keys(["sk-my-key"]));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, bridge.router()).await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod agentcore;
mod api;
mod bedrock;
pub mod code_execution;
mod error;
pub mod files;
mod models;
pub mod skills;
mod timing;
pub mod turn;

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use agentcore::Container;
pub use api::messages::TOOL_CALLS_FROM_CODE;
pub use error::ApiError;
pub use models::ModelMap;

/// How a bridge serves.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// Keys clients must send (`x-api-key` or `Authorization: Bearer`).
    pub api_keys: Vec<String>,
    /// Anthropic model names and the Bedrock ids that serve them.
    pub models: ModelMap,
    /// The code interpreter whose sessions are the containers.
    pub interpreter_id: String,
    /// Lifetime of a container (its session's timeout), in seconds.
    pub container_seconds: i32,
    /// Model calls of one request before it answers `pause_turn`.
    pub max_steps: usize,
    /// Time one request may take before it answers `pause_turn`: no model call
    /// starts after it has passed.
    pub turn_budget: std::time::Duration,
    /// How long code may wait for the result of a tool call it made (programmatic
    /// tool calling) before the call fails.
    pub tool_wait: std::time::Duration,
    /// Where files (uploads, and files the code writes) and skills are kept: a local
    /// directory for one process, S3 for a fleet.
    pub store: Arc<dyn files::ObjectStore>,
    /// How often a stream gets a `ping` while a tool runs (so that a load balancer's
    /// idle timeout, 60 s on an ALB, never cuts a long turn).
    pub ping_interval: std::time::Duration,
}

impl BridgeConfig {
    /// The defaults, with these keys: the system interpreter, one-hour containers,
    /// ten model calls or ten minutes per request, files in `anthropic-bridge-files` under the
    /// system's temporary directory.
    pub fn with_keys(keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            api_keys: keys.into_iter().map(Into::into).collect(),
            models: ModelMap::default(),
            interpreter_id: agentcore_session::SYSTEM_INTERPRETER_ID.to_owned(),
            container_seconds: 3600,
            max_steps: 10,
            turn_budget: std::time::Duration::from_secs(600),
            tool_wait: std::time::Duration::from_secs(270),
            store: Arc::new(files::LocalDir::new(
                std::env::temp_dir().join("anthropic-bridge-files"),
            )),
            ping_interval: std::time::Duration::from_secs(5),
        }
    }
}

/// 24 random letters and digits, for ids.
pub(crate) fn random_suffix() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng().sample_iter(&Alphanumeric).take(24).map(char::from).collect()
}

/// A bridge: its configuration and its AWS clients. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Bridge {
    config: BridgeConfig,
    files: files::Files,
    skills: skills::Skills,
    bedrock: bedrock::Bedrock,
    sessions: agentcore::Sessions,
    /// The containers this process started, for [`Bridge::stop_containers`].
    started: Mutex<Vec<Container>>,
}

impl Bridge {
    /// A bridge calling Bedrock and AgentCore with `aws` (region, credentials,
    /// endpoints).
    pub fn new(aws: &aws_config::SdkConfig, config: BridgeConfig) -> Arc<Self> {
        // Code may run for the whole turn before its call answers.
        let read = config.turn_budget.max(agentcore_session::policy::DEFAULT_READ_TIMEOUT);
        let sessions = agentcore::Sessions::new(
            agentcore_session::policy::client(aws, read),
            config.interpreter_id.clone(),
            config.container_seconds,
        );
        let bedrock = bedrock::Bedrock::new(aws_sdk_bedrockruntime::Client::new(aws));
        let files = files::Files::new(Arc::clone(&config.store));
        let skills = skills::Skills::new(Arc::clone(&config.store));
        let started = Mutex::new(Vec::new());
        Arc::new(Self { bedrock, sessions, files, skills, config, started })
    }

    async fn start_container(&self) -> Result<Container, ApiError> {
        let container = self.sessions.start().await?;
        self.started.lock().unwrap_or_else(PoisonError::into_inner).push(container.clone());
        Ok(container)
    }

    /// Stops every container this process started (a graceful shutdown); returns
    /// how many were stopped. Sessions already gone count as stopped.
    pub async fn stop_containers(&self) -> usize {
        let started =
            std::mem::take(&mut *self.started.lock().unwrap_or_else(PoisonError::into_inner));
        let mut stopped = 0;
        for container in &started {
            match self.sessions.stop(container).await {
                Ok(()) => stopped += 1,
                Err(err) => {
                    tracing::warn!(container = container.id(), %err, "could not stop a container")
                }
            }
        }
        stopped
    }

    /// The routes, to serve alone or to nest in another axum service:
    /// `POST /v1/messages`, `POST /v1/messages/count_tokens`, `GET /v1/models`, the
    /// Files API (`/v1/files`) and the Skills API (`/v1/skills`). Bodies may be as large as the API allows: 32 MB
    /// for a Messages request, 500 MB for an upload. Every response carries a
    /// `request-id` and a `Server-Timing` header (time spent on Bedrock and
    /// AgentCore, `upstream`, and the bridge's own, `bridge`, in milliseconds).
    /// `GET /health` answers `ok` without a key, for load balancers.
    pub fn router(self: &Arc<Self>) -> Router {
        let state = Arc::clone(self);
        Router::new()
            .route("/v1/messages", post(api::messages::create))
            .route("/v1/messages/count_tokens", post(api::count_tokens::count_tokens))
            .route("/v1/models", get(api::models::list))
            .layer(DefaultBodyLimit::max(32 << 20))
            .route(
                "/v1/files",
                post(api::files::upload)
                    .get(api::files::list)
                    .layer(DefaultBodyLimit::max(500 << 20)),
            )
            .route("/v1/files/{id}", get(api::files::metadata).delete(api::files::delete))
            .route("/v1/files/{id}/content", get(api::files::content))
            .route(
                "/v1/skills",
                post(api::skills::create)
                    .get(api::skills::list)
                    .layer(DefaultBodyLimit::max(31 << 20)),
            )
            .route("/v1/skills/{id}", get(api::skills::get).delete(api::skills::delete))
            .route(
                "/v1/skills/{id}/versions",
                post(api::skills::create_version)
                    .get(api::skills::list_versions)
                    .layer(DefaultBodyLimit::max(31 << 20)),
            )
            .route(
                "/v1/skills/{id}/versions/{version}",
                get(api::skills::get_version).delete(api::skills::delete_version),
            )
            .route_layer(axum::middleware::from_fn_with_state(
                Arc::clone(&state),
                api::authenticate,
            ))
            // For load balancers' health checks: no key, no upstream call.
            .route("/health", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(timing::server_timing))
            .layer(axum::middleware::from_fn(api::request_id))
            .with_state(state)
    }
}
