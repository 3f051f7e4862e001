//! An AgentCore Code Interpreter session: start it, run code and commands, move
//! files, stop it.
//!
//! `stop(self)` is the cleanup and consumes the session. [`with_session`] wraps a
//! body so that the stop is always awaited (on success, error, panic and Ctrl-C).
//! Dropping a session that was not stopped only warns and spawns a best-effort stop.

mod result;
mod scope;

use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::primitives::Blob;
use aws_sdk_bedrockagentcore::types::{
    InputContentBlock, ProgrammingLanguage, ToolArguments, ToolName,
};

use crate::error::Error;

pub use result::{ExecutionResult, FileLink, FileResource};
pub(crate) use scope::ctrl_c;
pub use scope::with_session;

/// How to start a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// The code interpreter (default: the system one, `aws.codeinterpreter.v1`).
    pub interpreter_id: String,
    /// A name for the session, shown in the console and in listings.
    pub name: Option<String>,
    /// Time to live of the session in seconds (1 to 28,800, default 900): AgentCore
    /// ends it this long after the start, whether or not it is in use.
    pub timeout_secs: i32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            interpreter_id: crate::SYSTEM_INTERPRETER_ID.to_owned(),
            name: None,
            timeout_secs: 900,
        }
    }
}

impl SessionConfig {
    /// The defaults with a session name.
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: Some(name.into()), ..Self::default() }
    }
}

/// The languages `executeCode` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Language {
    /// Python (the state persists between calls in one session).
    #[default]
    Python,
    /// JavaScript.
    Javascript,
    /// TypeScript.
    Typescript,
}

impl Language {
    /// The wire name: `python`, `javascript` or `typescript`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::Javascript => "javascript",
            Self::Typescript => "typescript",
        }
    }
}

impl From<Language> for ProgrammingLanguage {
    fn from(language: Language) -> Self {
        match language {
            Language::Python => ProgrammingLanguage::Python,
            Language::Javascript => ProgrammingLanguage::Javascript,
            Language::Typescript => ProgrammingLanguage::Typescript,
        }
    }
}

/// A file to write into the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// A text file at a path relative to the session's working directory.
    Text {
        /// Where it goes.
        path: String,
        /// Its text.
        text: String,
    },
    /// A binary file.
    Bytes {
        /// Where it goes.
        path: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
}

/// A running code-interpreter session. Stop it with [`CodeInterpreterSession::stop`].
#[derive(Debug)]
pub struct CodeInterpreterSession {
    client: Client,
    interpreter_id: String,
    id: String,
    stopped: bool,
}

impl CodeInterpreterSession {
    /// Starts a session (`StartCodeInterpreterSession`).
    pub async fn start(client: &Client, config: SessionConfig) -> Result<Self, Error> {
        let started = client
            .start_code_interpreter_session()
            .code_interpreter_identifier(&config.interpreter_id)
            .set_name(config.name)
            .session_timeout_seconds(config.timeout_secs)
            .send()
            .await
            .map_err(|err| Error::sdk("StartCodeInterpreterSession", err))?;
        let id = started.session_id().to_owned();
        tracing::debug!(session_id = %id, interpreter = %config.interpreter_id, "session started");
        Ok(Self {
            client: client.clone(),
            interpreter_id: config.interpreter_id,
            id,
            stopped: false,
        })
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The code interpreter the session runs on.
    pub fn interpreter_id(&self) -> &str {
        &self.interpreter_id
    }

    /// Invokes any of the nine tools (`InvokeCodeInterpreter`) and collects the
    /// event stream.
    pub async fn invoke(
        &self, name: ToolName, arguments: ToolArguments,
    ) -> Result<ExecutionResult, Error> {
        tracing::debug!(session_id = %self.id, tool = name.as_str(), "invoking");
        let output = self
            .client
            .invoke_code_interpreter()
            .code_interpreter_identifier(&self.interpreter_id)
            .session_id(&self.id)
            .name(name)
            .arguments(arguments)
            .send()
            .await
            .map_err(|err| {
                let not_found =
                    err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception());
                if not_found {
                    // We started this session on this interpreter, so "not found"
                    // means it has ended under us.
                    Error::SessionExpired { session_id: self.id.clone(), source: err.into() }
                } else {
                    Error::sdk("InvokeCodeInterpreter", err)
                }
            })?;
        let read_timeout = self
            .client
            .config()
            .timeout_config()
            .and_then(|timeouts| timeouts.read_timeout())
            .unwrap_or(crate::config::DEFAULT_READ_TIMEOUT);
        ExecutionResult::from_stream_within(output, read_timeout, Some(&self.id)).await
    }

    /// Runs code (`executeCode`). A failing program is an `Ok` result with
    /// `is_error` set; `Err` means the call itself failed.
    pub async fn execute_code(
        &self, language: Language, code: &str,
    ) -> Result<ExecutionResult, Error> {
        let arguments = ToolArguments::builder().language(language.into()).code(code).build();
        self.invoke(ToolName::ExecuteCode, arguments).await
    }

    /// Runs Python code.
    pub async fn execute_python(&self, code: &str) -> Result<ExecutionResult, Error> {
        self.execute_code(Language::Python, code).await
    }

    /// Runs a shell command (`executeCommand`).
    pub async fn execute_command(&self, command: &str) -> Result<ExecutionResult, Error> {
        let arguments = ToolArguments::builder().command(command).build();
        self.invoke(ToolName::ExecuteCommand, arguments).await
    }

    /// Writes files (`writeFiles`).
    pub async fn write_files(
        &self, files: impl IntoIterator<Item = FileContent>,
    ) -> Result<ExecutionResult, Error> {
        let content = files
            .into_iter()
            .map(|file| {
                let block = match file {
                    FileContent::Text { path, text } => {
                        InputContentBlock::builder().path(path).text(text)
                    }
                    FileContent::Bytes { path, bytes } => {
                        InputContentBlock::builder().path(path).blob(Blob::new(bytes))
                    }
                };
                block.build().map_err(Error::build("a writeFiles content block"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let arguments = ToolArguments::builder().set_content(Some(content)).build();
        self.invoke(ToolName::WriteFiles, arguments).await
    }

    /// Reads files (`readFiles`); their content is in `files` of the result.
    pub async fn read_files(&self, paths: &[&str]) -> Result<ExecutionResult, Error> {
        let arguments = ToolArguments::builder()
            .set_paths(Some(paths.iter().map(|p| (*p).to_owned()).collect()))
            .build();
        self.invoke(ToolName::ReadFiles, arguments).await
    }

    /// Lists a directory (`listFiles`); the entries are in `links` of the result.
    pub async fn list_files(&self, directory: &str) -> Result<ExecutionResult, Error> {
        let arguments = ToolArguments::builder().directory_path(directory).build();
        self.invoke(ToolName::ListFiles, arguments).await
    }

    /// Removes files (`removeFiles`).
    pub async fn remove_files(&self, paths: &[&str]) -> Result<ExecutionResult, Error> {
        let arguments = ToolArguments::builder()
            .set_paths(Some(paths.iter().map(|p| (*p).to_owned()).collect()))
            .build();
        self.invoke(ToolName::RemoveFiles, arguments).await
    }

    /// Stops the session (`StopCodeInterpreterSession`).
    pub async fn stop(mut self) -> Result<(), Error> {
        // Whatever the outcome, Drop must not try again.
        self.stopped = true;
        stop_session(&self.client, &self.interpreter_id, &self.id).await?;
        tracing::debug!(session_id = %self.id, "session stopped");
        Ok(())
    }
}

async fn stop_session(client: &Client, interpreter_id: &str, id: &str) -> Result<(), Error> {
    client
        .stop_code_interpreter_session()
        .code_interpreter_identifier(interpreter_id)
        .session_id(id)
        .send()
        .await
        .map_err(|err| Error::sdk("StopCodeInterpreterSession", err))?;
    Ok(())
}

impl Drop for CodeInterpreterSession {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        tracing::warn!(
            session_id = %self.id,
            "code-interpreter session dropped without stop(); stopping it in the background"
        );
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(session_id = %self.id, "no Tokio runtime to stop the session; it ends at its timeout");
            return;
        };
        let client = self.client.clone();
        let interpreter_id = std::mem::take(&mut self.interpreter_id);
        let id = std::mem::take(&mut self.id);
        runtime.spawn(async move {
            if let Err(err) = stop_session(&client, &interpreter_id, &id).await {
                tracing::warn!(
                    session_id = %id,
                    error = %aws_smithy_types::error::display::DisplayErrorContext(&err),
                    "best-effort stop failed"
                );
            }
        });
    }
}
