//! The smoke helper against the emulator, as scripts/smoke.sh runs it against AWS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use aws_config::{BehaviorVersion, Region};
use emulator::Emulator;

fn helper(env: &[(&'static str, String)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smoke"));
    command.args(args);
    for var in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "BEDROCK_MODEL_ID", "MIGRATION_LOCAL"] {
        command.env_remove(var);
    }
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    command.output().expect("the helper runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn start_session(emulator: &Emulator, name: &str) -> String {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(Region::new(emulator.region().to_owned()))
        .credentials_provider(aws_sdk_bedrockagentcore::config::Credentials::new(
            emulator.access_key_id(),
            emulator.secret_access_key(),
            None,
            None,
            "test",
        ))
        .load()
        .await;
    aws_sdk_bedrockagentcore::Client::new(&config)
        .start_code_interpreter_session()
        .code_interpreter_identifier(common::SYSTEM_INTERPRETER_ID)
        .name(name)
        .send()
        .await
        .expect("session starts")
        .session_id()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_the_sessions_the_examples_left_and_only_those() {
    let emulator = Emulator::builder().python("python3").progress(false).start().await.unwrap();
    let env = emulator.env_vars();
    let stray = start_session(&emulator, "converse-session").await;
    let _other = start_session(&emulator, "someone-elses-session").await;

    let listed = helper(&env, &["sessions"]);
    assert_eq!(listed.status.code(), Some(1), "strays are a failure");
    assert!(stdout(&listed).contains(&stray), "{}", stdout(&listed));
    assert_eq!(emulator.live_sessions(), 2, "listing stops nothing");

    let stopped = helper(&env, &["sessions", "--stop"]);
    assert!(stdout(&stopped).contains(&format!("stopped {stray}")), "{}", stdout(&stopped));
    assert_eq!(emulator.live_sessions(), 1, "the other session is left alone");

    let clean = helper(&env, &["sessions", "--stop"]);
    assert!(clean.status.success(), "{}", stdout(&clean));
    assert!(stdout(&clean).contains("no READY sessions left"));

    let future =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
            + 3600)
            .to_string();
    let newer = helper(&env, &["sessions", "--all", "--since", &future]);
    assert!(newer.status.success(), "older sessions are not counted");

    let who = helper(&env, &["credentials"]);
    assert!(who.status.success());
    assert!(stdout(&who).contains("account 123456789012"), "{}", stdout(&who));
}

#[test]
fn no_credentials_exit_3() {
    let home = tempfile_dir();
    let env = [
        ("HOME", home.clone()),
        ("AWS_CONFIG_FILE", format!("{home}/none")),
        ("AWS_SHARED_CREDENTIALS_FILE", format!("{home}/none")),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ];
    let mut command = Command::new(env!("CARGO_BIN_EXE_smoke"));
    command.arg("credentials");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
}

fn tempfile_dir() -> String {
    let dir = std::env::temp_dir().join(format!("smoke-home-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}
