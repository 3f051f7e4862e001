//! The cost of `ConverseLoop` per model round trip, printed as `FIGURE <key> <value>`
//! lines for `scripts/bench.sh`.
//!
//! The loop runs example 01's conversation against the embedded emulator with a tool
//! handler that answers at once (no sandbox), so what is timed is the loop, the SDK
//! and the scripted model. The same two Converse calls made directly, with the
//! messages built in advance, give the baseline; the difference is the loop's own
//! work (history copies, Document conversions, building the results).
//!
//! ```text
//! cargo bench -p common --bench tool_loop [-- --quick]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, ToolConfiguration,
};
use common::converse::{self, ConverseLoop};
use common::{CommonArgs, ToolOutput, tools};
use serde_json::Value;

const CANNED: &str = "Data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nMean: 5.5\n\
                      Population Std Dev: 2.8723\nSample Std Dev: 3.0277\n";

fn figure(key: &str, value: impl std::fmt::Display) {
    println!("FIGURE {key} {value}");
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn handler(_name: String, _input: Value) -> Result<ToolOutput, common::Error> {
    Ok(ToolOutput::ok(CANNED))
}

async fn converse(
    client: &aws_sdk_bedrockruntime::Client, messages: Vec<Message>, tools: &ToolConfiguration,
) -> Message {
    client
        .converse()
        .model_id(common::DEFAULT_MODEL_ID)
        .set_messages(Some(messages))
        .tool_config(tools.clone())
        .inference_config(InferenceConfiguration::builder().max_tokens(4096).build())
        .send()
        .await
        .expect("Converse")
        .output()
        .and_then(|o| o.as_message().ok())
        .cloned()
        .expect("a message")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("tool_loop: run with `cargo bench -p common --bench tool_loop [-- --quick]`");
        return;
    }
    let runs = if args.iter().any(|a| a == "--quick") { 40 } else { 200 };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let clients = CommonArgs::offline().connect().await.expect("embedded emulator");
        let tool_config = tools::converse_tool_config().expect("tool config");
        let prompt = converse::user_text(common::STATS_PROMPT).expect("prompt");
        let lp = ConverseLoop::new(common::DEFAULT_MODEL_ID).tools(tool_config.clone());

        // The direct calls replay the loop's conversation, built once.
        let first =
            lp.run(&clients.bedrock, vec![prompt.clone()], &handler, |_| {}).await.expect("loop");
        assert_eq!(first.round_trips, 2);
        let turn1 = vec![prompt.clone()];
        let turn2 = first.messages[..3].to_vec();
        assert!(matches!(turn2[2].content().first(), Some(ContentBlock::ToolResult(_))));
        assert_eq!(turn2[2].role(), &ConversationRole::User);

        let mut looped = Vec::with_capacity(runs);
        let mut direct = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let report = lp
                .run(&clients.bedrock, vec![prompt.clone()], &handler, |_| {})
                .await
                .expect("loop");
            looped.push(t.elapsed().as_secs_f64() * 1e6 / report.round_trips as f64);

            let t = Instant::now();
            converse(&clients.bedrock, turn1.clone(), &tool_config).await;
            converse(&clients.bedrock, turn2.clone(), &tool_config).await;
            direct.push(t.elapsed().as_secs_f64() * 1e6 / 2.0);
        }
        let looped = median(&mut looped);
        let direct = median(&mut direct);
        figure("loop_round_trip_us", format!("{looped:.0}"));
        figure("direct_round_trip_us", format!("{direct:.0}"));
        figure("loop_overhead_us", format!("{:.0}", (looped - direct).max(0.0)));

        // History copies: the loop hands the SDK a copy of the history on every call,
        // so a conversation of n turns copies O(n) messages per call, the same order
        // as serialising the request the API needs anyway. Time the copy alone.
        let mut history = first.messages.clone();
        for turns in [10usize, 100] {
            while history.len() < turns {
                history.extend_from_slice(&first.messages[1..3]);
            }
            let t = Instant::now();
            let reps = 2000;
            for _ in 0..reps {
                std::hint::black_box(history.clone());
            }
            let per_call = t.elapsed().as_secs_f64() * 1e6 / f64::from(reps);
            figure(&format!("history_copy_{turns}_msgs_us"), format!("{per_call:.1}"));
        }
        drop(clients);
        tokio::time::sleep(Duration::from_millis(50)).await;
    });
}
