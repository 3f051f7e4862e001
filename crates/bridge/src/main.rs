//! The bridge as a server: `cargo run -p bridge -- --local` offline (the embedded
//! emulator plays Bedrock and AgentCore), or against AWS with the default credential
//! chain. The first line on stdout is `READY <url>`, then the `export` lines that
//! point an Anthropic SDK at it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use bridge::{Bridge, BridgeConfig};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    about = "The Anthropic Messages API with the code execution tool, on Bedrock + AgentCore"
)]
struct Args {
    /// Address to listen on (use 0.0.0.0 behind a load balancer).
    #[arg(long, env = "BRIDGE_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Key clients must send (repeatable); default: a random one, printed at start.
    #[arg(
        long = "api-key",
        env = "BRIDGE_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    api_keys: Vec<String>,
    /// File of `anthropic-model-name=bedrock-model-id` lines added to the built-in map.
    #[arg(long, env = "BRIDGE_MODEL_MAP")]
    model_map: Option<PathBuf>,
    /// The code interpreter whose sessions are the containers.
    #[arg(long, env = "BRIDGE_CODE_INTERPRETER", default_value = agentcore_session::SYSTEM_INTERPRETER_ID)]
    code_interpreter: String,
    /// Lifetime of a container, in seconds (its session's timeout; AgentCore takes at
    /// most 28800, eight hours).
    #[arg(long, env = "BRIDGE_CONTAINER_SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(i32).range(1..=28800))]
    container_seconds: i32,
    /// Where files (uploads, files the code writes) and skills are kept: a local
    /// directory, or `s3://bucket/prefix` for a fleet of replicas; default:
    /// `anthropic-bridge-files` in the system's temporary directory.
    #[arg(long = "files", visible_alias = "files-dir", env = "BRIDGE_FILES")]
    files: Option<String>,
    /// Address S3 with path-style URLs (for an S3-compatible server such as MinIO or
    /// moto; AWS's own S3 needs no flag).
    #[arg(long, env = "BRIDGE_S3_PATH_STYLE")]
    s3_path_style: bool,
    /// Model calls of one request before it answers `pause_turn`.
    #[arg(long, env = "BRIDGE_MAX_STEPS", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    max_steps: u16,
    /// Seconds one request may run before it answers `pause_turn`.
    #[arg(long, env = "BRIDGE_TURN_SECONDS", default_value_t = 600)]
    turn_seconds: u64,
    /// Seconds code may wait for the result of a tool call it made (programmatic tool
    /// calling) before the call fails.
    #[arg(long, env = "BRIDGE_TOOL_WAIT_SECONDS", default_value_t = 270)]
    tool_wait_seconds: u64,
    /// Seconds between `ping` events of a stream while a tool runs (keeps proxies and
    /// load balancers from timing out an idle connection).
    #[arg(long, env = "BRIDGE_PING_SECONDS", default_value_t = 5.0)]
    ping_seconds: f64,
    /// This replica's name, sent as `x-bridge-replica` on every response (to see which
    /// replica of a fleet served a request).
    #[arg(long, env = "BRIDGE_REPLICA")]
    replica: Option<String>,
    /// Leave containers running at shutdown (other replicas may still serve them).
    #[arg(long, env = "BRIDGE_KEEP_CONTAINERS")]
    keep_containers: bool,
    /// Offline: Bedrock and AgentCore from the embedded emulator.
    #[arg(long, env = "BRIDGE_LOCAL")]
    local: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "bridge=info".into()),
        )
        .init();
    let args = Args::parse();
    let mut config = BridgeConfig::with_keys(args.api_keys.clone());
    if config.api_keys.is_empty() {
        config.api_keys.push(random_key());
    }
    if let Some(path) = &args.model_map {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading --model-map {}", path.display()))?;
        config
            .models
            .extend_from_lines(&text)
            .map_err(anyhow::Error::msg)
            .context("in --model-map")?;
    }
    config.interpreter_id = args.code_interpreter.clone();
    config.container_seconds = args.container_seconds;
    config.max_steps = usize::from(args.max_steps);
    config.turn_budget = std::time::Duration::from_secs(args.turn_seconds);
    config.tool_wait = std::time::Duration::from_secs(args.tool_wait_seconds);
    anyhow::ensure!(
        args.ping_seconds.is_finite() && args.ping_seconds > 0.0,
        "--ping-seconds must be a positive number of seconds"
    );
    config.ping_interval = std::time::Duration::from_secs_f64(args.ping_seconds);
    let key = config.api_keys[0].clone();

    let (aws, _emulator) = aws(args.local).await?;
    if let Some(files) = &args.files {
        config.store = store(&aws, files, args.s3_path_style)?;
        if files.starts_with("s3://") && !args.keep_containers {
            tracing::warn!(
                "a shared S3 store usually means a fleet: without --keep-containers this \
                 replica stops the containers it started when it shuts down, though other \
                 replicas may still be serving them"
            );
        }
    }
    let bridge = Bridge::new(&aws, config);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY {url}")?;
    writeln!(out, "export ANTHROPIC_BASE_URL={url}")?;
    writeln!(out, "export ANTHROPIC_API_KEY={key}")?;
    out.flush()?;
    drop(out);

    let mut router = bridge.router();
    if let Some(name) = args.replica.as_deref() {
        let value = axum::http::HeaderValue::from_str(name).context("--replica")?;
        router = router.layer(axum::middleware::map_response(
            move |mut response: axum::response::Response| {
                let value = value.clone();
                async move {
                    response.headers_mut().insert("x-bridge-replica", value);
                    response
                }
            },
        ));
    }
    // Stops accepting at SIGTERM and lets requests in flight (streams too) finish.
    axum::serve(listener, router).with_graceful_shutdown(stop_signal()).await?;
    if !args.keep_containers {
        let stopped = bridge.stop_containers().await;
        tracing::info!(stopped, "containers stopped");
    }
    Ok(())
}

/// The store `--files` names: `s3://bucket/prefix`, or a directory.
fn store(
    aws: &aws_config::SdkConfig, files: &str, path_style: bool,
) -> anyhow::Result<std::sync::Arc<dyn bridge::files::ObjectStore>> {
    if files.starts_with("s3://") {
        #[cfg(feature = "s3")]
        {
            let store = bridge::files::s3::S3Store::new(aws, files, path_style)
                .map_err(anyhow::Error::msg)
                .context("in --files")?;
            return Ok(std::sync::Arc::new(store));
        }
        #[cfg(not(feature = "s3"))]
        {
            let _ = (aws, path_style);
            anyhow::bail!("--files {files}: this build has no S3 store (the `s3` feature)");
        }
    }
    Ok(std::sync::Arc::new(bridge::files::LocalDir::new(PathBuf::from(files))))
}

/// AWS settings: the default chain, or the embedded emulator with `--local`.
#[cfg(all(feature = "local", unix))]
async fn aws(local: bool) -> anyhow::Result<(aws_config::SdkConfig, Option<emulator::Emulator>)> {
    if !local {
        return Ok((aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await, None));
    }
    let emulator =
        emulator::Emulator::builder().start().await.context("starting the embedded emulator")?;
    let aws = emulator.sdk_config_builder().build();
    Ok((aws, Some(emulator)))
}

#[cfg(not(all(feature = "local", unix)))]
async fn aws(local: bool) -> anyhow::Result<(aws_config::SdkConfig, Option<()>)> {
    anyhow::ensure!(
        !local,
        "--local needs the embedded emulator: build with the `local` feature on Linux or macOS"
    );
    Ok((aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await, None))
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// A random key for this run, when no `--api-key` is given.
fn random_key() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    let suffix: String = rand::rng().sample_iter(&Alphanumeric).take(24).map(char::from).collect();
    format!("sk-bridge-{suffix}")
}
