//! The checks shared by examples 01 and 02, which run the same tool-use loop over
//! two Bedrock APIs and must print the same lines.

use super::{assert_transcript, run_example, session_id};

/// Runs `example` offline and checks its output as a reader would: the session,
/// the tool call, the final answer with the numbers the sandbox computed, the stop.
pub fn answers_with_the_computed_statistics(example: &str, transcript: &str) {
    let run = run_example(example, &["--local"], None);
    run.assert_success();
    let out = &run.stdout;
    session_id(out);
    let lines: Vec<&str> = out.lines().collect();
    // The Python's order: the tool call, its output, the stop, then the answer.
    let find = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix));
    let executing = find("[Executing code...]");
    // The preview is the first 100 characters of the output, which may span lines.
    let output = find("[Code output: ");
    let stopped = find("[Session stopped: ");
    let answer = find("--- Final Answer ---");
    assert!(
        executing.is_some() && executing < output && output < stopped && stopped < answer,
        "lines out of order:\n{out}"
    );
    let (stopped, answer) = (stopped.unwrap(), answer.unwrap());
    assert!(lines[stopped - 1].ends_with("...]"), "{out}");
    assert_eq!(lines[answer - 1], "", "a blank line before the answer:\n{out}");
    let answer_text = lines[answer + 1..].join("\n");
    assert!(answer_text.contains("5.5"), "{answer_text}");
    assert!(answer_text.contains("2.8723"), "{answer_text}");
    assert!(answer_text.contains("3.0277"), "{answer_text}");
    assert_transcript(transcript, out);
}

/// Runs `example` offline with `--json` and checks the report: two round trips,
/// one tool call, one session, usage counted.
pub fn json_reports_two_round_trips(example: &str, id: &str) {
    let run = run_example(example, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], id);
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
