//! State shared by every handler of one emulator.

use std::path::PathBuf;

use crate::config::EmulatorConfig;
use crate::model::ModelService;
use crate::store::iam::IamStore;
use crate::store::interpreters::{InterpreterStore, SYSTEM_INTERPRETER_ID};
use crate::store::sessions::SessionStore;
use sandbox::SandboxConfig;

/// One emulator's services and their data.
pub struct AppState {
    /// The settings it was started with.
    pub config: EmulatorConfig,
    /// The sandbox settings derived from them (with the resolved Python).
    pub sandbox: SandboxConfig,
    /// Code-interpreter sessions.
    pub sessions: SessionStore,
    /// Custom code interpreters (the system one is implicit).
    pub interpreters: InterpreterStore,
    /// IAM roles and their inline policies.
    pub iam: IamStore,
    /// The scripted model behind Bedrock Runtime.
    pub model: ModelService,
    /// Faults to inject (empty unless a test or `--fault` asks for some).
    pub faults: crate::faults::FaultPlan,
    /// Record mode: model calls go upstream and are written as transcripts.
    pub recorder: Option<crate::record::Recorder>,
}

impl AppState {
    /// State for a fresh emulator; `python` is the resolved sandbox interpreter.
    pub fn new(
        config: EmulatorConfig, python: PathBuf, work_dir: PathBuf,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sandbox = SandboxConfig {
            python,
            root_dir: work_dir,
            call_timeout: config.call_timeout,
            memory_limit_bytes: config.memory_limit_bytes,
            max_processes: config.max_processes,
            output_limit_bytes: config.output_limit_bytes,
            preload_modules: config.preload_modules.clone(),
        };
        let model = ModelService::new(config.transcripts_dir.as_deref())?;
        Ok(Self {
            faults: crate::faults::FaultPlan::new(config.faults.iter().cloned()),
            model,
            sessions: SessionStore::default(),
            interpreters: InterpreterStore::default(),
            iam: IamStore::default(),
            recorder: None,
            sandbox,
            config,
        })
    }

    /// The ARN of a code interpreter id, as AgentCore writes it.
    pub fn interpreter_arn(&self, id: &str) -> String {
        if id == SYSTEM_INTERPRETER_ID {
            format!("arn:aws:bedrock-agentcore:{}:aws:code-interpreter/{id}", self.config.region)
        } else {
            format!(
                "arn:aws:bedrock-agentcore:{}:{}:code-interpreter-custom/{id}",
                self.config.region, self.config.account_id
            )
        }
    }
}
