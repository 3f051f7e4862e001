//! Shared command-line flags and the SDK clients built from them.
//!
//! Against AWS the clients come from `aws-config`'s default chain (environment,
//! profile, SSO, instance roles...). With `--local` an emulator starts inside this
//! process and every client is pointed at it with its own credentials.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use clap::builder::BoolishValueParser;

use crate::error::Error;

/// Attempts per AWS call (the SDK's standard retry policy): a throttled or failed
/// call is tried twice more, with exponential backoff and jitter, before its error
/// is returned as [`Error::RetriesExhausted`].
pub const MAX_ATTEMPTS: u32 = 3;

/// How long opening a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for a response, or for the next event of a stream, by
/// default. AgentCore's own Python SDK reads code-interpreter calls with a 300 s
/// timeout, since one `executeCode` may legitimately run for minutes; the examples
/// use the same. `--read-timeout` (or `MIGRATION_READ_TIMEOUT`) changes it.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// The one operation that is never retried blindly: `InvokeCodeInterpreter` runs
/// user code in a stateful session, so repeating a call that may have reached the
/// sandbox (a 5xx, a timeout, a dropped connection) could run the code twice.
/// Only a throttling answer, which AgentCore sends before anything ran, is retried.
pub const NOT_RETRIED: &str = "InvokeCodeInterpreter";

/// The standard retry policy with [`MAX_ATTEMPTS`].
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// An interceptor of the AgentCore data-plane client that stops the SDK from
/// retrying [`NOT_RETRIED`] once an attempt may have reached the sandbox: after
/// any answer but throttling (429), and after a timeout or a broken connection,
/// the call's attempt budget drops to the attempts already made.
#[derive(Debug, Default, Clone, Copy)]
pub struct InvokeAtMostOnce;

/// Marks, in one call's config bag, that the call is `InvokeCodeInterpreter`.
#[derive(Debug, Clone, Copy)]
struct InvokeCall;

impl Storable for InvokeCall {
    type Storer = StoreReplace<Self>;
}

impl Intercept for InvokeAtMostOnce {
    fn name(&self) -> &'static str {
        "InvokeCodeInterpreter at most once"
    }

    fn modify_before_retry_loop(
        &self, context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents, cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let uri = context.request().uri();
        if uri.split('?').next().unwrap_or_default().ends_with("/tools/invoke") {
            cfg.interceptor_state().store_put(InvokeCall);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self, context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents, cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let failed = context.output_or_error().is_some_and(|outcome| outcome.is_err());
        let throttled =
            context.response().is_some_and(|response| response.status().as_u16() == 429);
        if cfg.load::<InvokeCall>().is_some() && failed && !throttled {
            let attempts = cfg.load::<RequestAttempts>().map_or(1, |attempts| attempts.attempts());
            let retry = cfg.load::<RetryConfig>().cloned().unwrap_or_else(retry_config);
            cfg.interceptor_state().store_put(retry.with_max_attempts(attempts.max(1)));
        }
        Ok(())
    }
}

/// An AgentCore data-plane client for `sdk_config` with [`InvokeAtMostOnce`] and
/// the given read timeout.
pub fn agentcore_client(
    sdk_config: &SdkConfig, read: Duration,
) -> aws_sdk_bedrockagentcore::Client {
    aws_sdk_bedrockagentcore::Client::from_conf(
        aws_sdk_bedrockagentcore::config::Builder::from(sdk_config)
            .timeout_config(timeout_config(read))
            .interceptor(InvokeAtMostOnce)
            .build(),
    )
}

/// Timeouts for every call: connect [`CONNECT_TIMEOUT`], `read` for the response
/// (the session also uses it between stream events), an attempt a little longer
/// than `read`, and the whole operation long enough for every attempt.
pub fn timeout_config(read: Duration) -> TimeoutConfig {
    let attempt = read + Duration::from_secs(30);
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(read)
        .operation_attempt_timeout(attempt)
        .operation_timeout(attempt * MAX_ATTEMPTS + Duration::from_secs(30))
        .build()
}

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
    pub fn printer(&self) -> crate::example::Printer {
        crate::example::Printer::new(self.json)
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
    /// Clients for an `SdkConfig`, with [`DEFAULT_READ_TIMEOUT`].
    pub fn new(sdk_config: SdkConfig, anthropic: AnthropicEndpoint) -> Self {
        Self::with_read_timeout(sdk_config, anthropic, DEFAULT_READ_TIMEOUT)
    }

    /// Like [`Clients::new`], with the AgentCore client's read timeout `read`.
    pub fn with_read_timeout(
        sdk_config: SdkConfig, anthropic: AnthropicEndpoint, read: Duration,
    ) -> Self {
        Self {
            agentcore: agentcore_client(&sdk_config, read),
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
        agentcore_client(&self.sdk_config, read)
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
