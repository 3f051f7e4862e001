//! Example 01 (Converse loop) run offline as a reader would: the session, the tool
//! call, the final answer with the numbers the sandbox computed, and the stop.

use crate::support::loop_example;

const EXAMPLE: &str = "01_converse_api_with_code_interpreter";

#[test]
fn answers_with_the_computed_statistics() {
    loop_example::answers_with_the_computed_statistics(EXAMPLE, "01.txt");
}

#[test]
fn json_reports_two_round_trips() {
    loop_example::json_reports_two_round_trips(EXAMPLE, "01");
}

#[test]
fn a_retired_model_is_one_clear_line_that_names_the_flag() {
    let args = ["--local", "--model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"];
    crate::support::run_example(EXAMPLE, &args, None).assert_one_error_line(&[
        "Converse: the model is not available",
        "reached the end of its life",
        "--model or BEDROCK_MODEL_ID",
    ]);
}

/// `--local` reads nothing of the caller's AWS environment: a shell that holds a
/// Bedrock API key, a profile that does not exist and endpoints that lead nowhere
/// (any of which would redirect or re-sign the SDK's calls) runs the same.
#[test]
fn local_ignores_the_callers_aws_environment() {
    let hostile = [
        ("AWS_BEARER_TOKEN_BEDROCK", "ABSKusers-own-bedrock-api-key"),
        ("AWS_PROFILE", "a-profile-that-does-not-exist"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9"),
        ("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "http://127.0.0.1:9"),
        ("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000"),
        ("AWS_SECRET_ACCESS_KEY", "users-own-secret"),
        ("AWS_SESSION_TOKEN", "a-session-token-of-other-credentials"),
    ];
    let run = crate::support::run_example_env(EXAMPLE, &["--local"], None, &hostile);
    run.assert_success();
    assert!(run.stdout.contains("**Mean:** 5.5"), "{}", run.stdout);
    crate::support::session_id(&run.stdout);
}
