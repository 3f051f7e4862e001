//! The emulator as boto3 sees it: the Python SDK's parsers accept its responses and
//! event streams. Skipped (with a message) where boto3 is not installed, unless
//! `MIGRATION_REQUIRE_TEST_DEPS` is set.

use crate::support::{python_has, run_python_client, skip_without};

#[tokio::test]
async fn boto3_drives_the_agentcore_data_plane() {
    if skip_without("boto3 for python3 (pip install boto3)", python_has("boto3")) {
        return;
    }
    let emulator = crate::support::emulator().await;
    let checks = ["executeCode ok", "binary round trip ok", "arrival order ok", "validation ok"];
    run_python_client(&emulator, "boto3_agentcore.py", &checks).await;
    assert_eq!(emulator.live_sessions(), 0);
}
