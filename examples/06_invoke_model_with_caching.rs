//! Example 06: prompt caching with InvokeModel. A long system prompt and the tool
//! definition are marked `cache_control: {type: ephemeral}`: the first question
//! writes them to the cache, the next ones read them at a tenth of the price.
//! Three questions go through the same tool-use loop in one session; their
//! tokens are summed over every model call of the loop, and the summary compares
//! the input cost with and without caching.
//!
//! Model: `us.anthropic.claude-sonnet-4-6` ([`common::models::CACHING_MODEL_ID`]), a
//! US cross-region inference profile of a model for which Bedrock documents prompt
//! caching; `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! AWS APIs: bedrock-runtime `InvokeModel`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//! Builds on 02 (the same loop, from `common::anthropic::InvokeModelLoop`).
//!
//! Against AWS:  `cargo run --example 06_invoke_model_with_caching`
//! Offline:      `cargo run --example 06_invoke_model_with_caching -- --local`

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use common::anthropic::{CacheControl, ContentBlock, InvokeModelLoop, Message, SystemPrompt, Tool};
use common::tools::{PythonTool, anthropic_tool};
use common::{CommonArgs, JsonReport, SessionConfig, Usage, with_session};
use serde_json::json;

/// About 7,300 characters: well over the 1,024-token minimum a Sonnet prefix
/// needs before Bedrock caches it.
const SYSTEM_PROMPT: &str = include_str!("06_system_prompt.md");

const QUESTIONS: [&str; 3] = [
    "Calculate the mean of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
    "Calculate the standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
    "Calculate the median and mode of [1, 2, 2, 3, 4, 5, 5, 5, 9, 10]",
];

/// Prices of cached input relative to the base input price.
const CACHE_WRITE_PRICE: f64 = 1.25;
const CACHE_READ_PRICE: f64 = 0.1;

#[derive(Debug, Parser)]
#[command(about = "Prompt caching with InvokeModel and AgentCore Code Interpreter")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let wall = Instant::now();
    let json = args.common.json;
    let say = |line: &str| {
        if !json {
            println!("{line}");
        }
    };
    let model = args.common.model_or(common::models::CACHING_MODEL_ID);
    let clients = args.common.connect().await?;

    // Step 1: the cache points. Everything up to a marked block is the cached
    // prefix: tools come first, then the system prompt, then the messages.
    let system = SystemPrompt::Blocks(vec![ContentBlock::Text {
        text: SYSTEM_PROMPT.to_owned(),
        cache_control: Some(CacheControl::ephemeral()),
    }]);
    let mut tool = anthropic_tool();
    if let Tool::Custom(custom) = &mut tool {
        custom.cache_control = Some(CacheControl::ephemeral());
    }
    let model_loop = InvokeModelLoop::new(&model).system(system).tools(vec![tool]);

    // Step 2: one session; the three questions go through the same loop in it.
    let (mut total, mut round_trips, mut tool_calls, mut calls) =
        (Usage::default(), 0, 0, Vec::new());
    let config = SessionConfig::named("caching-demo");
    let session_id = with_session(&clients.agentcore, config, async |session| {
        say(&format!("[Session started: {}]", session.id()));
        for (number, question) in (1..).zip(QUESTIONS) {
            let messages = vec![Message::user_text(question)];
            let handler = PythonTool::new(session);
            let report = model_loop.run(&clients.bedrock, messages, &handler, |_| {}).await?;

            // Step 3: the answer and the tokens of every model call of its loop.
            let mut preview: String = report.answer.chars().take(200).collect();
            if preview.len() < report.answer.len() {
                preview.push_str("...");
            }
            let usage = report.usage;
            say(&format!("\nQuestion {number}: {question}\nAnswer: {preview}"));
            say(&format!(
                "Tokens ({} model calls): cache write {}, cache read {}, uncached input {}",
                report.round_trips,
                usage.cache_write_input_tokens,
                usage.cache_read_input_tokens,
                usage.input_tokens
            ));
            total += usage;
            round_trips += report.round_trips;
            tool_calls += report.tool_calls;
            let mut call = report.summary_json();
            call["question"] = json!(question);
            calls.push(call);
        }
        anyhow::Ok(session.id().to_owned())
    })
    .await?;
    say(&format!("[Session stopped: {session_id}]"));

    // Step 4: what the cache saved, as a share of the base input price.
    let tokens = |n: u64| n as f64;
    let without_cache = tokens(total.total_input_tokens());
    let with_cache = tokens(total.input_tokens)
        + CACHE_WRITE_PRICE * tokens(total.cache_write_input_tokens)
        + CACHE_READ_PRICE * tokens(total.cache_read_input_tokens);
    let percent = |part: f64, whole: f64| 100.0 * part / whole.max(1.0);
    let (served, all_input) = (total.cache_read_input_tokens, total.total_input_tokens());
    say("\n--- Cache summary ---");
    say(&format!(
        "Tokens served from cache: {served} of {all_input} input tokens ({:.1}%)",
        percent(tokens(served), tokens(all_input))
    ));
    say(&format!(
        "Relative input cost (base input price = 1 per token): without caching {without_cache:.0}, \
         with caching {with_cache:.1} ({:.1}% of it)",
        percent(with_cache, without_cache)
    ));

    if json {
        let report = JsonReport {
            session_id: Some(session_id),
            round_trips: Some(round_trips),
            tool_calls: Some(tool_calls),
            sessions_started: Some(1),
            usage: Some(total),
            ..JsonReport::new("06")
        }
        .wall(wall.elapsed())
        .with("calls", calls)
        .with(
            "relative_input_cost",
            json!({"with_caching": with_cache, "without_caching": without_cache}),
        );
        println!("{}", report.to_json_line()?);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
