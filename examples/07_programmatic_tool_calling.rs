//! Example 07: programmatic tool calling. Three Python functions are loaded into the
//! Code Interpreter session first; the model then gets ONE tool, `execute_python`, and
//! calls all the functions for all five cities from one code block, so the comparison
//! takes two model round trips instead of one per lookup.
//!
//! AWS APIs: bedrock-runtime `InvokeModel`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//! Builds on 02, which makes these calls itself; here the loop is
//! `common::anthropic::InvokeModelLoop` and the session `common::with_session`.
//!
//! Model: as in 01, `global.anthropic.claude-sonnet-4-6`; `--model` / `BEDROCK_MODEL_ID`.
//!
//! Differs from the Python: `--compare` runs the traditional way too (each function a
//! client-side tool, one call per lookup) and measures both side by side, where the
//! Python estimates "~16 round-trips".
//!
//! Against AWS:  `cargo run --example 07_programmatic_tool_calling -- --compare`
//! Offline:      `cargo run --example 07_programmatic_tool_calling -- --local --compare`

use clap::Parser;
use common::anthropic::{InvokeModelLoop, Message, SystemPrompt, Tool};
use common::tools::{EXECUTE_PYTHON, ExecutePython, SessionFunctions, execute_python_schema};
use common::{CommonArgs, JsonReport, LoopEvent, LoopReport, SessionConfig, with_session};
use serde_json::json;
use std::process::ExitCode;

/// get_weather(), get_population() and get_cost_of_living() over a static table.
const TOOLS_PY: &str = include_str!("07_tools.py");

/// Lists the functions, their return fields and the cities, and asks for one
/// code block that calls several of them.
const SYSTEM_PROMPT: &str = include_str!("07_system_prompt.md");

const TOOL_DESCRIPTION: &str = "Run Python code in a secure sandbox in which get_weather(city), \
    get_population(city) and get_cost_of_living(city) are already defined: call them from \
    your code, combine the results and print what you need. numpy, pandas and matplotlib \
    are available.";

const QUERY: &str = "Compare all 5 cities across weather, population, and cost of living. \
    Which city has the best combination of warm weather, large metro area, and affordable rent? \
    Rank them.";

/// The traditional way's tools: the same functions, one client-side tool each.
const FUNCTIONS: [(&str, &str); 3] = [
    ("get_weather", "temp_f, humidity_pct, condition, wind_mph"),
    ("get_population", "population, metro_population, state"),
    ("get_cost_of_living", "index, median_rent_1br, median_home_price"),
];

#[derive(Debug, Parser)]
#[command(about = "Programmatic tool calling: one code block calls many tools")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,

    /// Also run the traditional way (one tool call per lookup) and compare.
    #[arg(long, env = "COMPARE")]
    compare: bool,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let out = args.common.printer();
    let show = |event: LoopEvent<'_>| match event {
        LoopEvent::ToolCall { name, input, .. } if name != EXECUTE_PYTHON => {
            out.line(format_args!("  [Tool call: {name}({})]", input["city"]));
        }
        LoopEvent::ToolCall { .. } => out.line("  [Executing code block...]"),
        LoopEvent::ToolResult { name, output, .. } if name == EXECUTE_PYTHON => {
            out.preview("  [Output: ", &output.text, 150);
        }
        _ => {}
    };
    let model = args.common.model_or(common::DEFAULT_MODEL_ID);
    let clients = args.common.connect().await?;

    let config = SessionConfig::named("programmatic-tools");
    let (session_id, programmatic, traditional) = with_session(&clients.agentcore, config, async |session| {
        out.line(format_args!("Session: {}\n", session.id()));

        // Step 1: pre-load the tool functions; the session keeps them for later calls.
        out.line("--- Loading tools into sandbox ---");
        let loaded = session.execute_python(TOOLS_PY).await?;
        if loaded.is_error {
            anyhow::bail!("loading the tools failed: {}", loaded.text);
        }
        out.line(loaded.text.trim_end());

        // Step 2: a question that needs 15 lookups, answered from one code block.
        out.line(format_args!("\n--- Query ---\n{QUERY}\n"));
        let tools = vec![Tool::custom(EXECUTE_PYTHON, TOOL_DESCRIPTION, execute_python_schema())];
        let programmatic = InvokeModelLoop::new(&model)
            .system(SystemPrompt::Text(SYSTEM_PROMPT.into()))
            .tools(tools)
            .run(&clients.bedrock, vec![Message::user_text(QUERY)], &ExecutePython::in_session(session), show)
            .await?;
        out.line(format_args!("\n--- Answer ---\n{}", programmatic.answer));
        out.line("\n--- Efficiency ---");
        out.line(format_args!("Model round-trips used: {}", programmatic.round_trips));
        if !args.compare {
            out.line("Traditional approach would need ~16 round-trips (15 tool calls + final answer)");
            out.line("Programmatic approach: model calls all tools in code, processes results, returns summary");
            return Ok((session.id().to_owned(), programmatic, None));
        }

        // Step 3 (--compare): the traditional way, measured. Each function is a tool of
        // its own; each call runs the pre-loaded function in the session.
        out.line("\n--- Traditional tool calling ---");
        let city = json!({"type": "object", "required": ["city"],
            "properties": {"city": {"type": "string", "description": "e.g. Denver"}}});
        let tools = FUNCTIONS.map(|(name, fields)| Tool::custom(name, format!("Data of one city as JSON: {fields}"), city.clone()));
        let handler = SessionFunctions::new(session, FUNCTIONS.map(|(name, _)| name));
        let traditional = InvokeModelLoop::new(&model)
            .system(SystemPrompt::Text("You are a data analyst. Look up what you need with the tools.".into()))
            .tools(tools.to_vec())
            .run(&clients.bedrock, vec![Message::user_text(QUERY)], &handler, show)
            .await?;
        out.line(format_args!("\n--- Answer ---\n{}", traditional.answer));
        Ok((session.id().to_owned(), programmatic, Some(traditional)))
    })
    .await?;

    // The two runs side by side, as measured.
    if let Some(traditional) = &traditional {
        let columns = [("programmatic", &programmatic), ("traditional", traditional)];
        out.line(format_args!("\n--- Side by side ---\n{}", LoopReport::side_by_side(&columns)));
    }
    out.line(format_args!("\nSession stopped: {session_id}"));
    let mut report = JsonReport::of_loop("07", &programmatic)
        .session(&session_id)
        .with("programmatic", programmatic.summary_json());
    if let Some(traditional) = &traditional {
        report = report.with("traditional", traditional.summary_json());
    }
    out.report(report)?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
