//! Example 07 (programmatic tool calling) run offline as a reader would: the
//! tools load, one code block answers in two round trips, and with `--compare`
//! the traditional way measurably needs more round trips, calls and tokens.

use crate::support::{assert_transcript, run_example};
use serde_json::Value;

const EXAMPLE: &str = "07_programmatic_tool_calling";

const RANKING: [&str; 5] = ["Los Angeles", "Denver", "Portland", "Seattle", "San Francisco"];

/// Asserts that the answer names the five cities in the computed order.
fn assert_ranked(answer: &str) {
    let positions: Vec<usize> = RANKING
        .iter()
        .enumerate()
        .map(|(rank, city)| {
            let numbered = format!("{}. ", rank + 1);
            answer
                .find(&format!("{numbered}{city}"))
                .or_else(|| answer.find(&format!("{numbered}**{city}")))
                .unwrap_or_else(|| panic!("{city} is not ranked {}:\n{answer}", rank + 1))
        })
        .collect();
    assert!(positions.is_sorted(), "{answer}");
}

/// The wall-time row of the side-by-side table, which changes from run to run.
fn redact_timings(stdout: &str) -> String {
    stdout
        .lines()
        .map(|line| {
            if line.starts_with("Wall time ") {
                "Wall time     <timing>".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn one_code_block_answers_in_two_round_trips() {
    let run = run_example(EXAMPLE, &["--local"], None);
    run.assert_success();
    let out = &run.stdout;
    let session = out.lines().next().and_then(|l| l.strip_prefix("Session: ")).unwrap();
    assert!(out.ends_with(&format!("\nSession stopped: {session}\n")), "{out}");
    assert!(
        out.contains("\nTools loaded: get_weather(), get_population(), get_cost_of_living()\n"),
        "{out}"
    );
    assert_eq!(out.matches("  [Executing code block...]").count(), 1, "{out}");
    assert!(out.contains("\nModel round-trips used: 2\n"), "{out}");
    assert!(out.contains("\nTraditional approach would need ~16 round-trips"), "{out}");
    assert!(!out.contains("--- Traditional tool calling ---"), "{out}");
    let answer = out.split("--- Answer ---\n").nth(1).unwrap();
    assert_ranked(answer);
    // The answer quotes the table the sandbox printed.
    assert!(answer.contains("13,200,998"), "{answer}");
}

#[test]
fn compare_measures_both_ways() {
    let run = run_example(EXAMPLE, &["--local", "--compare"], None);
    run.assert_success();
    let out = &run.stdout;
    assert!(out.starts_with("Session: "), "{out}");
    assert_eq!(out.matches("  [Tool call: ").count(), 15, "{out}");
    assert!(out.contains("[Tool call: get_cost_of_living(\"Denver\")]"), "{out}");
    let answers: Vec<&str> = out.split("--- Answer ---\n").skip(1).collect();
    assert_eq!(answers.len(), 2);
    for answer in &answers {
        assert_ranked(answer);
    }
    // The traditional answer quotes the data the tools returned.
    assert!(answers[1].contains("| Denver | 72°F | 2963821 | $1700 |"), "{}", answers[1]);
    let table = out.split("--- Side by side ---\n").nth(1).unwrap();
    assert!(table.contains("\nRound trips                2             4\n"), "{table}");
    assert!(table.contains("\nTool calls                 1            15\n"), "{table}");
    assert_transcript("07.txt", &redact_timings(out));
}

#[test]
fn json_has_both_runs() {
    let run = run_example(EXAMPLE, &["--local", "--json", "--compare"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "07");
    assert_eq!(report["sessions_started"], 1);
    let runs: Vec<&Value> = vec![&report["programmatic"], &report["traditional"]];
    for run in &runs {
        for key in ["round_trips", "tool_calls", "wall_ms"] {
            assert!(run[key].is_u64(), "{key} in {run}");
        }
        assert!(run["usage"]["input_tokens"].as_u64().unwrap() > 0);
        assert_ranked(run["answer"].as_str().unwrap());
    }
    let (p, t) = (runs[0], runs[1]);
    assert_eq!((p["round_trips"].as_u64(), p["tool_calls"].as_u64()), (Some(2), Some(1)));
    assert!(p["round_trips"].as_u64() < t["round_trips"].as_u64());
    assert!(p["tool_calls"].as_u64() < t["tool_calls"].as_u64());
    assert!(p["usage"]["input_tokens"].as_u64() < t["usage"]["input_tokens"].as_u64(), "{p}\n{t}");
    // The top-level members are those of the programmatic run.
    assert_eq!(report["round_trips"], p["round_trips"]);
    assert_eq!(report["usage"], p["usage"]);
    assert!(report["wall_ms"].as_u64().unwrap() >= p["wall_ms"].as_u64().unwrap());
}

#[test]
fn json_without_compare_has_no_traditional_run() {
    let run = run_example(EXAMPLE, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["programmatic"]["round_trips"], 2);
    assert!(report.get("traditional").is_none(), "{report}");
}
