//! Containers are AgentCore Code Interpreter sessions. A container id carries the
//! interpreter and session ids themselves, so any replica of the bridge can serve
//! any request: there is no state to share between replicas.

use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterSessionStatus, CodeInterpreterStreamOutput, ContentBlockType, ToolArguments,
    ToolName,
};
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

/// What one `InvokeCodeInterpreter` call produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output (or the text content when there is no structured part).
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code, when the tool reports one.
    pub exit_code: Option<i32>,
    /// Whether the service flagged the result as an error.
    pub is_error: bool,
    /// The bytes of each file a `readFiles` returned (its text, or its blob).
    pub files: Vec<Vec<u8>>,
    /// What a `listFiles` returned.
    pub listing: Vec<Listed>,
}

/// One entry of a `listFiles` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name in the listed directory.
    pub name: String,
    /// Its size, when the service reports one.
    pub size: Option<i64>,
    /// A directory rather than a file.
    pub is_dir: bool,
}

/// The AgentCore calls the bridge makes.
#[derive(Debug, Clone)]
pub struct Sessions {
    client: Client,
    interpreter_id: String,
    timeout_seconds: i32,
}

/// An AgentCore failure, its whole chain of causes in the message and kept as source.
fn unavailable(operation: &str, err: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    let chain = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
    ApiError::api(format!("AgentCore {operation} failed: {chain}")).caused_by(err)
}

/// The API's error for a container id it does not know, or one past its lifetime.
pub fn gone(id: &str) -> ApiError {
    ApiError::invalid_request(format!(
        "container: '{id}' was not found or has expired; omit `container` to get a new one"
    ))
}

impl Sessions {
    /// Sessions on `interpreter_id`, each living `timeout_seconds` at most.
    pub fn new(client: Client, interpreter_id: impl Into<String>, timeout_seconds: i32) -> Self {
        Self { client, interpreter_id: interpreter_id.into(), timeout_seconds }
    }

    /// Starts a session: a new container.
    pub async fn start(&self) -> Result<Container, ApiError> {
        let started = self
            .client
            .start_code_interpreter_session()
            .code_interpreter_identifier(&self.interpreter_id)
            .name("anthropic-bridge")
            .session_timeout_seconds(self.timeout_seconds)
            .send()
            .upstream()
            .await
            .map_err(|err| unavailable("StartCodeInterpreterSession", err))?;
        Ok(Container {
            interpreter_id: self.interpreter_id.clone(),
            session_id: started.session_id().to_owned(),
        })
    }

    /// When `container` expires (RFC 3339), or the API's error when it is unknown,
    /// stopped or past its lifetime.
    pub async fn expires_at(&self, container: &Container) -> Result<String, ApiError> {
        let session = self
            .client
            .get_code_interpreter_session()
            .code_interpreter_identifier(&container.interpreter_id)
            .session_id(&container.session_id)
            .send()
            .upstream()
            .await
            .map_err(|err| gone(&container.id()).caused_by(err))?;
        if session.status() != Some(&CodeInterpreterSessionStatus::Ready) {
            return Err(gone(&container.id()));
        }
        let timeout = i64::from(session.session_timeout_seconds().unwrap_or(self.timeout_seconds));
        let expires = aws_smithy_types::DateTime::from_secs(session.created_at().secs() + timeout);
        expires.fmt(Format::DateTime).map_err(|err| unavailable("GetCodeInterpreterSession", err))
    }

    /// Stops `container`'s session.
    pub async fn stop(&self, container: &Container) -> Result<(), ApiError> {
        self.client
            .stop_code_interpreter_session()
            .code_interpreter_identifier(&container.interpreter_id)
            .session_id(&container.session_id)
            .send()
            .upstream()
            .await
            .map(|_| ())
            .map_err(|err| unavailable("StopCodeInterpreterSession", err))
    }

    /// Runs one tool of the code interpreter and collects its event stream.
    pub async fn invoke(
        &self, container: &Container, name: ToolName, arguments: ToolArguments,
    ) -> Result<Output, ApiError> {
        let mut response = self
            .client
            .invoke_code_interpreter()
            .code_interpreter_identifier(&container.interpreter_id)
            .session_id(&container.session_id)
            .name(name)
            .arguments(arguments)
            .send()
            .upstream()
            .await
            .map_err(|err| unavailable("InvokeCodeInterpreter", err))?;
        let mut output = Output::default();
        let mut texts = Vec::new();
        while let Some(event) = response
            .stream
            .recv()
            .upstream()
            .await
            .map_err(|err| unavailable("InvokeCodeInterpreter", err))?
        {
            let CodeInterpreterStreamOutput::Result(result) = event else { continue };
            output.is_error |= result.is_error() == Some(true);
            if let Some(structured) = result.structured_content() {
                output.stdout.push_str(structured.stdout().unwrap_or_default());
                output.stderr.push_str(structured.stderr().unwrap_or_default());
                output.exit_code = structured.exit_code().or(output.exit_code);
            }
            for block in result.content() {
                match block.r#type() {
                    ContentBlockType::Text => texts.extend(block.text().map(str::to_owned)),
                    ContentBlockType::EmbeddedResource => {
                        let resource = block.resource();
                        let bytes = match resource.and_then(|r| r.blob()) {
                            Some(blob) => blob.as_ref().to_vec(),
                            None => resource.and_then(|r| r.text()).unwrap_or_default().into(),
                        };
                        output.files.push(bytes);
                    }
                    ContentBlockType::ResourceLink => output.listing.push(Listed {
                        name: block.name().unwrap_or_default().to_owned(),
                        size: block.size(),
                        is_dir: block.description() == Some("Directory"),
                    }),
                    _ => {}
                }
            }
        }
        if output.stdout.is_empty() && output.stderr.is_empty() && output.exit_code.is_none() {
            output.stdout = texts.join("\n");
        }
        Ok(output)
    }
}
