//! Examples 01, 02 and 04 against real AWS. Ignored by default; run them with
//! `cargo test --test aws_smoke -- --ignored`. Without credentials each test says so
//! and passes, so the command is safe anywhere; scripts/smoke.sh is the fuller run.

use crate::support::run_example;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;

/// True when the default chain yields credentials; prints the skip reason otherwise.
fn have_credentials() -> bool {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let found = runtime.block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        match config.credentials_provider() {
            Some(provider) => provider.provide_credentials().await.is_ok(),
            None => false,
        }
    });
    if !found {
        eprintln!("skipped: no AWS credentials in the default chain");
    }
    found
}

fn assert_numbers(text: &str) {
    assert!(text.contains("5.5"), "no mean 5.5 in:\n{text}");
    assert!(
        text.contains("2.87") || text.contains("3.02") || text.contains("3.03"),
        "no standard deviation in:\n{text}"
    );
}

fn run_against_aws(example: &str) -> serde_json::Value {
    let run = run_example(example, &["--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["sessions_started"], 1);
    report
}

#[test]
#[ignore = "needs AWS credentials and model access; run with --ignored"]
fn example_01_against_aws() {
    if !have_credentials() {
        return;
    }
    let report = run_against_aws("01_converse_api_with_code_interpreter");
    assert!(report["tool_calls"].as_u64().unwrap() >= 1);
    assert_numbers(report["answer"].as_str().unwrap());
}

#[test]
#[ignore = "needs AWS credentials and model access; run with --ignored"]
fn example_02_against_aws() {
    if !have_credentials() {
        return;
    }
    let report = run_against_aws("02_invoke_model_with_code_interpreter");
    assert!(report["tool_calls"].as_u64().unwrap() >= 1);
    assert_numbers(report["answer"].as_str().unwrap());
}

#[test]
#[ignore = "needs AWS credentials; run with --ignored"]
fn example_04_against_aws() {
    if !have_credentials() {
        return;
    }
    let report = run_against_aws("04_code_interpreter_highlevel_api");
    let output = report["output"].as_str().unwrap();
    assert_numbers(output);
    assert!(output.contains("Sample Std Dev:     3.0277"), "{output}");
}
