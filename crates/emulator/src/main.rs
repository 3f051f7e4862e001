//! `emulator`: runs the offline emulator until Ctrl-C.
//!
//! The first line on stdout is `READY http://127.0.0.1:<port>`, then the shell lines
//! (`unset` of what would send clients elsewhere, `export` of the endpoint, keys and
//! region) that point any SDK at it, ending with a comment that says so:
//!
//! ```text
//! cargo run -p emulator     # then paste the export lines into another shell
//! ```
//!
//! It stops on Ctrl-C (SIGINT) or SIGTERM, ending every live session first.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use emulator::Emulator;

/// Offline emulator of Bedrock Runtime, AgentCore Code Interpreter and IAM/STS (the
/// Anthropic Messages API on top of it: `cargo run -p bridge -- --local`).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "EMULATOR_PORT", default_value_t = 0)]
    port: u16,
    /// Address and port to listen on instead (`0.0.0.0:8000` in a container);
    /// anything but loopback needs --allow-remote.
    #[arg(long, env = "EMULATOR_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// Answer on a non-loopback address and for any Host header: only where the
    /// port is not reachable from other machines (a container's port published on
    /// the host's 127.0.0.1). Requests must still be signed with its credentials.
    #[arg(long, env = "EMULATOR_ALLOW_REMOTE")]
    allow_remote: bool,
    /// Region to report.
    #[arg(long, env = "EMULATOR_REGION", default_value = "us-west-2")]
    region: String,
    /// Access key id clients must sign with (default: a fixed local id).
    #[arg(long, env = "EMULATOR_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    /// Secret access key clients must sign with (default: random per start).
    #[arg(long, env = "EMULATOR_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: Option<String>,
    /// Bedrock API key clients may send as a bearer token (default: random per start).
    #[arg(long, env = "EMULATOR_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Python for the sandbox (default: a provisioned venv with --packages).
    #[arg(long, env = "AGENTCORE_EMULATOR_PYTHON")]
    python: Option<PathBuf>,
    /// AgentCore's pre-installed packages in the provisioned Python: `common` (numpy,
    /// pandas, matplotlib, scipy, scikit-learn, requests, lxml, openpyxl, pillow, ...;
    /// a minute or two on first use) or `full` (the whole documented list: torch,
    /// spacy, opencv, Django, ...; several GB).
    #[arg(long, env = "AGENTCORE_EMULATOR_PACKAGES", default_value = "common", value_parser = emulator::PackageSet::parse)]
    packages: emulator::PackageSet,
    /// Time limit of one executeCode / executeCommand call, in seconds.
    #[arg(long, env = "EMULATOR_CALL_TIMEOUT", default_value_t = 60)]
    call_timeout: u64,
    /// Memory (address-space) limit of each sandbox process, in MiB (0: none).
    #[arg(long, env = "EMULATOR_MEMORY_LIMIT_MB", default_value_t = 2048)]
    memory_limit_mb: u64,
    /// Cap on captured stdout and stderr per call, in KiB.
    #[arg(long, env = "EMULATOR_OUTPUT_LIMIT_KB", default_value_t = 1024)]
    output_limit_kb: usize,
    /// Modules idle pooled interpreters import ahead of use, comma-separated
    /// ("" for none): the first `import numpy` of a session is then free.
    #[arg(long, env = "EMULATOR_PRELOAD", default_value = "numpy")]
    preload: String,
    /// Directory of extra model transcripts (*.toml).
    #[arg(long, env = "AGENTCORE_EMULATOR_TRANSCRIPTS")]
    transcripts: Option<PathBuf>,
    /// Sandbox isolation: `auto` (bubblewrap, else Landlock, else plain processes),
    /// `required` (refuse to start with neither), `bubblewrap`, `landlock`, `off`.
    #[arg(long, env = "AGENTCORE_EMULATOR_ISOLATION", default_value = "auto", value_parser = emulator::IsolationMode::parse)]
    isolation: emulator::IsolationMode,
    /// Inject a fault: OPERATION:KIND[:WHEN], e.g. converse:throttle:2 (repeatable).
    #[arg(long = "fault", value_name = "SPEC", value_parser = emulator::Fault::parse, long_help = emulator::FAULT_SYNTAX)]
    faults: Vec<emulator::Fault>,
    /// Provision the sandbox Python (--packages) and exit: for an image or a CI
    /// cache that should start at once and offline.
    #[arg(long)]
    provision_only: bool,
    #[command(flatten)]
    record: RecordArgs,
}

/// Record mode: model calls go to a real endpoint and are written as transcripts.
#[derive(Debug, clap::Args)]
struct RecordArgs {
    /// Send Converse/InvokeModel calls (and their streaming forms) to this Bedrock Runtime
    /// URL and record the replies; `aws` means https://bedrock-runtime.<region>.amazonaws.com.
    #[arg(long, env = "EMULATOR_RECORD_UPSTREAM")]
    record_upstream: Option<String>,
    /// Also send AgentCore session and tool calls to this data-plane URL instead of the local
    /// sandbox; `aws` means https://bedrock-agentcore.<region>.amazonaws.com.
    #[arg(long, env = "EMULATOR_RECORD_AGENTCORE_UPSTREAM", requires = "record_upstream")]
    record_agentcore_upstream: Option<String>,
    /// Directory the recorded transcripts are written to (replay with --transcripts DIR).
    #[arg(long, env = "EMULATOR_RECORD_DIR", default_value = "recorded-transcripts")]
    record_dir: PathBuf,
    /// Region the upstream requests are signed for [default: --region].
    #[arg(long, env = "EMULATOR_RECORD_REGION")]
    record_region: Option<String>,
    /// Upstream access key id [default: the AWS default credential chain].
    #[arg(long, env = "EMULATOR_RECORD_ACCESS_KEY_ID", requires = "record_secret_access_key")]
    record_access_key_id: Option<String>,
    /// Upstream secret access key.
    #[arg(long, env = "EMULATOR_RECORD_SECRET_ACCESS_KEY", hide_env_values = true)]
    record_secret_access_key: Option<String>,
    /// Upstream session token, with temporary credentials.
    #[arg(long, env = "EMULATOR_RECORD_SESSION_TOKEN", hide_env_values = true)]
    record_session_token: Option<String>,
    /// A Bedrock API key: model calls send `Authorization: Bearer` instead of SigV4.
    #[arg(long, env = "AWS_BEARER_TOKEN_BEDROCK", hide_env_values = true)]
    record_bearer_token: Option<String>,
    /// Turn numbers in final answers into captures when a tool result printed them.
    #[arg(long, env = "EMULATOR_RECORD_CAPTURES")]
    record_captures: bool,
}

impl RecordArgs {
    fn config(&self, region: &str) -> Option<emulator::RecordConfig> {
        let upstream = self.record_upstream.as_ref()?;
        let region = self.record_region.clone().unwrap_or_else(|| region.to_owned());
        let resolve = |url: &str, host: &str| {
            if url == "aws" {
                format!("https://{host}.{region}.amazonaws.com")
            } else {
                url.to_owned()
            }
        };
        let credentials = match (&self.record_access_key_id, &self.record_secret_access_key) {
            (Some(id), Some(secret)) => Some(aws_credential_types::Credentials::new(
                id,
                secret,
                self.record_session_token.clone(),
                None,
                "emulator-record-flags",
            )),
            _ => None,
        };
        Some(emulator::RecordConfig {
            upstream: resolve(upstream, "bedrock-runtime"),
            agentcore_upstream: self
                .record_agentcore_upstream
                .as_deref()
                .map(|url| resolve(url, "bedrock-agentcore")),
            dir: self.record_dir.clone(),
            region: region.clone(),
            auth: emulator::UpstreamAuth {
                credentials,
                bearer_token: self.record_bearer_token.clone(),
            },
            captures: self.record_captures,
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "emulator=info".into()),
        )
        .init();
    let args = Args::parse();
    // Before anything starts a sandbox.
    emulator::choose_isolation(args.isolation).map_err(anyhow::Error::msg)?;

    if args.provision_only {
        let cache = emulator::default_cache_dir();
        let python = emulator::provision_python(&cache, args.packages, true)
            .context("provisioning the sandbox Python")?;
        println!("{}", python.display());
        return Ok(());
    }
    let record = args.record.config(&args.region);
    let mut builder = Emulator::builder()
        .port(args.port)
        .allow_remote(args.allow_remote)
        .region(args.region)
        .call_timeout(Duration::from_secs(args.call_timeout))
        .memory_limit_bytes(
            (args.memory_limit_mb > 0).then_some(args.memory_limit_mb * 1024 * 1024),
        )
        .output_limit_bytes(args.output_limit_kb * 1024)
        .packages(args.packages)
        .preload_modules(args.preload.split(',').map(str::trim).filter(|m| !m.is_empty()));
    if args.access_key_id.is_some() || args.secret_access_key.is_some() {
        let defaults = emulator::EmulatorConfig::default();
        builder = builder.credentials(
            args.access_key_id.unwrap_or(defaults.access_key_id),
            args.secret_access_key.unwrap_or(defaults.secret_access_key),
        );
    }
    if let Some(addr) = args.listen {
        builder = builder.listen(addr);
    }
    if let Some(key) = args.api_key {
        builder = builder.api_key(key);
    }
    if let Some(python) = args.python {
        builder = builder.python(python);
    }
    for fault in args.faults {
        builder = builder.fault(fault);
    }
    if let Some(dir) = args.transcripts {
        builder = builder.transcripts_dir(dir);
    }
    if let Some(record) = record {
        eprintln!(
            "emulator: record mode: model calls go to {}{}; transcripts are written to {}",
            record.upstream,
            record
                .agentcore_upstream
                .as_deref()
                .map(|url| format!(", AgentCore sessions to {url}"))
                .unwrap_or_default(),
            record.dir.display()
        );
        builder = builder.record(record);
    }
    let emulator = builder.start().await.context("starting the emulator")?;
    // Listen for SIGTERM before announcing readiness, so a script that reads READY and
    // then stops us is never met by the default (abrupt) handler.
    let stop = stop_signal()?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "READY {}", emulator.endpoint())?;
    // A shell comment, so the lines can still be pasted or sourced as they are.
    writeln!(out, "# sandbox isolation: {}", emulator::describe_isolation())?;
    write!(out, "{}", emulator.shell_setup())?;
    writeln!(
        out,
        "# Bedrock API key, for clients that send a bearer token instead of signing \
         (boto3 sends one over HTTPS only, so it is not exported): {}",
        emulator.api_key()
    )?;
    writeln!(out, "# paste the lines above, after READY, into the shell that runs your client")?;
    out.flush()?;
    drop(out);

    stop.await?;
    eprintln!("emulator: stopping ({} live session(s) ended)", emulator.live_sessions());
    emulator.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (what `kill` and process managers send). The
/// handlers are installed when this is called, not when it is awaited.
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = anyhow::Result<()>>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing a SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        Ok(())
    })
}
