//! A code-interpreter session: start it, invoke its tools, stop it.

use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::primitives::Blob;
use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterSessionStatus, InputContentBlock, ProgrammingLanguage, ToolArguments, ToolName,
};

use crate::error::Error;
use crate::result::ExecutionResult;

/// The system code interpreter every account has.
pub const SYSTEM_INTERPRETER_ID: &str = "aws.codeinterpreter.v1";

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
        Self { interpreter_id: SYSTEM_INTERPRETER_ID.to_owned(), name: None, timeout_secs: 900 }
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

/// A session on a code interpreter: the client and the two ids, nothing else. It
/// can be cloned, rebuilt from its ids by any process ([`Session::attach`]), and
/// stops nothing when dropped: whoever started it stops it ([`Session::stop`]) or
/// leaves it to its timeout.
#[derive(Debug, Clone)]
pub struct Session {
    client: Client,
    interpreter_id: String,
    id: String,
}

/// What `GetCodeInterpreterSession` says of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Whether it is `READY` (not stopped, not past its timeout).
    pub ready: bool,
    /// When it started, in seconds since the Unix epoch.
    pub created_at_secs: i64,
    /// Its timeout, in seconds, when the service reports it.
    pub timeout_secs: Option<i32>,
}

impl Session {
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
        Ok(Self::attach(client, config.interpreter_id, id))
    }

    /// The session `id` on `interpreter_id`, started earlier (by this process or
    /// another one).
    pub fn attach(
        client: &Client, interpreter_id: impl Into<String>, id: impl Into<String>,
    ) -> Self {
        Self { client: client.clone(), interpreter_id: interpreter_id.into(), id: id.into() }
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The code interpreter it runs on.
    pub fn interpreter_id(&self) -> &str {
        &self.interpreter_id
    }

    /// Asks the service about the session (`GetCodeInterpreterSession`); one that
    /// does not exist (unknown, or gone) is [`Error::SessionExpired`].
    pub async fn info(&self) -> Result<SessionInfo, Error> {
        let session = self
            .client
            .get_code_interpreter_session()
            .code_interpreter_identifier(&self.interpreter_id)
            .session_id(&self.id)
            .send()
            .await
            .map_err(|err| Error::on_session("GetCodeInterpreterSession", &self.id, err))?;
        Ok(SessionInfo {
            ready: session.status() == Some(&CodeInterpreterSessionStatus::Ready),
            created_at_secs: session.created_at().secs(),
            timeout_secs: session.session_timeout_seconds(),
        })
    }

    /// Invokes any of the code interpreter's tools (`InvokeCodeInterpreter`) and
    /// collects the event stream, waiting for each event at most the client's read
    /// timeout.
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
            .map_err(|err| Error::on_session("InvokeCodeInterpreter", &self.id, err))?;
        let read_timeout = self
            .client
            .config()
            .timeout_config()
            .and_then(|timeouts| timeouts.read_timeout())
            .unwrap_or(crate::policy::DEFAULT_READ_TIMEOUT);
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
    pub async fn stop(&self) -> Result<(), Error> {
        self.client
            .stop_code_interpreter_session()
            .code_interpreter_identifier(&self.interpreter_id)
            .session_id(&self.id)
            .send()
            .await
            .map_err(|err| Error::sdk("StopCodeInterpreterSession", err))?;
        tracing::debug!(session_id = %self.id, "session stopped");
        Ok(())
    }
}
