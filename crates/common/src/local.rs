//! `--local`: the clients pointed at an emulator started inside this process, and
//! the Anthropic API (example 00) at a bridge on top of it.
//!
//! Only with the `local` feature (on by default) and on Linux or macOS, where the
//! emulator's sandbox runs; an AWS-only build (`--no-default-features`) has none of
//! this and does not compile the emulator.

use agentcore_session::policy::{retry_config, timeout_config};
use emulator::Emulator;

use crate::config::{AnthropicEndpoint, Clients, CommonArgs};
use crate::error::Error;

/// Starts the embedded emulator and builds every client against it.
pub(crate) async fn connect(args: &CommonArgs) -> Result<Clients, Error> {
    let emulator = Emulator::builder()
        .region(args.region.clone())
        .start()
        .await
        .map_err(|source| Error::Emulator(source.into()))?;
    tracing::debug!(endpoint = emulator.endpoint(), "using the embedded emulator");
    // Nothing of the caller's AWS environment (keys, Bedrock API key, profile,
    // endpoint variables) reaches these clients.
    let sdk_config = emulator
        .sdk_config_builder()
        .retry_config(retry_config())
        .timeout_config(timeout_config(args.read_timeout))
        .build();
    let key = emulator.api_key().to_owned();
    let bridge = LocalBridge::start(&sdk_config, &key).await?;
    let anthropic = AnthropicEndpoint { base_url: bridge.url.clone(), api_key: Some(key) };
    let mut clients = Clients::with_read_timeout(sdk_config, anthropic, args.read_timeout);
    clients.emulator = Some(emulator);
    clients.bridge = Some(bridge);
    Ok(clients)
}

/// The bridge serving the Anthropic API on the embedded emulator's Bedrock and
/// AgentCore, on a loopback port; it stops when dropped.
#[derive(Debug)]
pub(crate) struct LocalBridge {
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl LocalBridge {
    async fn start(sdk_config: &aws_config::SdkConfig, key: &str) -> Result<Self, Error> {
        let bridge = bridge::Bridge::new(sdk_config, bridge::BridgeConfig::with_keys([key]));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| Error::Emulator(source.into()))?;
        let addr = listener.local_addr().map_err(|source| Error::Emulator(source.into()))?;
        let router = bridge.router();
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::warn!(%err, "the local bridge stopped");
            }
        });
        Ok(Self { url: format!("http://{addr}"), server })
    }
}

impl Drop for LocalBridge {
    fn drop(&mut self) {
        self.server.abort();
    }
}
