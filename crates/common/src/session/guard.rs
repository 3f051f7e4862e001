//! The session guard: the project's session client, stopped on every way out.

use agentcore_session::{ExecutionResult, FileContent, Language, Session, SessionConfig};
use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::types::{ToolArguments, ToolName};

use crate::error::Error;

/// A running code-interpreter session. Stop it with [`CodeInterpreterSession::stop`].
#[derive(Debug)]
pub struct CodeInterpreterSession {
    session: Session,
    stopped: bool,
}

impl CodeInterpreterSession {
    /// Starts a session (`StartCodeInterpreterSession`).
    pub async fn start(client: &Client, config: SessionConfig) -> Result<Self, Error> {
        let session = Session::start(client, config).await?;
        Ok(Self { session, stopped: false })
    }

    /// The session id.
    pub fn id(&self) -> &str {
        self.session.id()
    }

    /// Invokes any of the code interpreter's tools (`InvokeCodeInterpreter`) and
    /// collects the event stream.
    pub async fn invoke(
        &self, name: ToolName, arguments: ToolArguments,
    ) -> Result<ExecutionResult, Error> {
        Ok(self.session.invoke(name, arguments).await?)
    }

    /// Runs code (`executeCode`). A failing program is an `Ok` result with
    /// `is_error` set; `Err` means the call itself failed.
    pub async fn execute_code(
        &self, language: Language, code: &str,
    ) -> Result<ExecutionResult, Error> {
        Ok(self.session.execute_code(language, code).await?)
    }

    /// Runs Python code.
    pub async fn execute_python(&self, code: &str) -> Result<ExecutionResult, Error> {
        Ok(self.session.execute_python(code).await?)
    }

    /// Runs a shell command (`executeCommand`).
    pub async fn execute_command(&self, command: &str) -> Result<ExecutionResult, Error> {
        Ok(self.session.execute_command(command).await?)
    }

    /// Writes files (`writeFiles`).
    pub async fn write_files(
        &self, files: impl IntoIterator<Item = FileContent>,
    ) -> Result<ExecutionResult, Error> {
        Ok(self.session.write_files(files).await?)
    }

    /// Reads files (`readFiles`); their content is in `files` of the result.
    pub async fn read_files(&self, paths: &[&str]) -> Result<ExecutionResult, Error> {
        Ok(self.session.read_files(paths).await?)
    }

    /// Lists a directory (`listFiles`); the entries are in `links` of the result.
    pub async fn list_files(&self, directory: &str) -> Result<ExecutionResult, Error> {
        Ok(self.session.list_files(directory).await?)
    }

    /// Removes files (`removeFiles`).
    pub async fn remove_files(&self, paths: &[&str]) -> Result<ExecutionResult, Error> {
        Ok(self.session.remove_files(paths).await?)
    }

    /// Stops the session (`StopCodeInterpreterSession`).
    pub async fn stop(mut self) -> Result<(), Error> {
        // Whatever the outcome, Drop must not try again.
        self.stopped = true;
        Ok(self.session.stop().await?)
    }
}

impl Drop for CodeInterpreterSession {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        let id = self.session.id().to_owned();
        tracing::warn!(
            session_id = %id,
            "code-interpreter session dropped without stop(); stopping it in the background"
        );
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(session_id = %id, "no Tokio runtime to stop the session; it ends at its timeout");
            return;
        };
        let session = self.session.clone();
        runtime.spawn(async move {
            if let Err(err) = session.stop().await {
                tracing::warn!(
                    session_id = %id,
                    error = %aws_smithy_types::error::display::DisplayErrorContext(&err),
                    "best-effort stop failed"
                );
            }
        });
    }
}
