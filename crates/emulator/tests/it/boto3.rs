//! The emulator as boto3 sees it: the Python SDK's parsers accept its responses and
//! event streams. Skipped (with a message) where boto3 is not installed, unless
//! `MIGRATION_REQUIRE_TEST_DEPS` is set.

use std::process::Command;

fn boto3_available() -> bool {
    Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn boto3_drives_the_agentcore_data_plane() {
    if crate::support::skip_without("boto3 for python3 (pip install boto3)", boto3_available()) {
        return;
    }
    let emulator = crate::support::emulator().await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/boto3_agentcore.py"
    );
    let mut command = tokio::process::Command::new("python3");
    command.arg(script).env_remove("AWS_PROFILE");
    for (name, value) in emulator.env_vars() {
        command.env(name, value);
    }
    let output = command.output().await.expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for check in [
        "executeCode ok",
        "binary round trip ok",
        "arrival order ok",
        "validation ok",
    ] {
        assert!(stdout.contains(check), "{check} missing:\n{stdout}");
    }
    assert_eq!(emulator.live_sessions(), 0);
}
