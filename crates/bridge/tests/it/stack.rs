//! A bridge in this process on an emulator in this process: faults can be injected
//! into Bedrock and AgentCore, sessions counted, and the wire read as it arrives.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge::{Bridge, BridgeConfig};
use emulator::Emulator;
use futures::StreamExt;
use serde_json::{Value, json};

/// The key the tests' bridges take.
pub const KEY: &str = "sk-bridge-test";

pub struct Stack {
    pub emulator: Emulator,
    pub url: String,
    pub http: reqwest::Client,
    _files: tempfile::TempDir,
    _bridge: Arc<Bridge>,
}

impl Stack {
    /// A bridge whose Bedrock and AgentCore calls are not retried by the SDK (so an
    /// injected fault reaches the bridge itself), pinging every 200 ms.
    pub async fn start(configure: impl FnOnce(&mut BridgeConfig)) -> Stack {
        let emulator = Emulator::builder().progress(false).start().await.unwrap();
        let aws = emulator
            .sdk_config_builder()
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        let files = tempfile::tempdir().unwrap();
        let mut config = BridgeConfig::with_keys([KEY]);
        config.store = Arc::new(bridge::files::LocalDir::new(files.path()));
        config.ping_interval = Duration::from_millis(200);
        configure(&mut config);
        let bridge = Bridge::new(&aws, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = bridge.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Stack { emulator, url, http: reqwest::Client::new(), _files: files, _bridge: bridge }
    }

    /// `POST /v1/messages` with the API's headers.
    pub fn messages(&self, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/v1/messages", self.url))
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01")
            .json(body)
    }

    /// The environment that points an SDK at this bridge.
    pub fn sdk_env(&self) -> Vec<(&'static str, String)> {
        vec![("ANTHROPIC_BASE_URL", self.url.clone()), ("ANTHROPIC_API_KEY", KEY.to_owned())]
    }

    /// Waits (up to 10 s) until no session is left running.
    pub async fn no_session_left(&self) -> bool {
        for _ in 0..200 {
            if self.emulator.live_sessions() == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

/// A request of `prompt` with the code execution tool `version`.
pub fn request(prompt: &str, version: &str, stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-6", "max_tokens": 4096, "stream": stream,
           "messages": [{"role": "user", "content": prompt}],
           "tools": [{"type": version, "name": "code_execution"}]})
}

/// The events of a stream as they arrive: when (since `since`) and what.
pub async fn events(response: reqwest::Response, since: Instant) -> Vec<(Duration, Value)> {
    let mut seen = Vec::new();
    let mut pending = String::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else { break };
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let frame: String = pending.drain(..end + 2).collect();
            let data = frame.lines().find_map(|line| line.strip_prefix("data: "));
            if let Some(data) = data {
                seen.push((since.elapsed(), serde_json::from_str(data).unwrap()));
            }
        }
    }
    seen
}

/// The `type` of each event.
pub fn kinds(events: &[(Duration, Value)]) -> Vec<&str> {
    events.iter().map(|(_, e)| e["type"].as_str().unwrap()).collect()
}
