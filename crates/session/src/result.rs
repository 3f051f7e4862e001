//! One typed value collected from the event stream of `InvokeCodeInterpreter`.

use std::time::Duration;

use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterResult, CodeInterpreterStreamOutput, ContentBlock, ContentBlockType,
    ResourceContent,
};

use crate::error::Error;

type Output =
    aws_sdk_bedrockagentcore::operation::invoke_code_interpreter::InvokeCodeInterpreterOutput;

/// What one tool invocation produced, gathered over every `result` event.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ExecutionResult {
    /// The text items of every `result` event's content, joined with `"\n"`.
    /// This is what goes back to a model as the tool result.
    pub text: String,
    /// Standard output, from the structured content.
    pub stdout: String,
    /// Standard error, from the structured content.
    pub stderr: String,
    /// The exit code, when the service reported one.
    pub exit_code: Option<i32>,
    /// True when any result was flagged as an error.
    pub is_error: bool,
    /// Files returned inline (`resource` blocks, e.g. from `readFiles`).
    pub files: Vec<FileResource>,
    /// Files referred to by name (`resource_link` blocks, e.g. from `listFiles`).
    pub links: Vec<FileLink>,
    /// How long the code ran, as reported by the service (`executionTime`, in
    /// seconds on the wire).
    pub execution_time: Option<Duration>,
    /// The task id of `startCommandExecution`, `getTask` and `stopTask`.
    pub task_id: Option<String>,
    /// The task status (`submitted`, `working`, `completed`, ...).
    pub task_status: Option<String>,
}

/// A file whose content came back in the result.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct FileResource {
    /// `file:///<path>` as the service sends it.
    pub uri: String,
    /// The path inside the session (the URI without `file:///`).
    pub path: String,
    /// The MIME type, when given.
    pub mime_type: Option<String>,
    /// Text content.
    pub text: Option<String>,
    /// Binary content.
    pub blob: Option<Vec<u8>>,
}

/// A file the service named without sending its content.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct FileLink {
    /// The file's name.
    pub name: String,
    /// Its URI (`file:///<path>`).
    pub uri: String,
    /// Its MIME type, when given.
    pub mime_type: Option<String>,
    /// Its size in bytes, when given.
    pub size: Option<i64>,
    /// Free text the service adds (`Directory` for a directory).
    pub description: Option<String>,
}

impl FileResource {
    /// Its content: the blob, or the text's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.blob.unwrap_or_else(|| self.text.unwrap_or_default().into_bytes())
    }
}

impl ExecutionResult {
    /// Reads the whole event stream of one `InvokeCodeInterpreter` call.
    pub async fn from_stream(output: Output) -> Result<Self, Error> {
        Self::from_stream_within(output, crate::policy::DEFAULT_READ_TIMEOUT, None).await
    }

    /// Reads the event stream, waiting at most `read_timeout` for each event. With
    /// `session_id`, a `resourceNotFoundException` in the stream (the session ended
    /// while the call ran) is [`Error::SessionExpired`].
    pub async fn from_stream_within(
        mut output: Output, read_timeout: Duration, session_id: Option<&str>,
    ) -> Result<Self, Error> {
        const OPERATION: &str = "InvokeCodeInterpreter (event stream)";
        let mut collected = Self::default();
        let mut texts = Vec::new();
        loop {
            let next = tokio::time::timeout(read_timeout, output.stream.recv())
                .await
                .map_err(|_elapsed| Error::Timeout { operation: OPERATION, after: read_timeout })?;
            let event = match next {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(err) => return Err(Error::stream(OPERATION, session_id, err)),
            };
            match event {
                CodeInterpreterStreamOutput::Result(result) => {
                    collected.add(result, &mut texts);
                }
                other => tracing::debug!(?other, "ignoring an unknown stream event"),
            }
        }
        collected.text = texts.join("\n");
        Ok(collected)
    }

    fn add(&mut self, result: CodeInterpreterResult, texts: &mut Vec<String>) {
        self.is_error |= result.is_error().unwrap_or(false);
        if let Some(structured) = result.structured_content() {
            self.stdout.push_str(structured.stdout().unwrap_or_default());
            self.stderr.push_str(structured.stderr().unwrap_or_default());
            if let Some(code) = structured.exit_code() {
                self.exit_code = Some(code);
            }
            // AgentCore reports seconds (a float), not milliseconds.
            if let Some(secs) = structured.execution_time()
                && secs.is_finite()
                && secs >= 0.0
            {
                self.execution_time = Some(Duration::from_secs_f64(secs));
            }
            if let Some(id) = structured.task_id() {
                self.task_id = Some(id.to_owned());
            }
            if let Some(status) = structured.task_status() {
                self.task_status = Some(status.as_str().to_owned());
            }
        }
        for block in result.content() {
            self.add_block(block, texts);
        }
    }

    fn add_block(&mut self, block: &ContentBlock, texts: &mut Vec<String>) {
        match block.r#type() {
            ContentBlockType::Text => {
                if let Some(text) = block.text() {
                    texts.push(text.to_owned());
                }
            }
            ContentBlockType::EmbeddedResource => {
                if let Some(resource) = block.resource() {
                    self.files.push(file_resource(resource));
                }
            }
            ContentBlockType::ResourceLink => self.links.push(FileLink {
                name: block.name().unwrap_or_default().to_owned(),
                uri: block.uri().unwrap_or_default().to_owned(),
                mime_type: block.mime_type().map(str::to_owned),
                size: block.size(),
                description: block.description().map(str::to_owned),
            }),
            other => tracing::debug!(kind = other.as_str(), "ignoring a content block"),
        }
    }
}

/// The session path of a `file:///<path>` URI.
fn session_path(uri: &str) -> String {
    let path = uri.strip_prefix("file://").unwrap_or(uri);
    path.strip_prefix('/').unwrap_or(path).to_owned()
}

fn file_resource(resource: &ResourceContent) -> FileResource {
    let uri = resource.uri().unwrap_or_default().to_owned();
    FileResource {
        path: session_path(&uri),
        uri,
        mime_type: resource.mime_type().map(str::to_owned),
        text: resource.text().map(str::to_owned),
        blob: resource.blob().map(|blob| blob.as_ref().to_vec()),
    }
}
