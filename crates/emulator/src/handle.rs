//! The library handle: start an emulator in this process, point clients at it,
//! stop it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::EmulatorConfig;
use crate::state::AppState;

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The bind address is not a loopback address.
    #[error(
        "the emulator binds loopback addresses only; {0} is not one (inside a container, add --allow-remote)"
    )]
    NotLoopback(SocketAddr),
    /// The port could not be bound.
    #[error("could not listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The sandbox working directory could not be created.
    #[error("could not create the sandbox working directory")]
    WorkDir(#[source] std::io::Error),
    /// The scripted model could not load its transcripts.
    #[error("could not load the model transcripts")]
    Transcripts(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Record mode could not start.
    #[error("could not start record mode")]
    Record(#[source] crate::record::RecordError),
}

/// Builds an [`Emulator`] with settings other than the defaults.
#[derive(Debug, Clone, Default)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
}

impl EmulatorBuilder {
    /// Port to listen on (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.config.bind.set_port(port);
        self
    }

    /// Address to listen on. Anything but a loopback address also needs
    /// [`EmulatorBuilder::allow_remote`].
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.bind = addr;
        self
    }

    /// Serve a non-loopback address and any Host header (inside a container).
    pub fn allow_remote(mut self, allow: bool) -> Self {
        self.config.allow_remote = allow;
        self
    }

    /// Region reported to clients.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.config.region = region.into();
        self
    }

    /// The credentials clients must sign with.
    pub fn credentials(
        mut self, access_key_id: impl Into<String>, secret: impl Into<String>,
    ) -> Self {
        self.config.access_key_id = access_key_id.into();
        self.config.secret_access_key = secret.into();
        self
    }

    /// The Bedrock API key clients may send as a bearer token.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.config.api_key = key.into();
        self
    }

    /// Use this Python in the sandbox instead of provisioning one.
    pub fn python(mut self, python: impl Into<PathBuf>) -> Self {
        self.config.python = Some(python.into());
        self
    }

    /// Which of AgentCore's pre-installed packages a provisioned sandbox Python gets
    /// (default: the commonly used part).
    pub fn packages(mut self, set: sandbox::PackageSet) -> Self {
        self.config.packages = set;
        self
    }

    /// Print (or not) the provisioning progress line.
    pub fn progress(mut self, progress: bool) -> Self {
        self.config.progress = progress;
        self
    }

    /// Per-call time limit of executeCode and executeCommand.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.config.call_timeout = timeout;
        self
    }

    /// Address-space limit of each sandbox process (`None`: unlimited).
    pub fn memory_limit_bytes(mut self, limit: Option<u64>) -> Self {
        self.config.memory_limit_bytes = limit;
        self
    }

    /// Cap on captured stdout and stderr per call.
    pub fn output_limit_bytes(mut self, limit: usize) -> Self {
        self.config.output_limit_bytes = limit;
        self
    }

    /// Modules that idle pooled interpreters import ahead of use (e.g. `numpy`).
    pub fn preload_modules<I, S>(mut self, modules: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.preload_modules = modules.into_iter().map(Into::into).collect();
        self
    }

    /// A directory of extra model transcripts.
    pub fn transcripts_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.transcripts_dir = Some(dir.into());
        self
    }

    /// Record mode: send model calls to an upstream and write transcripts.
    pub fn record(mut self, record: crate::record::RecordConfig) -> Self {
        self.config.record = Some(record);
        self
    }

    /// Check SigV4 signatures (default true).
    pub fn verify_signatures(mut self, verify: bool) -> Self {
        self.config.verify_signatures = verify;
        self
    }

    /// Injects `fault` from the start (see [`Fault`](crate::Fault)); call it again for more.
    pub fn fault(mut self, fault: crate::faults::Fault) -> Self {
        self.config.faults.push(fault);
        self
    }

    /// The whole configuration, for settings without a builder method.
    pub fn config_mut(&mut self) -> &mut EmulatorConfig {
        &mut self.config
    }

    /// Provisions the sandbox Python if needed, binds, and starts serving.
    pub async fn start(self) -> Result<Emulator, EmulatorError> {
        Emulator::start_with(self.config).await
    }
}

/// A running emulator. Dropping it stops the server and every sandbox process.
pub struct Emulator {
    endpoint: String,
    addr: SocketAddr,
    state: Arc<AppState>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    _work_dir: tempfile::TempDir,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

async fn resolve_python(config: &EmulatorConfig) -> PathBuf {
    if let Some(python) = &config.python {
        return python.clone();
    }
    if let Some(python) = std::env::var_os("AGENTCORE_EMULATOR_PYTHON") {
        return PathBuf::from(python);
    }
    let cache_dir = config.cache_dir.clone();
    let (set, progress) = (config.packages, config.progress);
    let provisioned =
        tokio::task::spawn_blocking(move || sandbox::provision_python(&cache_dir, set, progress))
            .await;
    match provisioned {
        Ok(Ok(python)) => python,
        Ok(Err(err)) => {
            tracing::warn!(
                "could not provision the sandbox Python ({err}); falling back to python3 from PATH, where numpy, pandas and the other pre-installed packages may be missing"
            );
            PathBuf::from("python3")
        }
        Err(err) => {
            tracing::warn!(
                "provisioning the sandbox Python failed ({err}); using python3 from PATH"
            );
            PathBuf::from("python3")
        }
    }
}

impl Emulator {
    /// Starts an emulator with the default settings.
    pub async fn start() -> Result<Self, EmulatorError> {
        Self::builder().start().await
    }

    /// A builder for other settings.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    async fn start_with(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        if !config.allow_remote && !config.bind.ip().is_loopback() {
            return Err(EmulatorError::NotLoopback(config.bind));
        }
        let python = resolve_python(&config).await;
        let work_dir = sandbox::sessions_dir().map_err(EmulatorError::WorkDir)?;
        let mut state = AppState::new(config.clone(), python, work_dir.path().to_path_buf())
            .map_err(EmulatorError::Transcripts)?;
        if let Some(record) = &config.record {
            state.recorder =
                Some(crate::record::Recorder::new(record).await.map_err(EmulatorError::Record)?);
        }
        let state = Arc::new(state);
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| EmulatorError::Bind { addr: config.bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr: config.bind, source })?;
        // Event-stream replies go out as several small writes (headers, then frames);
        // with Nagle's algorithm on, the second one waits for the client's delayed ACK,
        // about 40 ms on Linux, on every InvokeCodeInterpreter call.
        let listener = listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!(%err, "could not set TCP_NODELAY");
            }
        });
        let cancel = CancellationToken::new();
        let app = crate::server::router(Arc::clone(&state));
        let server_cancel = cancel.clone();
        let server = tokio::spawn(async move {
            let shutdown = async move { server_cancel.cancelled().await };
            if let Err(err) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::error!(%err, "emulator server stopped with an error");
            }
        });
        let reaper_state = Arc::clone(&state);
        let reaper_cancel = cancel.clone();
        let reaper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = reaper_cancel.cancelled() => break,
                    _ = tick.tick() => {
                        reaper_state.sessions.reap_expired().await;
                    }
                }
            }
        });
        // Bound to every interface (a container), clients reach it on loopback
        // through the published port.
        let shown = match addr.ip().is_unspecified() {
            true => SocketAddr::from(([127, 0, 0, 1], addr.port())),
            false => addr,
        };
        let endpoint = format!("http://{shown}");
        tracing::info!(%endpoint, "emulator listening");
        Ok(Self { endpoint, addr, state, cancel, tasks: vec![server, reaper], _work_dir: work_dir })
    }

    /// AWS settings that point every SDK client at this emulator (endpoint, region,
    /// its credentials) and read nothing else: no environment variable, profile or
    /// config file of the caller's, so a Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`),
    /// an `AWS_PROFILE` or an `AWS_ENDPOINT_URL_*` in the shell cannot redirect or
    /// re-sign the calls. Add retry or timeout settings, then `.build()`.
    pub fn sdk_config_builder(&self) -> aws_types::sdk_config::Builder {
        let credentials = aws_credential_types::Credentials::new(
            self.access_key_id(),
            self.secret_access_key(),
            None,
            None,
            "emulator",
        );
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(aws_config::Region::new(self.region().to_owned()))
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                credentials,
            ))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The region it reports.
    pub fn region(&self) -> &str {
        &self.state.config.region
    }

    /// The access key id clients sign with.
    pub fn access_key_id(&self) -> &str {
        &self.state.config.access_key_id
    }

    /// The secret access key clients sign with.
    pub fn secret_access_key(&self) -> &str {
        &self.state.config.secret_access_key
    }

    /// The Bedrock API key clients may send as a bearer token.
    pub fn api_key(&self) -> &str {
        &self.state.config.api_key
    }

    /// The account id in ARNs.
    pub fn account_id(&self) -> &str {
        &self.state.config.account_id
    }

    /// The Python the sandbox runs.
    pub fn python(&self) -> &std::path::Path {
        &self.state.sandbox.python
    }

    /// The number of code-interpreter sessions that are READY.
    pub fn live_sessions(&self) -> usize {
        self.state.sessions.live()
    }

    /// Adds a fault while the emulator runs (after the ones already set; the first
    /// that matches a request wins).
    pub fn inject(&self, fault: crate::faults::Fault) {
        self.state.faults.add(fault);
    }

    /// Removes every fault that has not fired yet.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// How many injected faults have fired.
    pub fn faults_fired(&self) -> usize {
        self.state.faults.fired()
    }

    /// How many injected faults have fired on one operation (AWS name).
    pub fn faults_fired_on(&self, operation: &str) -> usize {
        self.state.faults.fired_on(operation)
    }

    /// The number of custom code interpreters.
    pub fn custom_interpreters(&self) -> usize {
        self.state.interpreters.len()
    }

    /// The number of IAM roles.
    pub fn roles(&self) -> usize {
        self.state.iam.role_count()
    }

    /// The environment that points any AWS SDK (boto3, the Rust SDK, the CLI) and
    /// the AgentCore Python SDK at this emulator, signing with its credentials
    /// (`cargo run -p bridge -- --local` adds the Anthropic API on top).
    ///
    /// It holds no `AWS_BEARER_TOKEN_BEDROCK`: with one set, boto3 refuses every
    /// Bedrock call to a plain-HTTP endpoint before sending it ("Bearer authorization
    /// requires an HTTPS endpoint"). Clients that want the bearer token take
    /// [`Emulator::api_key`].
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", self.access_key_id().to_owned()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key().to_owned()),
            ("AWS_REGION", self.region().to_owned()),
            ("AWS_DEFAULT_REGION", self.region().to_owned()),
            ("BEDROCK_AGENTCORE_DP_ENDPOINT", self.endpoint.clone()),
            ("BEDROCK_AGENTCORE_CP_ENDPOINT", self.endpoint.clone()),
        ]
    }

    /// Variables of a user's shell that would take a client away from this emulator
    /// or change how it signs: a Bedrock API key (boto3 refuses it over plain HTTP),
    /// a session token of other credentials, a profile (boto3 fails on one that does
    /// not exist), service-specific endpoint overrides, and the switch that ignores
    /// `AWS_ENDPOINT_URL`. [`Emulator::shell_setup`] unsets them.
    pub const UNSET_VARS: &'static [&'static str] = &[
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE",
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_STS",
    ];

    /// The lines a user pastes into a shell (or `eval`s) to point clients there:
    /// `unset` of [`Emulator::UNSET_VARS`], then an `export` line for each of
    /// [`Emulator::env_vars`]. Values are letters, digits and URL characters, so
    /// they need no quoting.
    pub fn shell_setup(&self) -> String {
        let mut lines = format!("unset {}\n", Self::UNSET_VARS.join(" "));
        for (name, value) in self.env_vars() {
            lines.push_str(&format!("export {name}={value}\n"));
        }
        lines
    }

    /// Stops serving and ends every session, waiting for their processes.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        self.state.sessions.terminate_all().await;
        for task in self.tasks.drain(..) {
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                tracing::warn!("emulator task did not stop within 5 s");
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.cancel.cancel();
        // Dropping the sandboxes kills their process groups synchronously.
        self.state.sessions.kill_all_now();
        // Interpreters pre-started for this emulator's next sessions go too.
        sandbox::release_root(&self.state.sandbox.root_dir);
        for task in &self.tasks {
            task.abort();
        }
    }
}
