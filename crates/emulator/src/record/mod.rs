//! Record mode: the model calls go to a real Bedrock Runtime endpoint (or to another
//! emulator), and what the model said is written as transcript files that the scripted
//! model replays offline.
//!
//! The emulator still executes code in its own sandbox (or forwards the AgentCore data
//! plane too, with [`RecordConfig::agentcore_upstream`]), so a recorded run is a real
//! run: the model's tool calls, the sandbox's output and the model's final answer.
//!
//! - [`ops`]: one function per Bedrock Runtime operation (Converse, ConverseStream,
//!   InvokeModel, InvokeModelWithResponseStream) and the AgentCore pass-through.
//! - [`upstream`]: signing (SigV4 or a bearer token) and sending.
//! - [`assemble`]: the assistant reply read back from each response format, streams
//!   included.
//! - [`writer`]: recordings, one per conversation, written as transcript TOML.

pub mod assemble;
mod error;
pub mod ops;
pub mod upstream;
pub mod writer;

use std::path::PathBuf;

pub use error::RecordError;
pub use upstream::{Upstream, UpstreamAuth};
pub use writer::Recordings;

/// Settings of record mode.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// Base URL of the Bedrock Runtime endpoint model calls go to, e.g.
    /// `https://bedrock-runtime.us-west-2.amazonaws.com` or another emulator.
    pub upstream: String,
    /// Base URL of an AgentCore data plane to forward session and tool calls to; `None`
    /// runs the code in this emulator's sandbox.
    pub agentcore_upstream: Option<String>,
    /// Where the transcript files are written (created if missing).
    pub dir: PathBuf,
    /// The region outgoing requests are signed for.
    pub region: String,
    /// How outgoing requests authenticate.
    pub auth: UpstreamAuth,
    /// Turn numbers of the final answers into captures when the same number appears in
    /// a tool result, so a replay quotes what the sandbox printed.
    pub captures: bool,
}

/// Record mode at run time: the upstreams and the recordings so far.
#[derive(Debug)]
pub struct Recorder {
    pub(crate) bedrock: Upstream,
    pub(crate) agentcore: Option<Upstream>,
    pub(crate) recordings: Recordings,
}

impl Recorder {
    /// Resolves the credentials and prepares the record directory.
    pub async fn new(config: &RecordConfig) -> Result<Self, RecordError> {
        std::fs::create_dir_all(&config.dir)
            .map_err(|source| RecordError::Dir { path: config.dir.clone(), source })?;
        let auth = config.auth.resolve(&config.region).await?;
        let bedrock = Upstream::new(&config.upstream, "bedrock", &config.region, auth.clone())?;
        let agentcore = match &config.agentcore_upstream {
            Some(url) => Some(Upstream::new(url, "bedrock-agentcore", &config.region, auth)?),
            None => None,
        };
        Ok(Self {
            bedrock,
            agentcore,
            recordings: Recordings::new(config.dir.clone(), config.captures),
        })
    }
}
