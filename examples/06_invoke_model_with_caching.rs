//! Example 06: prompt caching with InvokeModel. A long system prompt and the tool
//! definition are marked `cache_control: {type: ephemeral}`: the first call writes them
//! to the cache, the next ones read them at a tenth of the price. Three questions go
//! through the tool-use loop of 02 in one session.
//!
//! AWS APIs: bedrock-runtime `InvokeModel`; bedrock-agentcore
//! `StartCodeInterpreterSession`, `InvokeCodeInterpreter`, `StopCodeInterpreterSession`.
//! Builds on 02, which makes these calls itself; here the loop is
//! `common::anthropic::InvokeModelLoop` and the session `common::with_session`.
//!
//! Model: `us.anthropic.claude-sonnet-4-6` ([`common::models::CACHING_MODEL_ID`]), a US
//! cross-region inference profile of a model for which Bedrock documents prompt caching;
//! `--model` / `BEDROCK_MODEL_ID` changes it.
//!
//! Differs from the Python: a call's tokens are summed over every model call of its loop
//! (the Python reports the last one), and the summary adds the relative input cost.
//!
//! Against AWS:  `cargo run --example 06_invoke_model_with_caching`
//! Offline:      `cargo run --example 06_invoke_model_with_caching -- --local`

use std::process::ExitCode;

use clap::Parser;
use common::anthropic::{CacheControl, ContentBlock, InvokeModelLoop, Message, SystemPrompt, Tool};
use common::tools::{ExecutePython, anthropic_tool};
use common::{CommonArgs, JsonReport, SessionConfig, Usage, with_session};
use serde_json::json;

/// About 7,300 characters: well over the 1,024-token minimum a Sonnet prefix
/// needs before Bedrock caches it.
const SYSTEM_PROMPT: &str = include_str!("06_system_prompt.md");

/// The three calls: what each shows, and its question.
const CALLS: [(&str, &str); 3] = [
    ("Calculate mean (cache WRITE)", "Calculate the mean of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"),
    (
        "Calculate std dev (cache READ)",
        "Calculate the standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
    ),
    (
        "Calculate median (cache READ)",
        "Calculate the median and mode of [1, 2, 2, 3, 4, 5, 5, 5, 9, 10]",
    ),
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
    let out = args.common.printer();
    let model = args.common.model_or(common::models::CACHING_MODEL_ID);
    let clients = args.common.connect().await?;

    // The cache points. Everything up to a marked block is the cached prefix: tools
    // come first, then the system prompt, then the messages.
    let system = SystemPrompt::Blocks(vec![ContentBlock::cached_text(SYSTEM_PROMPT)]);
    let mut tool = anthropic_tool();
    if let Tool::Custom(custom) = &mut tool {
        custom.cache_control = Some(CacheControl::ephemeral());
    }
    let invoke_with_caching = InvokeModelLoop::new(&model).system(system).tools(vec![tool]);

    let config = SessionConfig::named("caching-demo");
    let (session_id, runs) = with_session(&clients.agentcore, config, async |session| {
        out.line(format_args!("Session: {}\n", session.id()));
        let mut runs = Vec::new();
        for (number, (title, question)) in (1..).zip(CALLS) {
            // Call 1 writes the cache; calls 2 and 3 read it.
            let gap = if number > 1 { "\n" } else { "" };
            out.line(format_args!("{gap}=== Call {number}: {title} ==="));
            let messages = vec![Message::user_text(question)];
            let tool = ExecutePython::in_session(session);
            let run = invoke_with_caching.run(&clients.bedrock, messages, &tool, |_| {}).await?;
            let usage = run.usage;
            let saved = if number > 1 { "  <-- saved!" } else { "" };
            out.line(format_args!("Answer: {}", run.answer.chars().take(200).collect::<String>()));
            out.line(format_args!("  Cache write: {} tokens", usage.cache_write_input_tokens));
            out.line(format_args!(
                "  Cache read:  {} tokens{saved}",
                usage.cache_read_input_tokens
            ));
            out.line(format_args!("  Uncached:    {} tokens", usage.input_tokens));
            runs.push(run);
        }
        anyhow::Ok((session.id().to_owned(), runs))
    })
    .await?;

    // Summary: what the cache served, and what it saved at Bedrock's cache prices.
    let mut total = Usage::default();
    runs.iter().for_each(|run| total += run.usage);
    out.line("\n=== Summary ===");
    out.line(format_args!(
        "Call 1: wrote {} tokens to cache",
        runs[0].usage.cache_write_input_tokens
    ));
    for (number, run) in (2..).zip(&runs[1..]) {
        out.line(format_args!(
            "Call {number}: read  {} tokens from cache",
            run.usage.cache_read_input_tokens
        ));
    }
    out.line(format_args!("Total tokens served from cache: {}", total.cache_read_input_tokens));
    let tokens = |n: u64| n as f64;
    let without_cache = tokens(total.total_input_tokens());
    let with_cache = tokens(total.input_tokens)
        + CACHE_WRITE_PRICE * tokens(total.cache_write_input_tokens)
        + CACHE_READ_PRICE * tokens(total.cache_read_input_tokens);
    let share = 100.0 * with_cache / without_cache.max(1.0);
    out.line(format_args!(
        "Relative input cost (base input price = 1 per token): without caching \
         {without_cache:.0}, with caching {with_cache:.1} ({share:.1}% of it)"
    ));
    out.line(format_args!("\nSession stopped: {session_id}"));

    let calls: Vec<_> = (runs.iter().zip(CALLS))
        .map(|(run, (_, question))| {
            let mut call = run.summary_json();
            call["question"] = json!(question);
            call
        })
        .collect();
    let report = JsonReport {
        round_trips: Some(runs.iter().map(|run| run.round_trips).sum()),
        tool_calls: Some(runs.iter().map(|run| run.tool_calls).sum()),
        usage: Some(total),
        ..JsonReport::new("06").session(&session_id)
    };
    let cost = json!({"with_caching": with_cache, "without_caching": without_cache});
    out.report(report.with("calls", calls).with("relative_input_cost", cost))?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::example::exit_code(run(Args::parse()).await)
}
