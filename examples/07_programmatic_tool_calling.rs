//! Example 07: programmatic tool calling. Three Python functions are loaded into
//! the Code Interpreter session first; the model then gets ONE tool,
//! `execute_python`, and calls all the functions for all five cities from one
//! code block, so the whole comparison takes two model round trips.
//! `--compare` also runs the traditional way (each function a client-side tool,
//! one call per lookup, each run here with `executeCode`) and prints both runs'
//! round trips, tool calls, input tokens and wall time side by side, measured.
//!
//! AWS APIs: bedrock-runtime `Converse`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//! Builds on 01 (the same loop, from `common::converse::ConverseLoop`).
//!
//! Model: `global.anthropic.claude-sonnet-4-6` ([`common::models::BEDROCK_MODEL_ID`]),
//! the global cross-region profile of a current Claude; `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! Against AWS:  `cargo run --example 07_programmatic_tool_calling -- --compare`
//! Offline:      `cargo run --example 07_programmatic_tool_calling -- --local --compare`

use std::process::ExitCode;
use std::time::Instant;

use aws_sdk_bedrockruntime::types::{Message, ToolConfiguration};
use clap::Parser;
use common::converse::{ConverseLoop, user_text};
use common::tools::{EXECUTE_PYTHON, PythonTool, SessionFunctions};
use common::tools::{converse_tool_spec, converse_tool_with};
use common::{CommonArgs, JsonReport, LoopEvent, LoopReport, SessionConfig, with_session};
use serde_json::json;

type Report = LoopReport<Message>;

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
    let wall = Instant::now();
    let json = args.common.json;
    let say = |line: &str| {
        if !json {
            println!("{line}");
        }
    };
    let show = |event: LoopEvent<'_>| match event {
        LoopEvent::ToolCall { name, input, .. } if name != EXECUTE_PYTHON => {
            say(&format!("[Tool call: {name}({})]", input["city"]));
        }
        LoopEvent::ToolCall { .. } => say("[Executing code...]"),
        _ => {}
    };
    let finish = |report: &Report| {
        say(&format!("--- Final Answer ---\n{}", report.answer));
        let (trips, calls) = (report.round_trips, report.tool_calls);
        say(&format!("Model round trips: {trips} (tool calls: {calls})"));
    };
    let model = args.common.model_or(common::DEFAULT_MODEL_ID);
    let clients = args.common.connect().await?;

    let config = SessionConfig::named("programmatic-tool-calling");
    let (session_id, programmatic, traditional) =
        with_session(&clients.agentcore, config, async |session| {
            say(&format!("[Session started: {}]", session.id()));

            // Step 1: load the functions; the session keeps them for later calls.
            let loaded = session.execute_python(TOOLS_PY).await?;
            if loaded.is_error {
                anyhow::bail!("loading the tools failed: {}", loaded.text);
            }
            say(loaded.text.trim_end());

            // Step 2: one tool, execute_python, whose code calls the functions.
            say("\n--- Programmatic tool calling ---");
            let tools = ToolConfiguration::builder()
                .tools(converse_tool_with(TOOL_DESCRIPTION)?)
                .build()?;
            let handler = PythonTool::new(session);
            let programmatic = ConverseLoop::new(&model)
                .system(SYSTEM_PROMPT)
                .tools(tools)
                .run(&clients.bedrock, vec![user_text(QUERY)?], &handler, show)
                .await?;
            finish(&programmatic);

            // Step 3 (--compare): each function a tool of its own, one model call
            // per round of lookups; each tool call runs the pre-loaded function.
            if !args.compare {
                return Ok((session.id().to_owned(), programmatic, None));
            }
            say("\n--- Traditional tool calling ---");
            let city = json!({"type": "object", "required": ["city"],
                "properties": {"city": {"type": "string", "description": "e.g. Denver"}}});
            let mut tools = ToolConfiguration::builder();
            for (name, fields) in FUNCTIONS {
                let description = format!("Data of one city as JSON: {fields}");
                tools = tools.tools(converse_tool_spec(name, &description, &city)?);
            }
            let handler = SessionFunctions::new(session, FUNCTIONS.map(|(name, _)| name));
            let traditional = ConverseLoop::new(&model)
                .system("You are a data analyst. Look up what you need with the tools.")
                .tools(tools.build()?)
                .run(&clients.bedrock, vec![user_text(QUERY)?], &handler, show)
                .await?;
            finish(&traditional);
            Ok((session.id().to_owned(), programmatic, Some(traditional)))
        })
        .await?;
    say(&format!("[Session stopped: {session_id}]"));

    // Step 4: the two runs side by side, as measured.
    if let Some(traditional) = &traditional {
        let columns = [("programmatic", &programmatic), ("traditional", traditional)];
        say(&format!("\n--- Side by side ---\n{}", Report::side_by_side(&columns)));
    }
    if json {
        let mut report = JsonReport {
            answer: Some(programmatic.answer.clone()),
            session_id: Some(session_id),
            round_trips: Some(programmatic.round_trips),
            tool_calls: Some(programmatic.tool_calls),
            sessions_started: Some(1),
            usage: Some(programmatic.usage),
            ..JsonReport::new("07")
        }
        .wall(wall.elapsed())
        .with("programmatic", programmatic.summary_json());
        if let Some(traditional) = &traditional {
            report = report.with("traditional", traditional.summary_json());
        }
        println!("{}", report.to_json_line()?);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
