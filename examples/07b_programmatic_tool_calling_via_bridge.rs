//! Example 07b: programmatic tool calling the Anthropic way, on Bedrock + AgentCore
//! through the bridge. Example 07 loads its tools into the sandbox, as Bedrock has no
//! programmatic tool calling; here they stay in this program, declared with
//! `allowed_callers`. The model's one code block calls them; each call pauses the turn
//! and comes back as a `tool_use` with a `caller`; this program runs the tool and sends
//! the result back in the same container, where the code goes on. Only what the code
//! prints reaches the model.
//!
//! API: Anthropic `POST /v1/messages` with `code_execution_20250825`, served by the
//! bridge (`crates/bridge`) from Bedrock `InvokeModel` and AgentCore Code Interpreter.
//! Not in the Python set: the Python stops at example 07's workaround.
//!
//! Through a bridge: `cargo run -p bridge`, then, with the `ANTHROPIC_BASE_URL` and
//!   `ANTHROPIC_API_KEY` it prints: `cargo run --example 07b_programmatic_tool_calling_via_bridge`
//! Offline: `cargo run --example 07b_programmatic_tool_calling_via_bridge -- --local`

use clap::Parser;
use common::anthropic::{
    ContainerRef, ContentBlock, CustomTool, Message, MessagesRequest, Role, StopReason, Tool,
};
use common::{CommonArgs, JsonReport, Usage};
use serde_json::{Value, json};
use std::process::ExitCode;

const QUERY: &str = "Compare all 5 cities across weather, population, and cost of living. \
    Which city has the best combination of warm weather, large metro area, and affordable rent? \
    Rank them.";

/// The client's data: city, temperature (°F), condition, metro population, rent
/// index, median one-bedroom rent. Example 07's tables, kept in the client.
const CITIES: [(&str, u32, &str, u32, u32, u32); 5] = [
    ("Seattle", 58, "Cloudy", 4_018_762, 172, 2100),
    ("Portland", 62, "Partly Cloudy", 2_512_859, 130, 1650),
    ("San Francisco", 65, "Foggy", 4_749_008, 190, 2800),
    ("Los Angeles", 78, "Sunny", 13_200_998, 166, 2400),
    ("Denver", 72, "Clear", 2_963_821, 128, 1700),
];

/// The three tools, run here when the model's code calls them: (result, is_error).
fn run_tool(name: &str, input: &Value) -> (String, bool) {
    let city = input.get("city").and_then(Value::as_str).unwrap_or_default();
    match (name, CITIES.iter().find(|c| c.0 == city)) {
        ("get_weather", Some(c)) => (json!({"temp_f": c.1, "condition": c.2}).to_string(), false),
        ("get_population", Some(c)) => (json!({"metro_population": c.3}).to_string(), false),
        ("get_cost_of_living", Some(c)) => {
            (json!({"index": c.4, "median_rent_1br": c.5}).to_string(), false)
        }
        _ => (format!("no {name} data for {city:?}"), true),
    }
}

fn tools() -> Vec<Tool> {
    let mut tools = vec![Tool::server("code_execution_20250825", "code_execution")];
    for (name, what) in [
        ("get_weather", "Current weather of a city: temp_f, condition"),
        ("get_population", "Population of a city: metro_population"),
        ("get_cost_of_living", "Cost of living in a city: index, median_rent_1br"),
    ] {
        let schema = json!({"type": "object", "required": ["city"],
                            "properties": {"city": {"type": "string"}}});
        tools.push(Tool::Custom(CustomTool {
            // Only code may call them: each call from the code comes back here.
            allowed_callers: Some(vec!["code_execution_20250825".into()]),
            ..CustomTool::new(name, what, schema)
        }));
    }
    tools
}

#[derive(Debug, Parser)]
#[command(about = "Programmatic tool calling through the bridge: the tools stay in the client")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let out = args.common.printer();
    // Offline, an in-process bridge on the embedded emulator; otherwise the bridge
    // that ANTHROPIC_BASE_URL names.
    let api = common::anthropic::AnthropicApi::connect(&args.common).await?;

    // Step 1: the query, the code execution tool, and the client's three tools.
    let mut request = MessagesRequest {
        model: Some(args.common.model_or(common::models::ANTHROPIC_MODEL)),
        max_tokens: 4096,
        messages: vec![Message::user_text(QUERY)],
        tools: tools(),
        ..MessagesRequest::default()
    };
    out.line(format_args!("--- Query ---\n{QUERY}\n"));
    let (mut usage, mut round_trips, mut tool_calls, mut answer) =
        (Usage::default(), 0, 0, Vec::new());
    loop {
        round_trips += 1;
        let response = api.create_message(&[], &request).await?;
        usage += Usage::from(&response.usage);
        // Step 2: the code's calls to our tools, answered here, all in one message.
        let mut results = Vec::new();
        for block in &response.content {
            match block {
                ContentBlock::Text { text, .. } => answer.push(text.clone()),
                ContentBlock::ToolUse { id, name, input, .. } => {
                    out.line(format_args!("  [Code called {name}({input})]"));
                    let (text, is_error) = run_tool(name, input);
                    results.push(ContentBlock::tool_result(id, text, is_error));
                }
                _ => {}
            }
        }
        tool_calls += results.len();
        // Step 3: send the results (or a paused turn) back in the same container.
        if !matches!(response.stop_reason, Some(StopReason::ToolUse | StopReason::PauseTurn)) {
            break;
        }
        anyhow::ensure!(round_trips <= 20, "the code was still calling tools after 20 round trips");
        request.messages.push(response.to_message());
        if !results.is_empty() {
            request.messages.push(Message { role: Role::User, content: results });
        }
        request.container = response.container.map(|c| ContainerRef::Id(c.id));
    }
    // The bridge ran the code in one container (an AgentCore session) for the turn.
    let containers = usize::from(request.container.is_some());
    let answer = answer.join("\n");
    out.line(format_args!("\n--- Answer ---\n{answer}\n"));
    out.line(format_args!("--- Efficiency ---\nRound trips to the bridge: {round_trips}"));
    out.line(format_args!("Tool calls run in this client: {tool_calls}"));
    out.report(JsonReport {
        answer: Some(answer),
        round_trips: Some(round_trips),
        tool_calls: Some(tool_calls),
        sessions_started: Some(containers),
        usage: Some(usage),
        ..JsonReport::new("07b")
    })?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
