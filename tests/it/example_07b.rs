//! Example 07b (programmatic tool calling through the bridge) run offline as a reader
//! would: the model's one code block calls the three tools of this client 15 times,
//! each call answered by the example, and the ranking is example 07's.

use crate::support::{assert_transcript, run_example};

const EXAMPLE: &str = "07b_programmatic_tool_calling_via_bridge";

#[test]
fn the_code_calls_the_clients_tools_and_the_ranking_is_07s() {
    let run = run_example(EXAMPLE, &["--local"], None);
    run.assert_success();
    let out = &run.stdout;
    assert_eq!(out.matches("  [Code called ").count(), 15, "{out}");
    for city in ["Seattle", "Portland", "San Francisco", "Los Angeles", "Denver"] {
        for tool in ["get_weather", "get_population", "get_cost_of_living"] {
            let call = format!("  [Code called {tool}({{\"city\":\"{city}\"}})]\n");
            assert!(out.contains(&call), "{call} missing:\n{out}");
        }
    }
    let answer = out.split("--- Answer ---\n").nth(1).unwrap();
    let ranking = ["Los Angeles", "Denver", "Portland", "Seattle", "San Francisco"];
    let positions: Vec<usize> = (ranking.iter().enumerate())
        .map(|(i, city)| {
            let line = format!("{}. {city} (score", i + 1);
            answer.find(&line).unwrap_or_else(|| panic!("{line} missing:\n{out}"))
        })
        .collect();
    assert!(positions.is_sorted(), "{answer}");
    // One request, then one per pause: five pauses of three calls made at once.
    assert!(out.contains("\nRound trips to the bridge: 6\n"), "{out}");
    assert!(out.ends_with("\nTool calls run in this client: 15\n"), "{out}");
    assert_transcript("07b.txt", out);
}

#[test]
fn json_reports_calls_and_only_the_tokens_the_model_read() {
    let run = run_example(EXAMPLE, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "07b", "{report}");
    assert_eq!(report["round_trips"], 6, "{report}");
    assert_eq!(report["tool_calls"], 15, "{report}");
    // Two model calls; the 15 tool results went to the code, not the model.
    let input = report["usage"]["input_tokens"].as_u64().unwrap();
    assert!(input > 0 && input < 4000, "{report}");
}
