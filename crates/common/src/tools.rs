//! The `execute_python` tool that the model gets in examples 01, 02, 03, 06 and 07,
//! in Converse form and in Anthropic form, and [`ExecutePython`], which runs it in a session;
//! the trait an [`Agent`](crate::agent::Agent)'s tools implement, [`AgentTool`].

use aws_sdk_bedrockruntime::types::{Tool, ToolConfiguration, ToolInputSchema, ToolSpecification};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::anthropic::Tool as AnthropicTool;
use crate::error::Error;
use crate::session::CodeInterpreterSession;
use crate::tool_loop::{ToolHandler, ToolOutput};

/// The tool's name.
pub const EXECUTE_PYTHON: &str = "execute_python";

/// What the model is told the tool does.
pub const EXECUTE_PYTHON_DESCRIPTION: &str = "Run Python code in a secure sandbox and get back \
    what it prints. Use it for calculations, data analysis, or to check a result. numpy, pandas \
    and matplotlib are available.";

/// The input schema: one required string, `code`.
pub fn execute_python_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "The Python code to run"}
        },
        "required": ["code"]
    })
}

/// Any client-side tool as a Converse `ToolSpecification`: name, description
/// and the JSON schema of its input.
pub fn converse_tool_spec(
    name: &str, description: &str, input_schema: &Value,
) -> Result<Tool, Error> {
    let spec = ToolSpecification::builder()
        .name(name)
        .description(description)
        .input_schema(ToolInputSchema::Json(crate::document::from_json(input_schema)))
        .build()
        .map_err(Error::build("a tool specification"))?;
    Ok(Tool::ToolSpec(spec))
}

/// The tool as a Converse `ToolSpecification`.
pub fn converse_tool() -> Result<Tool, Error> {
    converse_tool_spec(EXECUTE_PYTHON, EXECUTE_PYTHON_DESCRIPTION, &execute_python_schema())
}

/// A Converse tool configuration with just this tool.
pub fn converse_tool_config() -> Result<ToolConfiguration, Error> {
    ToolConfiguration::builder()
        .tools(converse_tool()?)
        .build()
        .map_err(Error::build("the tool configuration"))
}

/// The tool in Anthropic form (`name`, `description`, `input_schema`).
pub fn anthropic_tool() -> AnthropicTool {
    AnthropicTool::custom(EXECUTE_PYTHON, EXECUTE_PYTHON_DESCRIPTION, execute_python_schema())
}

/// The input the model sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExecutePythonInput {
    /// The Python to run.
    pub code: String,
}

impl ExecutePythonInput {
    /// Reads the model's input; the error text is meant for the model.
    pub fn parse(input: Value) -> Result<Self, String> {
        serde_json::from_value(input).map_err(|err| {
            format!(
                "invalid input for {EXECUTE_PYTHON}: {err}; expected {{\"code\": \"<python>\"}}"
            )
        })
    }
}

/// The `execute_python` tool, under one name wherever it is used: an
/// [`Agent`](crate::agent::Agent) takes it as it is (`.tool(ExecutePython)`, running in
/// the agent's session), a tool-use loop takes it bound to a session
/// (`ExecutePython::in_session(session)`). Malformed input or a failed call becomes an
/// error result for the model; `Err` is kept for what ends the loop.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecutePython;

impl ExecutePython {
    /// The loop's handler for `execute_python` calls in `session`; a call of any
    /// other tool name is an error result that names the only tool.
    pub fn in_session(session: &CodeInterpreterSession) -> impl ToolHandler + '_ {
        InSession { session }
    }

    /// Runs one call with the input the model wrote.
    pub async fn run(
        session: &CodeInterpreterSession, input: Value,
    ) -> Result<ToolOutput, crate::Error> {
        let input = match ExecutePythonInput::parse(input) {
            Ok(input) => input,
            Err(message) => return Ok(ToolOutput::error(message)),
        };
        match session.execute_python(&input.code).await {
            Ok(result) => Ok(ToolOutput::from(&result)),
            Err(err) => ToolOutput::from_failure(err),
        }
    }
}

/// [`ExecutePython`] bound to a session, for a loop.
struct InSession<'a> {
    session: &'a CodeInterpreterSession,
}

#[async_trait::async_trait]
impl ToolHandler for InSession<'_> {
    async fn call(&self, name: &str, input: Value) -> Result<ToolOutput, crate::Error> {
        if name != EXECUTE_PYTHON {
            let message = format!("unknown tool '{name}'; the only tool is {EXECUTE_PYTHON}");
            return Ok(ToolOutput::error(message));
        }
        ExecutePython::run(self.session, input).await
    }
}

/// A tool the model may call: a name, a description, a JSON schema for its
/// input, and what it does. A failure the model can act on is a
/// [`ToolOutput::error`]; `Err` ends the agent's turn (see [`ToolHandler`]).
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
    pub(crate) session: &'a CodeInterpreterSession,
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
        EXECUTE_PYTHON
    }

    fn description(&self) -> &str {
        EXECUTE_PYTHON_DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        execute_python_schema()
    }

    async fn call(&self, input: Value, ctx: &ToolContext<'_>) -> Result<ToolOutput, Error> {
        Self::run(ctx.session(), input).await
    }
}

/// Client-side tools answered by Python functions already defined in a session
/// (07's traditional run). A call of tool `name` with a JSON object as input runs
/// `name(**input)` with one `executeCode` and returns the result as JSON.
#[derive(Debug, Clone)]
pub struct SessionFunctions<'a> {
    session: &'a CodeInterpreterSession,
    names: Vec<String>,
}

impl<'a> SessionFunctions<'a> {
    /// A handler for the functions `names`, defined in `session`.
    pub fn new(
        session: &'a CodeInterpreterSession, names: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self { session, names: names.into_iter().map(Into::into).collect() }
    }

    /// The Python that calls `name` with `input` as keyword arguments.
    pub fn code_for(name: &str, input: &Value) -> String {
        // The input travels as a JSON text inside a string literal: JSON string
        // syntax is valid Python, so nothing the model wrote becomes code.
        let arguments = Value::String(input.to_string());
        format!("import json\nprint(json.dumps({name}(**json.loads({arguments}))))")
    }
}

#[async_trait::async_trait]
impl ToolHandler for SessionFunctions<'_> {
    async fn call(&self, name: &str, input: Value) -> Result<ToolOutput, crate::Error> {
        if !self.names.iter().any(|known| known == name) {
            let known = self.names.join(", ");
            return Ok(ToolOutput::error(format!("unknown tool '{name}'; the tools are {known}")));
        }
        if !input.is_object() {
            return Ok(ToolOutput::error(format!("the input of {name} must be a JSON object")));
        }
        match self.session.execute_python(&Self::code_for(name, &input)).await {
            Ok(result) => Ok(ToolOutput::from(&result)),
            Err(err) => ToolOutput::from_failure(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_parses_and_rejects() {
        assert_eq!(
            ExecutePythonInput::parse(json!({"code": "print(1)"})).unwrap().code,
            "print(1)"
        );
        let err = ExecutePythonInput::parse(json!({"source": "print(1)"})).unwrap_err();
        assert!(err.contains("missing field `code`"), "{err}");
        assert!(ExecutePythonInput::parse(json!({"code": 5})).is_err());
    }

    #[test]
    fn session_functions_pass_the_input_as_data() {
        let code = SessionFunctions::code_for("get_weather", &json!({"city": "Seattle"}));
        assert_eq!(
            code,
            "import json\nprint(json.dumps(get_weather(**json.loads(\"{\\\"city\\\":\\\"Seattle\\\"}\"))))"
        );
        let code = SessionFunctions::code_for("f", &json!({"city": "\")); import os #"}));
        assert!(code.contains(r#"json.loads("{\"city\":\"\\\")); import os #\"}")"#), "{code}");
    }

    #[test]
    fn both_forms_share_name_and_schema() {
        let Tool::ToolSpec(spec) = converse_tool().unwrap() else {
            panic!("a tool spec");
        };
        assert_eq!(spec.name(), EXECUTE_PYTHON);
        let Some(ToolInputSchema::Json(schema)) = spec.input_schema() else {
            panic!("a JSON schema");
        };
        assert_eq!(crate::document::to_json(schema), execute_python_schema());
        let value = serde_json::to_value(anthropic_tool()).unwrap();
        assert_eq!(value["name"], EXECUTE_PYTHON);
        assert_eq!(value["input_schema"]["required"], json!(["code"]));
        assert!(value.get("type").is_none());
    }
}
