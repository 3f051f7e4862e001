//! The emulator's Messages API route as the anthropic Python SDK sees it. Skipped
//! (with a message) where the SDK is not installed, unless
//! `MIGRATION_REQUIRE_TEST_DEPS` is set.

use std::process::Command;

fn anthropic_available() -> bool {
    Command::new("python3")
        .args(["-c", "import anthropic"])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn the_anthropic_sdk_gets_the_apis_errors() {
    if crate::support::skip_without(
        "the anthropic SDK for python3 (pip install anthropic)",
        anthropic_available(),
    ) {
        return;
    }
    let emulator = crate::support::emulator().await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/anthropic_errors.py"
    );
    let mut command = tokio::process::Command::new("python3");
    command.arg(script);
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
    for check in ["retired model ok", "blank text ok"] {
        assert!(stdout.contains(check), "{check} missing:\n{stdout}");
    }
}
