//! Figures of the bridge, printed as `FIGURE <key> <value>` lines for
//! `scripts/bench.sh`: its own time per request on top of the Bedrock and AgentCore
//! calls (from its `Server-Timing` header), what it adds before a stream's first
//! event, 100 conversations at once (plain and streaming), and its memory per open
//! conversation and per open stream.
//!
//! The bridge binary runs as its own process against an emulator in this one, so
//! its memory is its own; requests go over HTTP as an SDK's would.
//!
//! ```text
//! cargo bench -p bridge --bench figures             # full run
//! cargo bench -p bridge --bench figures -- --quick  # fewer samples
//! ```
//!
//! Under `cargo test --benches` (no `--bench` argument) it only says how to run it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(unix)]
mod figures {
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    const PROMPT: &str =
        "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";

    struct Bridge {
        child: Child,
        url: String,
        key: String,
    }

    impl Bridge {
        fn start(env: Vec<(&'static str, String)>, files: &std::path::Path) -> Bridge {
            let mut child = Command::new(env!("CARGO_BIN_EXE_bridge"))
                .envs(env)
                .env("RUST_LOG", "off")
                .arg("--files-dir")
                .arg(files)
                .stdout(Stdio::piped())
                .spawn()
                .expect("the bridge starts");
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let mut value = |prefix: &str| {
                let line = lines.next().unwrap().unwrap();
                line.strip_prefix(prefix).unwrap_or_else(|| panic!("{line}")).to_owned()
            };
            let url = value("READY ");
            value("export ANTHROPIC_BASE_URL=");
            let key = value("export ANTHROPIC_API_KEY=");
            Bridge { child, url, key }
        }

        /// Resident memory of the bridge process, in KiB (Linux; 0 elsewhere).
        fn rss_kib(&self) -> u64 {
            let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()));
            status
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("VmRSS:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                })
                .unwrap_or(0)
        }
    }

    impl Drop for Bridge {
        fn drop(&mut self) {
            // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let _ = self.child.wait();
        }
    }

    /// One conversation's request; its answer, and the bridge's own milliseconds.
    async fn ask(
        http: &reqwest::Client, bridge: &Bridge, container: Option<&str>,
    ) -> Result<(Value, f64), String> {
        let mut body = json!({
            "model": "claude-sonnet-4-6", "max_tokens": 4096,
            "messages": [{"role": "user", "content": PROMPT}],
            "tools": [{"type": "code_execution_20250825", "name": "code_execution"}],
        });
        if let Some(container) = container {
            body["container"] = json!(container);
        }
        let response = http
            .post(format!("{}/v1/messages", bridge.url))
            .header("x-api-key", &bridge.key)
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let own = response
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("bridge;dur=").nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or("no server-timing header")?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() || !answer.to_string().contains("5.5") {
            return Err(format!("{status}: {answer}"));
        }
        Ok((answer, own))
    }

    const SLOW: &str = "Run a slow command and tell me what it prints";

    /// A streaming request of the slow prompt: the time to its first event, and
    /// whether it ended with `message_stop` and the command's output.
    async fn stream_slow(http: &reqwest::Client, bridge: &Bridge) -> Result<f64, String> {
        let body = json!({
            "model": "claude-sonnet-4-6", "max_tokens": 4096, "stream": true,
            "messages": [{"role": "user", "content": SLOW}],
            "tools": [{"type": "code_execution_20250825", "name": "code_execution"}],
        });
        let started = Instant::now();
        let mut response = http
            .post(format!("{}/v1/messages", bridge.url))
            .header("x-api-key", &bridge.key)
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let mut seen = String::new();
        let mut first = None;
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        if !seen.contains("event: message_stop") || !seen.contains("finished") {
            return Err(format!(
                "an incomplete stream: {}",
                &seen[seen.len().saturating_sub(300)..]
            ));
        }
        first.ok_or_else(|| "no event".to_owned())
    }

    /// Bedrock's own time to the first event of the same model call, straight from the
    /// emulator through the SDK, as the bridge makes it.
    async fn bedrock_first_event(bedrock: &aws_sdk_bedrockruntime::Client) -> f64 {
        let body = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 4096,
            "messages": [{"role": "user", "content": SLOW}],
            "tools": [{"name": "bash_code_execution", "description": "Run a command",
                       "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
        });
        let started = Instant::now();
        let mut output = bedrock
            .invoke_model_with_response_stream()
            .model_id("global.anthropic.claude-sonnet-4-6")
            .body(aws_sdk_bedrockruntime::primitives::Blob::new(body.to_string()))
            .send()
            .await
            .unwrap();
        let _first = output.body.recv().await.unwrap();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        while output.body.recv().await.unwrap().is_some() {}
        ms
    }

    fn percentile(sorted: &[f64], p: f64) -> f64 {
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index.min(sorted.len() - 1)]
    }

    pub async fn run(quick: bool) {
        let emulator = emulator::Emulator::builder().progress(false).start().await.unwrap();
        let files = tempfile::tempdir().unwrap();
        let bridge = Bridge::start(emulator.env_vars(), files.path());
        let http = reqwest::Client::new();

        // The bridge's own time per request: one container, requests one after another.
        let (first, _) = ask(&http, &bridge, None).await.unwrap();
        let container = first["container"]["id"].as_str().unwrap().to_owned();
        let mut own = Vec::new();
        let mut total = Vec::new();
        for _ in 0..if quick { 20 } else { 100 } {
            let started = Instant::now();
            let (_, ms) = ask(&http, &bridge, Some(&container)).await.unwrap();
            total.push(started.elapsed().as_secs_f64() * 1000.0);
            own.push(ms);
        }
        own.sort_by(f64::total_cmp);
        total.sort_by(f64::total_cmp);
        println!("FIGURE bridge_own_p50_ms {:.3}", percentile(&own, 0.5));
        println!("FIGURE bridge_own_p90_ms {:.3}", percentile(&own, 0.9));
        println!("FIGURE bridge_request_p50_ms {:.1}", percentile(&total, 0.5));
        println!("FIGURE bridge_requests_measured {}", own.len());

        // 100 new conversations at once; then the memory they leave behind.
        let rss_before = bridge.rss_kib();
        let started = Instant::now();
        let runs = futures::future::join_all((0..100).map(|_| ask(&http, &bridge, None))).await;
        let elapsed = started.elapsed();
        let errors: Vec<&String> = runs.iter().filter_map(|r| r.as_ref().err()).collect();
        if let Some(first) = errors.first() {
            eprintln!("first of {} errors: {first}", errors.len());
        }
        let rss_after = bridge.rss_kib();
        println!("FIGURE bridge_concurrent 100");
        println!("FIGURE bridge_concurrent_errors {}", errors.len());
        println!("FIGURE bridge_concurrent_s {:.2}", elapsed.as_secs_f64());
        println!("FIGURE bridge_rss_mb {:.1}", rss_after as f64 / 1024.0);
        println!(
            "FIGURE bridge_rss_per_conversation_kb {:.1}",
            rss_after.saturating_sub(rss_before) as f64 / 100.0
        );

        // Before a stream's first event: the bridge's first event against Bedrock's.
        let bedrock = aws_sdk_bedrockruntime::Client::new(&emulator.sdk_config_builder().build());
        let (mut direct, mut through) = (Vec::new(), Vec::new());
        for _ in 0..if quick { 5 } else { 20 } {
            direct.push(bedrock_first_event(&bedrock).await);
            through.push(stream_slow(&http, &bridge).await.unwrap());
        }
        direct.sort_by(f64::total_cmp);
        through.sort_by(f64::total_cmp);
        let (direct_p50, through_p50) = (percentile(&direct, 0.5), percentile(&through, 0.5));
        println!("FIGURE bridge_stream_first_event_p50_ms {through_p50:.3}");
        println!("FIGURE bedrock_first_event_p50_ms {direct_p50:.3}");
        println!(
            "FIGURE bridge_first_event_added_p50_ms {:.3}",
            (through_p50 - direct_p50).max(0.0)
        );

        // 100 streams at once, each open for the two seconds its command runs: errors,
        // and the memory they hold while open.
        let rss_before = bridge.rss_kib();
        let started = Instant::now();
        let streams = (0..100).map(|_| stream_slow(&http, &bridge));
        let sampler = async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            bridge.rss_kib()
        };
        let (runs, rss_open) = tokio::join!(futures::future::join_all(streams), sampler);
        let errors: Vec<&String> = runs.iter().filter_map(|r| r.as_ref().err()).collect();
        if let Some(first) = errors.first() {
            eprintln!("first of {} stream errors: {first}", errors.len());
        }
        println!("FIGURE bridge_streams 100");
        println!("FIGURE bridge_stream_errors {}", errors.len());
        println!("FIGURE bridge_streams_s {:.2}", started.elapsed().as_secs_f64());
        println!(
            "FIGURE bridge_rss_per_open_stream_kb {:.1}",
            rss_open.saturating_sub(rss_before) as f64 / 100.0
        );
        drop(bridge);
        tokio::time::timeout(Duration::from_secs(60), emulator.shutdown()).await.ok();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("bridge figures: run `cargo bench -p bridge --bench figures [-- --quick]`");
        return;
    }
    #[cfg(unix)]
    {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(figures::run(args.iter().any(|a| a == "--quick")));
    }
    #[cfg(not(unix))]
    println!("bridge figures: the offline emulator needs Linux or macOS");
}
