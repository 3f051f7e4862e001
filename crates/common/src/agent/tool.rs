//! An agent's tools as Converse declares them (the tools themselves are in
//! [`crate::tools`]).

use aws_sdk_bedrockruntime::types::Tool;

use crate::error::Error;
use crate::tools::{self, AgentTool};

/// A tool as a Converse tool specification.
pub(super) fn converse_spec(tool: &dyn AgentTool) -> Result<Tool, Error> {
    tools::converse_tool_spec(tool.name(), tool.description(), &tool.input_schema())
}
