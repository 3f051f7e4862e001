//! Containers are AgentCore Code Interpreter sessions, driven through the project's
//! session client ([`agentcore_session`]). A container id carries the interpreter
//! and session ids themselves, so any replica of the bridge can serve any request:
//! there is no state to share between replicas.

use agentcore_session::{ExecutionResult, Session, SessionConfig};
use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::types::{ToolArguments, ToolName};
use aws_smithy_types::date_time::Format;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;
use crate::timing::Upstream;

const PREFIX: &str = "container_";

/// One session of a code interpreter, named by a container id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The code interpreter.
    pub interpreter_id: String,
    /// The session on it.
    pub session_id: String,
}

impl Container {
    /// The container id the API returns: both ids, encoded.
    pub fn id(&self) -> String {
        let raw = format!("{}\n{}", self.interpreter_id, self.session_id);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
    }

    /// The container an id names, if it is one of ours.
    pub fn from_id(id: &str) -> Option<Self> {
        let raw = URL_SAFE_NO_PAD.decode(id.strip_prefix(PREFIX)?).ok()?;
        let (interpreter_id, session_id) = std::str::from_utf8(&raw).ok()?.split_once('\n')?;
        Some(Self { interpreter_id: interpreter_id.to_owned(), session_id: session_id.to_owned() })
    }
}

/// The AgentCore calls the bridge makes.
#[derive(Debug, Clone)]
pub struct Sessions {
    client: Client,
    interpreter_id: String,
    timeout_seconds: i32,
}

/// An AgentCore failure, its whole chain of causes in the message and kept as source.
fn unavailable(err: agentcore_session::Error) -> ApiError {
    let chain = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
    ApiError::api(format!("AgentCore: {chain}")).caused_by(err)
}

/// The API's error for a container id it does not know, or one past its lifetime.
pub fn gone(id: &str) -> ApiError {
    ApiError::invalid_request(format!(
        "container: '{id}' was not found or has expired; omit `container` to get a new one"
    ))
}

impl Sessions {
    /// Sessions on `interpreter_id`, each living `timeout_seconds` at most. The
    /// client is expected to come from [`agentcore_session::policy::client`], so
    /// that no call that may have run code is retried.
    pub fn new(client: Client, interpreter_id: impl Into<String>, timeout_seconds: i32) -> Self {
        Self { client, interpreter_id: interpreter_id.into(), timeout_seconds }
    }

    fn session(&self, container: &Container) -> Session {
        Session::attach(&self.client, &container.interpreter_id, &container.session_id)
    }

    /// Starts a session: a new container.
    pub async fn start(&self) -> Result<Container, ApiError> {
        let config = SessionConfig {
            interpreter_id: self.interpreter_id.clone(),
            name: Some("anthropic-bridge".to_owned()),
            timeout_secs: self.timeout_seconds,
        };
        let session = Session::start(&self.client, config).upstream().await.map_err(unavailable)?;
        Ok(Container {
            interpreter_id: session.interpreter_id().to_owned(),
            session_id: session.id().to_owned(),
        })
    }

    /// When `container` expires (RFC 3339), or the API's error when it is unknown,
    /// stopped or past its lifetime.
    pub async fn expires_at(&self, container: &Container) -> Result<String, ApiError> {
        let info = self
            .session(container)
            .info()
            .upstream()
            .await
            .map_err(|err| gone(&container.id()).caused_by(err))?;
        if !info.ready {
            return Err(gone(&container.id()));
        }
        let timeout = i64::from(info.timeout_secs.unwrap_or(self.timeout_seconds));
        let expires = aws_smithy_types::DateTime::from_secs(info.created_at_secs + timeout);
        expires.fmt(Format::DateTime).map_err(|err| {
            ApiError::api(format!("the container's expiry could not be written: {err}"))
                .caused_by(err)
        })
    }

    /// Stops `container`'s session.
    pub async fn stop(&self, container: &Container) -> Result<(), ApiError> {
        self.session(container).stop().upstream().await.map_err(unavailable)
    }

    /// Runs one tool of the code interpreter and collects its event stream. Where
    /// the service sends no structured part, `stdout` is the result's text.
    pub async fn invoke(
        &self, container: &Container, name: ToolName, arguments: ToolArguments,
    ) -> Result<ExecutionResult, ApiError> {
        let session = self.session(container);
        let mut result = session.invoke(name, arguments).upstream().await.map_err(|err| {
            if err.is_session_expired() {
                gone(&container.id()).caused_by(err)
            } else {
                unavailable(err)
            }
        })?;
        if result.stdout.is_empty() && result.stderr.is_empty() && result.exit_code.is_none() {
            result.stdout = result.text.clone();
        }
        Ok(result)
    }
}
