//! The tools an [`Agent`](super::Agent) can call.

use aws_sdk_bedrockruntime::types::Tool;
use serde_json::Value;

use crate::error::Error;
use crate::session::CodeInterpreterSession;
use crate::tool_loop::ToolOutput;
use crate::tools::{self, ExecutePython};

/// A tool the model may call: a name, a description, a JSON schema for its
/// input, and what it does. A failure the model can act on is a
/// [`ToolOutput::error`]; `Err` ends the agent's turn (see [`ToolHandler`](crate::tool_loop::ToolHandler)).
///
/// ```
/// use common::agent::{AgentTool, ToolContext};
/// use common::ToolOutput;
/// use serde_json::{Value, json};
///
/// struct Shout;
///
/// #[async_trait::async_trait]
/// impl AgentTool for Shout {
///     fn name(&self) -> &str { "shout" }
///     fn description(&self) -> &str { "Upper-cases a text." }
///     fn input_schema(&self) -> Value {
///         json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})
///     }
///     async fn call(&self, input: Value, _ctx: &ToolContext<'_>) -> Result<ToolOutput, common::Error> {
///         Ok(match input["text"].as_str() {
///             Some(text) => ToolOutput::ok(text.to_uppercase()),
///             None => ToolOutput::error("`text` must be a string"),
///         })
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait AgentTool: Send + Sync {
    /// The name the model calls it by.
    fn name(&self) -> &str;
    /// What the model is told it does.
    fn description(&self) -> &str;
    /// The JSON schema of its input.
    fn input_schema(&self) -> Value;
    /// Runs it with the input the model wrote.
    async fn call(&self, input: Value, ctx: &ToolContext<'_>) -> Result<ToolOutput, Error>;
}

/// What the agent lends a tool while it runs.
#[derive(Debug, Clone, Copy)]
pub struct ToolContext<'a> {
    pub(super) session: &'a CodeInterpreterSession,
}

impl<'a> ToolContext<'a> {
    /// The agent's code-interpreter session: the same one for every call of the
    /// agent's life, so variables, imports and files survive between calls.
    pub fn session(&self) -> &'a CodeInterpreterSession {
        self.session
    }
}

#[async_trait::async_trait]
impl AgentTool for ExecutePython {
    fn name(&self) -> &str {
        tools::EXECUTE_PYTHON
    }

    fn description(&self) -> &str {
        tools::EXECUTE_PYTHON_DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        tools::execute_python_schema()
    }

    async fn call(&self, input: Value, ctx: &ToolContext<'_>) -> Result<ToolOutput, Error> {
        ExecutePython::run(ctx.session(), input).await
    }
}

/// A tool as a Converse tool specification.
pub(super) fn converse_spec(tool: &dyn AgentTool) -> Result<Tool, Error> {
    tools::converse_tool_spec(tool.name(), tool.description(), &tool.input_schema())
}
