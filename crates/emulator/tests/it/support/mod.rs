//! Shared by the emulator's integration tests: SDK clients pointed at an emulator.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_bedrockagentcore::config::{Credentials, Region};
use emulator::Emulator;

/// An emulator whose sandbox uses `python3` from PATH (no provisioning) unless the
/// test asks for the provisioned one.
pub async fn emulator() -> Emulator {
    Emulator::builder().python("python3").progress(false).start().await.expect("emulator starts")
}

/// An emulator whose sandbox has numpy, pandas and matplotlib (provisioned into the
/// user cache on first use, as `--local` runs do).
pub async fn emulator_with_numpy() -> Emulator {
    Emulator::builder().progress(false).start().await.expect("emulator starts")
}

/// SDK settings that point every client at the emulator with its credentials.
pub async fn sdk_config(emulator: &Emulator) -> SdkConfig {
    sdk_config_with(emulator, emulator.secret_access_key()).await
}

/// The same, signing with another secret (to test signature checks).
pub async fn sdk_config_with(emulator: &Emulator, secret: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(Region::new(emulator.region().to_owned()))
        .credentials_provider(Credentials::new(
            emulator.access_key_id(),
            secret,
            None,
            None,
            "test",
        ))
        .load()
        .await
}

pub async fn agentcore(emulator: &Emulator) -> aws_sdk_bedrockagentcore::Client {
    aws_sdk_bedrockagentcore::Client::new(&sdk_config(emulator).await)
}

pub async fn control(emulator: &Emulator) -> aws_sdk_bedrockagentcorecontrol::Client {
    aws_sdk_bedrockagentcorecontrol::Client::new(&sdk_config(emulator).await)
}

/// Whether a test must skip for want of `what` (bubblewrap, boto3, node): it may
/// locally, with a message. With `MIGRATION_REQUIRE_TEST_DEPS` set (CI sets it) a
/// missing prerequisite fails the test instead, so nothing passes by skipping.
pub fn skip_without(what: &str, available: bool) -> bool {
    if available {
        return false;
    }
    let required = std::env::var_os("MIGRATION_REQUIRE_TEST_DEPS").is_some_and(|v| !v.is_empty());
    assert!(
        !required,
        "{what} is missing and MIGRATION_REQUIRE_TEST_DEPS is set (.ci/run installs it)"
    );
    eprintln!("skipped: {what} is missing here");
    true
}

/// Whether `python3` can import `module`.
pub fn python_has(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `tests/python/<script>` with the emulator's environment (endpoint,
/// credentials, API key), asserts that it succeeded and printed every one of
/// `checks`.
pub async fn run_python_client(emulator: &Emulator, script: &str, checks: &[&str]) {
    let path = format!("{}/tests/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut command = tokio::process::Command::new("python3");
    command.arg(path);
    for name in Emulator::UNSET_VARS {
        command.env_remove(name);
    }
    for (name, value) in emulator.env_vars() {
        command.env(name, value);
    }
    let output = command.output().await.expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for check in checks {
        assert!(stdout.contains(check), "{check} missing:\n{stdout}");
    }
}

/// The `agentcore-emulator` binary, started with `args` and `env`: its first lines, up to
/// the closing comment of its shell set-up, and the variables they export.
pub struct Binary {
    child: Option<std::process::Child>,
    pub lines: Vec<String>,
    pub exports: std::collections::HashMap<String, String>,
}

impl Binary {
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Binary {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agentcore-emulator"))
            .args(args)
            .env("RUST_LOG", "off")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("emulator starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let last = line.starts_with("# paste the lines above");
            lines.push(line);
            if last {
                break;
            }
        }
        let exports = lines
            .iter()
            .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Binary { child: Some(child), lines, exports }
    }

    /// Whether it got as far as READY.
    pub fn ready(&self) -> bool {
        self.lines.first().is_some_and(|line| line.starts_with("READY "))
    }

    /// The `# sandbox isolation:` line.
    pub fn isolation(&self) -> &str {
        self.lines.get(1).map_or("", String::as_str)
    }

    /// SDK settings from what it exported.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.exports["AWS_ENDPOINT_URL"])
            .region(Region::new(self.exports["AWS_REGION"].clone()))
            .credentials_provider(Credentials::new(
                &self.exports["AWS_ACCESS_KEY_ID"],
                &self.exports["AWS_SECRET_ACCESS_KEY"],
                None,
                None,
                "test",
            ))
            .load()
            .await
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, std::process::Child::id)
    }

    /// Stops it with SIGTERM; its exit status and stderr.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        let child = self.child.take().expect("running");
        // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let output = child.wait_with_output().expect("emulator exits");
        (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}
