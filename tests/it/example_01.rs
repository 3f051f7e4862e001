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
    let run = crate::support::run_example(
        "01_converse_api_with_code_interpreter",
        &[
            "--local",
            "--model",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ],
        None,
    );
    assert!(!run.success());
    // One line says what failed and what to do (a sandbox warning may precede it).
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    let error = errors[0];
    assert!(
        error.contains("Converse: the model is not available"),
        "{error}"
    );
    assert!(error.contains("reached the end of its life"), "{error}");
    assert!(error.contains("--model or BEDROCK_MODEL_ID"), "{error}");
}
