//! Figures of the bridge as a fleet, printed as `FIGURE <key> <value>` lines for
//! `scripts/bench.sh`: 1,000 conversations through haproxy in front of three
//! replicas (the fleet test's set-up: moto's S3 server for files, one emulator for
//! Bedrock and AgentCore). Each conversation starts a container with the
//! mean/standard-deviation prompt, then asks about the script in it (a second
//! request, which round robin sends to another replica), then its container is
//! stopped as an expired one would be. Throughput, the bridge's own time per request
//! (p50/p99, from `Server-Timing`), the requests each replica served, and each
//! replica's memory and CPU time at the end.
//!
//! ```text
//! cargo bench -p bridge --bench fleet             # 1,000 conversations
//! cargo bench -p bridge --bench fleet -- --quick  # 100
//! ```
//!
//! It needs haproxy and moto's server (`.ci/run` installs both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(unix)]
#[path = "../tests/it/fleet_harness.rs"]
mod fleet_harness;

#[cfg(unix)]
mod fleet {
    use std::collections::BTreeMap;
    use std::time::Instant;

    use futures::StreamExt;
    use serde_json::{Value, json};

    use crate::fleet_harness::{FLEET_KEY, Fleet};

    const PROMPT: &str =
        "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    const FOLLOW_UP: &str = "Show me the first line of stats.py";
    const AT_ONCE: usize = 16;

    /// What one request gave: its answer, the bridge's own milliseconds, the replica.
    struct Served {
        answer: Value,
        own_ms: f64,
        replica: String,
    }

    async fn ask(
        http: &reqwest::Client, url: &str, prompt: &str, container: Option<&str>, expect: &str,
    ) -> Result<Served, String> {
        let mut body = json!({
            "model": "claude-sonnet-4-6", "max_tokens": 4096,
            "messages": [{"role": "user", "content": prompt}],
            "tools": [{"type": "code_execution_20250825", "name": "code_execution"}],
        });
        if let Some(container) = container {
            body["container"] = json!(container);
        }
        let response = http
            .post(format!("{url}/v1/messages"))
            .header("x-api-key", FLEET_KEY)
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let header = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let own_ms = header("server-timing")
            .and_then(|v| v.split("bridge;dur=").nth(1).and_then(|v| v.parse::<f64>().ok()))
            .ok_or("no server-timing header")?;
        let replica = header("x-bridge-replica").ok_or("no x-bridge-replica header")?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() || !answer.to_string().contains(expect) {
            return Err(format!("{status}: {answer}"));
        }
        Ok(Served { answer, own_ms, replica })
    }

    /// One conversation: two requests in one container, then the container stopped.
    async fn conversation(
        http: &reqwest::Client, url: &str, agentcore: &aws_sdk_bedrockagentcore::Client,
    ) -> Result<Vec<Served>, String> {
        let first = ask(http, url, PROMPT, None, "5.5").await?;
        let id = first.answer["container"]["id"].as_str().ok_or("no container")?.to_owned();
        let second = ask(http, url, FOLLOW_UP, Some(&id), "import numpy as np").await;
        let container = bridge::Container::from_id(&id).ok_or("not a container id")?;
        agentcore
            .stop_code_interpreter_session()
            .code_interpreter_identifier(&container.interpreter_id)
            .session_id(&container.session_id)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        Ok(vec![first, second?])
    }

    fn percentile(sorted: &[f64], p: f64) -> f64 {
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index.min(sorted.len() - 1)]
    }

    pub async fn run(quick: bool) {
        let Some(fleet) = Fleet::start().await else {
            println!("bridge fleet: haproxy or moto's server is missing; nothing measured");
            return;
        };
        let conversations = if quick { 100 } else { 1000 };
        let http = reqwest::Client::new();
        let agentcore =
            aws_sdk_bedrockagentcore::Client::new(&fleet.emulator.sdk_config_builder().build());
        let rss_start: Vec<u64> = (0..3).map(|i| fleet.rss_kib(i)).collect();
        let started = Instant::now();
        let runs: Vec<Result<Vec<Served>, String>> = futures::stream::iter(0..conversations)
            .map(|_| conversation(&http, &fleet.url, &agentcore))
            .buffer_unordered(AT_ONCE)
            .collect()
            .await;
        let elapsed = started.elapsed().as_secs_f64();
        let errors: Vec<&String> = runs.iter().filter_map(|r| r.as_ref().err()).collect();
        if let Some(first) = errors.first() {
            eprintln!("first of {} errors: {first}", errors.len());
        }
        let served: Vec<&Served> = runs.iter().flatten().flatten().collect();
        let mut own: Vec<f64> = served.iter().map(|s| s.own_ms).collect();
        own.sort_by(f64::total_cmp);
        let mut per_replica: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &served {
            *per_replica.entry(s.replica.as_str()).or_default() += 1;
        }
        println!("FIGURE fleet_conversations {conversations}");
        println!("FIGURE fleet_at_once {AT_ONCE}");
        println!("FIGURE fleet_errors {}", errors.len());
        println!("FIGURE fleet_s {elapsed:.1}");
        println!("FIGURE fleet_conversations_per_s {:.1}", conversations as f64 / elapsed);
        println!("FIGURE fleet_requests_per_s {:.1}", served.len() as f64 / elapsed);
        if !own.is_empty() {
            println!("FIGURE fleet_own_p50_ms {:.3}", percentile(&own, 0.5));
            println!("FIGURE fleet_own_p99_ms {:.3}", percentile(&own, 0.99));
        }
        for (i, start) in rss_start.iter().enumerate() {
            let name = format!("replica-{i}");
            println!("FIGURE fleet_{i}_requests {}", per_replica.get(name.as_str()).unwrap_or(&0));
            println!("FIGURE fleet_{i}_rss_start_mb {:.1}", *start as f64 / 1024.0);
            println!("FIGURE fleet_{i}_rss_mb {:.1}", fleet.rss_kib(i) as f64 / 1024.0);
            println!("FIGURE fleet_{i}_cpu_s {:.2}", fleet.cpu_seconds(i));
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("bridge fleet figures: run `cargo bench -p bridge --bench fleet [-- --quick]`");
        return;
    }
    #[cfg(unix)]
    {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(fleet::run(args.iter().any(|a| a == "--quick")));
    }
    #[cfg(not(unix))]
    println!("bridge fleet figures: the offline emulator needs Linux or macOS");
}
