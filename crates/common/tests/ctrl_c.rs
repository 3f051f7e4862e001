//! Ctrl-C inside `with_session` stops the session and returns `Interrupted`.
//! Its own test binary, not a module of `tests/it`: the signal reaches the whole
//! process, and would interrupt every other test running beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use common::{Error, SessionConfig, with_session};
use emulator::Emulator;

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_stops_the_session() {
    let emulator = Emulator::builder().python("python3").progress(false).start().await.unwrap();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(Region::new(emulator.region().to_owned()))
        .credentials_provider(Credentials::new(
            emulator.access_key_id(),
            emulator.secret_access_key(),
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let client = aws_sdk_bedrockagentcore::Client::new(&config);

    let outcome: Result<(), Error> =
        with_session(&client, SessionConfig::named("ctrl-c"), async |session| {
            assert_eq!(emulator.live_sessions(), 1);
            // By now with_session listens for Ctrl-C; press it.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let pid = std::process::id().to_string();
            let sent = std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
            assert!(sent.success());
            session.execute_python("import time; time.sleep(30)").await?;
            panic!("the body should have been dropped");
        })
        .await;
    assert!(matches!(outcome, Err(Error::Interrupted)), "{outcome:?}");
    assert_eq!(emulator.live_sessions(), 0);
}
