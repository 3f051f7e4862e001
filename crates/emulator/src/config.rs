//! Settings of one emulator instance.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything an emulator is started with. `Default` gives a loopback server on an
/// ephemeral port with fresh random credentials.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind; a loopback address unless `allow_remote`.
    pub bind: SocketAddr,
    /// Bind any address and answer any Host header: for a container whose port is
    /// published (`docker run -p 127.0.0.1:8000:8000`), where the container's
    /// loopback is out of the host's reach. The SigV4 check still applies.
    pub allow_remote: bool,
    /// Region reported to clients (and expected in nothing: any signed region is accepted).
    pub region: String,
    /// Account id used in ARNs.
    pub account_id: String,
    /// The only access key id the emulator accepts.
    pub access_key_id: String,
    /// Its secret, used to check SigV4 signatures.
    pub secret_access_key: String,
    /// A Bedrock API key (`Authorization: Bearer`, as `AWS_BEARER_TOKEN_BEDROCK` sends it).
    pub api_key: String,
    /// Check SigV4 signatures (on by default).
    pub verify_signatures: bool,
    /// Python for the sandbox; `None` provisions one with `packages`.
    pub python: Option<PathBuf>,
    /// Which of AgentCore's pre-installed packages a provisioned Python gets.
    pub packages: sandbox::PackageSet,
    /// Where the provisioned Python lives.
    pub cache_dir: PathBuf,
    /// Print a progress line while provisioning.
    pub progress: bool,
    /// Per-call limit for executeCode and executeCommand.
    pub call_timeout: Duration,
    /// Address-space limit of each sandbox process.
    pub memory_limit_bytes: Option<u64>,
    /// Process-count limit of each sandbox (best effort).
    pub max_processes: Option<u64>,
    /// Cap on captured stdout and stderr, each, per call.
    pub output_limit_bytes: usize,
    /// Modules idle pooled interpreters import ahead of use (the `agentcore-emulator` binary
    /// preloads numpy; the embedded default preloads nothing).
    pub preload_modules: Vec<String>,
    /// Extra transcripts for the scripted model (`*.toml`).
    pub transcripts_dir: Option<PathBuf>,
    /// How long a custom code interpreter stays CREATING after
    /// CreateCodeInterpreter, and DELETING after DeleteCodeInterpreter.
    pub interpreter_transition: Duration,
    /// Faults to inject from the start (see [`Fault`](crate::Fault)).
    pub faults: Vec<crate::faults::Fault>,
    /// Record mode: model calls go to this upstream and are written as transcripts.
    pub record: Option<crate::record::RecordConfig>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_remote: false,
            region: "us-west-2".into(),
            account_id: "123456789012".into(),
            access_key_id: "AKIAEMULATORLOCAL000".into(),
            secret_access_key: random_token(40),
            api_key: format!("bedrock-api-key-emulator-{}", random_token(24)),
            verify_signatures: true,
            python: None,
            packages: sandbox::PackageSet::default(),
            cache_dir: sandbox::default_cache_dir(),
            progress: true,
            call_timeout: Duration::from_secs(60),
            memory_limit_bytes: Some(2 * 1024 * 1024 * 1024),
            max_processes: Some(256),
            output_limit_bytes: 1024 * 1024,
            preload_modules: Vec::new(),
            transcripts_dir: std::env::var_os("AGENTCORE_EMULATOR_TRANSCRIPTS").map(PathBuf::from),
            interpreter_transition: Duration::from_millis(500),
            faults: Vec::new(),
            record: None,
        }
    }
}

/// A random alphanumeric string.
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}
