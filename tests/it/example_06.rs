//! Example 06 (prompt caching) run offline as a reader would: question 1 writes
//! the cache, questions 2 and 3 read it, and the summary adds up.

use crate::support::{assert_transcript, run_example};
use serde_json::Value;

const EXAMPLE: &str = "06_invoke_model_with_caching";

fn tokens(usage: &Value, key: &str) -> u64 {
    usage[key].as_u64().unwrap_or_else(|| panic!("no {key} in {usage}"))
}

#[test]
fn the_first_question_writes_the_cache_and_the_others_read_it() {
    let run = run_example(EXAMPLE, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "06");
    assert_eq!(report["sessions_started"], 1);
    let calls = report["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3);

    // The cacheable prefix is what question 1 wrote: tools + system prompt,
    // far over the 1,024-token minimum.
    let prefix = tokens(&calls[0]["usage"], "cache_write_input_tokens");
    assert!(prefix > 1024, "prefix of {prefix} tokens");
    for call in &calls[1..] {
        let usage = &call["usage"];
        assert_eq!(tokens(usage, "cache_write_input_tokens"), 0, "{call}");
        // Every model call of the loop reads the prefix (at least 90% of it).
        let rounds = call["round_trips"].as_u64().unwrap();
        assert!(rounds >= 1);
        assert!(tokens(usage, "cache_read_input_tokens") * 10 >= prefix * 9 * rounds, "{call}");
        // What is not cached is small next to what is.
        assert!(tokens(usage, "input_tokens") < tokens(usage, "cache_read_input_tokens"));
    }

    // The answers quote what the sandbox printed.
    let answers: Vec<&str> = calls.iter().map(|c| c["answer"].as_str().unwrap()).collect();
    assert!(answers[0].contains("5.5"), "{}", answers[0]);
    assert!(answers[1].contains("2.8723") && answers[1].contains("3.0277"), "{}", answers[1]);
    assert!(answers[2].contains("4.5") && answers[2].contains("**Mode:** 5"), "{}", answers[2]);

    // The totals are the sums of the calls.
    let usage = &report["usage"];
    for key in
        ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens"]
    {
        let sum: u64 = calls.iter().map(|c| tokens(&c["usage"], key)).sum();
        assert_eq!(tokens(usage, key), sum, "{key}");
    }
    let round_trips: u64 = calls.iter().map(|c| c["round_trips"].as_u64().unwrap()).sum();
    assert_eq!(report["round_trips"].as_u64().unwrap(), round_trips);
    assert_eq!(report["tool_calls"], 3);

    // Relative cost: cache write 1.25x, cache read 0.1x of the base price.
    let cost = &report["relative_input_cost"];
    let without = cost["without_caching"].as_f64().unwrap();
    let with = cost["with_caching"].as_f64().unwrap();
    let total_input = tokens(usage, "input_tokens")
        + tokens(usage, "cache_read_input_tokens")
        + tokens(usage, "cache_write_input_tokens");
    assert_eq!(without, total_input as f64);
    let expected = tokens(usage, "input_tokens") as f64
        + 1.25 * tokens(usage, "cache_write_input_tokens") as f64
        + 0.1 * tokens(usage, "cache_read_input_tokens") as f64;
    assert!((with - expected).abs() < 1e-6, "{with} vs {expected}");
    assert!(with < without / 2.0, "caching should more than halve the cost here");
}

#[test]
fn human_output_shows_each_call_and_the_summary_as_the_python_does() {
    let run = run_example(EXAMPLE, &["--local"], None);
    run.assert_success();
    let out = &run.stdout;
    let session = out.lines().next().and_then(|l| l.strip_prefix("Session: ")).unwrap();
    assert!(out.ends_with(&format!("\nSession stopped: {session}\n")), "{out}");
    let writes: Vec<&str> = out.lines().filter(|l| l.starts_with("  Cache write: ")).collect();
    assert_eq!(writes.len(), 3, "{out}");
    assert_ne!(writes[0], "  Cache write: 0 tokens", "call 1 writes the cache:\n{out}");
    assert_eq!(writes[1..], ["  Cache write: 0 tokens"; 2], "{out}");
    assert_eq!(out.matches("tokens  <-- saved!").count(), 2, "{out}");
    for title in ["1: Calculate mean (cache WRITE)", "2: Calculate std dev (cache READ)"] {
        assert!(out.contains(&format!("=== Call {title} ===")), "{out}");
    }
    let summary = out.split("=== Summary ===").nth(1).unwrap();
    assert!(summary.contains("Call 1: wrote "), "{summary}");
    assert!(summary.contains("Total tokens served from cache: "), "{summary}");
    assert!(summary.contains("without caching "), "{summary}");
    // The transcript is deterministic: the emulator counts tokens as ceil(chars / 4).
    assert_transcript("06.txt", out);
}
