//! Example 02 (InvokeModel loop) run offline as a reader would: the session, the tool
//! call, the final answer with the numbers the sandbox computed, and the stop.

use crate::support::loop_example;

const EXAMPLE: &str = "02_invoke_model_with_code_interpreter";

#[test]
fn answers_with_the_computed_statistics() {
    loop_example::answers_with_the_computed_statistics(EXAMPLE, "02.txt");
}

#[test]
fn json_reports_two_round_trips() {
    loop_example::json_reports_two_round_trips(EXAMPLE, "02");
}
