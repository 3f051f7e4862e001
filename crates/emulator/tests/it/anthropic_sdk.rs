//! The emulator's Messages API route as the anthropic Python SDK sees it. Skipped
//! (with a message) where the SDK is not installed, unless
//! `MIGRATION_REQUIRE_TEST_DEPS` is set.

use crate::support::{python_has, run_python_client, skip_without};

#[tokio::test]
async fn the_anthropic_sdk_gets_the_apis_errors() {
    let sdk = "the anthropic SDK for python3 (pip install anthropic)";
    if skip_without(sdk, python_has("anthropic")) {
        return;
    }
    let emulator = crate::support::emulator().await;
    let checks = ["retired model ok", "blank text ok"];
    run_python_client(&emulator, "anthropic_errors.py", &checks).await;
}
