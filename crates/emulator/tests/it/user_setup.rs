//! The README's way of pointing a Python client at the emulator, done as a user does
//! it: start the `agentcore-emulator` binary, paste the lines it printed into a shell that
//! already holds the user's own AWS variables, run their code there.

use std::process::Command;

use crate::support::{python_has, skip_without};

/// What a Bedrock API-key user's shell, with a profile and endpoint of its own,
/// looks like: none of it may reach the emulator's clients once the lines ran.
pub const HOSTILE_ENV: [(&str, &str); 6] = [
    ("AWS_BEARER_TOKEN_BEDROCK", "ABSKusers-own-bedrock-api-key"),
    ("AWS_PROFILE", "a-profile-that-does-not-exist"),
    ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9"),
    ("AWS_SESSION_TOKEN", "a-session-token-of-other-credentials"),
    ("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000"),
];

#[test]
fn printed_lines_set_up_boto3_the_agentcore_sdk_and_strands_in_a_real_shell() {
    let missing: Vec<&str> = ["boto3", "bedrock_agentcore", "strands"]
        .into_iter()
        .filter(|module| !python_has(module))
        .collect();
    if skip_without(
        &format!(
            "{} for python3 (pip install boto3 bedrock-agentcore strands-agents)",
            missing.join(", ")
        ),
        missing.is_empty(),
    ) {
        return;
    }
    let started = crate::support::Binary::start(&[], &HOSTILE_ENV);
    let lines = &started.lines;
    assert!(lines[0].starts_with("READY http://127.0.0.1:"), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.starts_with("export AWS_BEARER_TOKEN_BEDROCK")),
        "a bearer token in the environment makes boto3 refuse every plain-HTTP Bedrock call: {lines:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let setup = dir.path().join("emulator.sh");
    // What the README says to paste: every line after READY.
    std::fs::write(&setup, lines[1..].join("\n") + "\n").unwrap();
    let script = format!("{}/tests/python/user_setup.py", env!("CARGO_MANIFEST_DIR"));

    let output = Command::new("bash")
        .arg("-c")
        .arg(r#"set -e; . "$1"; exec python3 "$2""#)
        .args(["setup", setup.to_str().unwrap(), &script])
        .envs(HOSTILE_ENV)
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for part in [
        "boto3 converse ok",
        "boto3 invoke_model ok",
        "boto3 agentcore ok",
        "bedrock_agentcore ok",
        "strands ok",
    ] {
        assert!(stdout.contains(part), "{part} missing:\n{stdout}\n{stderr}");
    }
}

/// The pytest fixture the Python guide offers (`examples/python/conftest.py`) runs
/// a team's own AgentCore code and its tests offline, from a shell with the user's
/// own AWS settings in it.
#[test]
fn the_pytest_fixture_of_the_python_guide_runs_its_tests() {
    let missing: Vec<&str> =
        ["pytest", "boto3", "bedrock_agentcore"].into_iter().filter(|m| !python_has(m)).collect();
    if skip_without(&format!("{} for python3", missing.join(", ")), missing.is_empty()) {
        return;
    }
    let examples = format!("{}/../../examples/python", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "."])
        .current_dir(&examples)
        .env("AGENTCORE_EMULATOR", env!("CARGO_BIN_EXE_agentcore-emulator"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .envs(HOSTILE_ENV)
        .output()
        .expect("pytest runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("3 passed"), "{stdout}");
}
