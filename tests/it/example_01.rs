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
