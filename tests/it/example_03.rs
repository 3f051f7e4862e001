//! Example 03 (the agent) run offline as a reader would: the streamed text, the
//! final answer with the numbers the sandbox computed, one session for the
//! agent's life, stopped at the end.

use crate::support::{assert_transcript, run_example, session_id};

const EXAMPLE: &str = "03_strands_agent_with_code_interpreter";

#[test]
fn streams_then_answers_with_one_session() {
    let run = run_example(EXAMPLE, &["--local"], None);
    run.assert_success();
    let out = &run.stdout;
    session_id(out);
    let lines: Vec<&str> = out.lines().collect();
    let position = |wanted: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(wanted))
            .unwrap_or_else(|| panic!("no line {wanted:?}:\n{out}"))
    };
    let started = position("[Session started: ");
    let tool = position("[Tool #1: execute_python]");
    let answer = position("--- Final Answer ---");
    let stopped = position("[Session stopped: ");
    // The model's first words stream before the tool runs, the rest after it.
    assert!(0 < started && started < tool && tool < answer && answer < stopped, "{out}");
    let answer_text = lines[answer + 1..stopped].join("\n");
    for number in ["5.5", "2.8723", "3.0277"] {
        assert!(answer_text.contains(number), "{answer_text}");
    }
    // The streamed text ends with the same final answer.
    let streamed = lines[tool + 1..answer].join("\n");
    assert_eq!(streamed, answer_text);
    assert_eq!(
        lines[stopped + 1],
        "Sessions started: 1 (one for the agent's life; the Python tool starts one per call)"
    );
    assert_eq!(lines[stopped + 2], "Tool calls: 1");
    assert_eq!(lines.len(), stopped + 3);
    assert_transcript("03.txt", out);
}

#[test]
fn json_reports_one_session_and_no_streamed_text() {
    let run = run_example(EXAMPLE, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "03");
    assert_eq!(report["sessions_started"], 1);
    assert_eq!(report["round_trips"], 2);
    assert_eq!(report["tool_calls"], 1);
    assert!(!report["session_id"].as_str().unwrap().is_empty());
    let answer = report["answer"].as_str().unwrap();
    for number in ["5.5", "2.8723", "3.0277"] {
        assert!(answer.contains(number), "{answer}");
    }
    let usage = &report["usage"];
    assert!(usage["input_tokens"].as_u64().unwrap() > 0);
    assert!(usage["output_tokens"].as_u64().unwrap() > 0);
    assert!(report["wall_ms"].is_u64());
}
