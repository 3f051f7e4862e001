//! Shared command-line flags and the SDK clients built from them.
//!
//! Against AWS the clients come from `aws-config`'s default chain (environment,
//! profile, SSO, instance roles...). With `--local` an emulator starts inside this
//! process and every client is pointed at it with its own credentials.

use std::time::Duration;

use agentcore_session::policy::{self, DEFAULT_READ_TIMEOUT, retry_config, timeout_config};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use clap::builder::BoolishValueParser;

use crate::error::Error;

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("'{text}' is not a positive number of seconds"))
}

/// The flags every example shares. Flatten it into an example's `Args`.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// AWS region of Bedrock and AgentCore.
    #[arg(long, env = "AWS_REGION", default_value = "us-west-2")]
    pub region: String,

    /// Named profile from ~/.aws/config (default chain when absent).
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,

    /// Bedrock model id (each example has its own default).
    #[arg(long, env = "BEDROCK_MODEL_ID")]
    pub model: Option<String>,

    /// Run offline against the embedded emulator instead of AWS.
    #[arg(long, env = "MIGRATION_LOCAL", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub local: bool,

    /// Print one JSON object on stdout instead of the human output.
    #[arg(long, env = "MIGRATION_JSON", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub json: bool,

    /// Seconds to wait for a response or the next event of a stream (AgentCore's
    /// Python SDK uses 300 for code calls).
    #[arg(long, env = "MIGRATION_READ_TIMEOUT", default_value = "300", value_parser = parse_seconds)]
    pub read_timeout: Duration,

    /// Debug logs on stderr.
    #[arg(long, env = "MIGRATION_VERBOSE", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub verbose: bool,
}

impl CommonArgs {
    /// The defaults of every flag with `--local`: what tests and benches use.
    pub fn offline() -> Self {
        Self {
            region: "us-west-2".to_owned(),
            profile: None,
            model: None,
            local: true,
            json: false,
            read_timeout: DEFAULT_READ_TIMEOUT,
            verbose: false,
        }
    }

    /// The `--model` value, or the example's default.
    pub fn model_or(&self, default: &str) -> String {
        self.model.clone().unwrap_or_else(|| default.to_owned())
    }

    /// What the example prints: lines, or with `--json` one report.
    pub fn printer(&self) -> crate::printer::Printer {
        crate::printer::Printer::new(self.json)
    }

    /// Builds the clients: against AWS (checking up front that credentials
    /// exist), or with `--local` against a freshly started embedded emulator.
    /// Logging starts here too (see [`init_tracing`]), so `main` needs no set-up.
    pub async fn connect(&self) -> Result<Clients, Error> {
        init_tracing(self.verbose);
        if self.local {
            return self.connect_local().await;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .retry_config(retry_config())
            .timeout_config(timeout_config(self.read_timeout));
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        let sdk_config = loader.load().await;
        check_credentials(&sdk_config).await?;
        Ok(Clients::with_read_timeout(sdk_config, AnthropicEndpoint::from_env(), self.read_timeout))
    }

    #[cfg(all(feature = "local", unix))]
    async fn connect_local(&self) -> Result<Clients, Error> {
        crate::local::connect(self).await
    }

    #[cfg(not(all(feature = "local", unix)))]
    async fn connect_local(&self) -> Result<Clients, Error> {
        Err(Error::LocalUnavailable)
    }
}

async fn check_credentials(sdk_config: &SdkConfig) -> Result<(), Error> {
    let Some(provider) = sdk_config.credentials_provider() else {
        return Err(Error::NoCredentials("no credentials provider is configured".into()));
    };
    provider.provide_credentials().await.map(|_| ()).map_err(|err| Error::NoCredentials(err.into()))
}

/// Where example 00 sends Anthropic Messages API calls.
#[derive(Debug, Clone)]
pub struct AnthropicEndpoint {
    /// `https://api.anthropic.com`, `ANTHROPIC_BASE_URL`, or the emulator.
    pub base_url: String,
    /// `ANTHROPIC_API_KEY`, or the emulator's key.
    pub api_key: Option<String>,
}

impl AnthropicEndpoint {
    /// The Anthropic API as the official SDKs find it: `ANTHROPIC_BASE_URL`
    /// (default `https://api.anthropic.com`) and `ANTHROPIC_API_KEY`.
    pub fn from_env() -> Self {
        Self {
            base_url: std::env::var("ANTHROPIC_BASE_URL")
                .ok()
                .filter(|url| !url.is_empty())
                .unwrap_or_else(|| "https://api.anthropic.com".to_owned()),
            api_key: std::env::var("ANTHROPIC_API_KEY").ok().filter(|key| !key.is_empty()),
        }
    }
}

/// Every client an example may need, all built from one `SdkConfig`.
#[derive(Debug)]
pub struct Clients {
    /// The shared settings (region, credentials, endpoint override).
    pub sdk_config: SdkConfig,
    /// AgentCore data plane: sessions and tool invocations.
    pub agentcore: aws_sdk_bedrockagentcore::Client,
    /// AgentCore control plane: custom code interpreters.
    pub control: aws_sdk_bedrockagentcorecontrol::Client,
    /// Bedrock Runtime: Converse and InvokeModel.
    pub bedrock: aws_sdk_bedrockruntime::Client,
    /// IAM (example 05's role).
    pub iam: aws_sdk_iam::Client,
    /// STS (caller identity).
    pub sts: aws_sdk_sts::Client,
    /// The Anthropic API (example 00).
    pub anthropic: AnthropicEndpoint,
    /// The embedded emulator behind the clients (`--local`), kept alive with them.
    #[cfg(all(feature = "local", unix))]
    pub(crate) emulator: Option<emulator::Emulator>,
    /// The bridge that serves the Anthropic API on top of it (`--local`).
    #[cfg(all(feature = "local", unix))]
    pub(crate) bridge: Option<crate::local::LocalBridge>,
}

impl Clients {
    /// Clients for an `SdkConfig`, the AgentCore one with the read timeout `read`
    /// ([`DEFAULT_READ_TIMEOUT`] unless `--read-timeout` says otherwise).
    pub fn with_read_timeout(
        sdk_config: SdkConfig, anthropic: AnthropicEndpoint, read: Duration,
    ) -> Self {
        Self {
            agentcore: policy::client(&sdk_config, read),
            control: aws_sdk_bedrockagentcorecontrol::Client::new(&sdk_config),
            bedrock: aws_sdk_bedrockruntime::Client::new(&sdk_config),
            iam: aws_sdk_iam::Client::new(&sdk_config),
            sts: aws_sdk_sts::Client::new(&sdk_config),
            sdk_config,
            anthropic,
            #[cfg(all(feature = "local", unix))]
            emulator: None,
            #[cfg(all(feature = "local", unix))]
            bridge: None,
        }
    }

    /// An AgentCore data-plane client like [`Clients::agentcore`] with a longer
    /// read timeout, for code calls that run for minutes.
    pub fn agentcore_with_read_timeout(&self, read: Duration) -> aws_sdk_bedrockagentcore::Client {
        policy::client(&self.sdk_config, read)
    }

    /// The embedded emulator, when running with `--local` (feature `local`).
    #[cfg(all(feature = "local", unix))]
    pub fn emulator(&self) -> Option<&emulator::Emulator> {
        self.emulator.as_ref()
    }

    /// True when the clients talk to the embedded emulator.
    pub fn is_local(&self) -> bool {
        #[cfg(all(feature = "local", unix))]
        {
            self.emulator.is_some()
        }
        #[cfg(not(all(feature = "local", unix)))]
        {
            false
        }
    }
}

/// Logs to stderr: warnings by default, debug with `verbose`. `RUST_LOG` wins
/// when set. Calling it twice is harmless.
///
/// Without `RUST_LOG` the filter is a plain target list: `EnvFilter` compiles its
/// directives with regular expressions, which costs every run start-up time and
/// resident memory for nothing.
pub fn init_tracing(verbose: bool) {
    use tracing::Level;
    use tracing_subscriber::filter::{EnvFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, fmt};

    let output = fmt::layer().with_writer(std::io::stderr);
    let layer = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => {
            output.with_filter(EnvFilter::new(directives)).boxed()
        }
        _ if verbose => {
            let quieter = [
                "hyper",
                "hyper_util",
                "h2",
                "rustls",
                "aws_smithy_runtime",
                "aws_smithy_runtime_api",
                "aws_smithy_http",
                "aws_sigv4",
                "tower",
            ];
            let targets = Targets::new()
                .with_default(Level::DEBUG)
                .with_targets(quieter.map(|target| (target, Level::INFO)));
            output.with_filter(targets).boxed()
        }
        // The credential chain warns about every provider it tried; the error
        // returned by `connect` already says what to do.
        _ => {
            let targets =
                Targets::new().with_default(Level::WARN).with_target("aws_config", Level::ERROR);
            output.with_filter(targets).boxed()
        }
    };
    // A subscriber that is already set (tests, a second call) is fine.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
