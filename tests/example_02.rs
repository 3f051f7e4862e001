//! Example 02 run offline as a reader would: the session, the tool call, the
//! final answer with the numbers the sandbox computed, and the stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{assert_transcript, run_example, session_id};

const EXAMPLE: &str = "02_invoke_model_with_code_interpreter";

#[test]
fn answers_with_the_computed_statistics() {
    let run = run_example(EXAMPLE, &["--local"], None);
    run.assert_success();
    let out = &run.stdout;
    session_id(out);
    let lines: Vec<&str> = out.lines().collect();
    let executing = lines.iter().position(|l| *l == "[Executing code...]");
    // The preview is the first 100 characters of the output, which may span lines.
    let output = lines.iter().position(|l| l.starts_with("[Code output: "));
    let answer = lines.iter().position(|l| *l == "--- Final Answer ---");
    assert!(
        executing < output && output < answer && executing.is_some(),
        "lines out of order:\n{out}"
    );
    let answer_text = lines[answer.unwrap() + 1..].join("\n");
    assert!(lines[answer.unwrap() - 1].ends_with("...]"), "{out}");
    assert!(answer_text.contains("5.5"), "{answer_text}");
    assert!(answer_text.contains("2.8723"), "{answer_text}");
    assert!(answer_text.contains("3.0277"), "{answer_text}");
    assert!(lines.last().unwrap().starts_with("[Session stopped: "));
    assert_transcript("02.txt", out);
}

#[test]
fn json_reports_two_round_trips() {
    let run = run_example(EXAMPLE, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "02");
    assert_eq!(report["round_trips"], 2);
    assert_eq!(report["tool_calls"], 1);
    assert_eq!(report["sessions_started"], 1);
    assert!(!report["session_id"].as_str().unwrap().is_empty());
    assert!(report["answer"].as_str().unwrap().contains("5.5"));
    let usage = &report["usage"];
    assert!(usage["input_tokens"].as_u64().unwrap() > 0);
    assert!(usage["output_tokens"].as_u64().unwrap() > 0);
    assert!(usage["cache_read_input_tokens"].is_u64());
    assert!(usage["cache_write_input_tokens"].is_u64());
    assert!(report["wall_ms"].is_u64());
}
