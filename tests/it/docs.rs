//! The outputs shown in `docs/OUTPUT.md` and the README are the ones the examples
//! print: each is checked against the transcript its example's test records
//! (`tests/transcripts`, re-recorded with `UPDATE_TRANSCRIPTS=1`), so the three
//! cannot drift apart.

use std::path::Path;

/// Each `$ cargo run --example NAME ...` block of a Markdown file: the example's
/// name and the lines printed under the command, session ids redacted.
fn shown_runs(markdown: &str) -> Vec<(String, Vec<String>)> {
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    // The fence of the code block being read (a block may hold shorter fences).
    let mut fence: Option<&str> = None;
    let mut open = false;
    for line in markdown.lines() {
        let backticks = &line[..line.len() - line.trim_start_matches('`').len()];
        if backticks.len() >= 3 && fence.is_none() {
            fence = Some(backticks);
        } else if fence.is_some_and(|f| line == f) {
            (fence, open) = (None, false);
        } else if let Some(rest) = line.strip_prefix("$ cargo run --example ") {
            let name = rest.split_whitespace().next().unwrap_or_default().to_owned();
            runs.push((name, Vec::new()));
            open = true;
        } else if open && let Some((_, lines)) = runs.last_mut() {
            // Wall times differ on every run; the transcripts keep a placeholder.
            let timing = line.starts_with("Wall time ");
            lines.push(if timing { "Wall time     <timing>".to_owned() } else { line.to_owned() });
        }
    }
    for (_, lines) in &mut runs {
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let ids: Vec<String> = lines
            .iter()
            .filter_map(|l| {
                let bracketed =
                    l.strip_prefix("[Session started: ").and_then(|r| r.strip_suffix(']'));
                Some(bracketed.or_else(|| l.strip_prefix("Session: "))?.to_owned())
            })
            .collect();
        for line in lines.iter_mut() {
            for id in &ids {
                *line = line.replace(id.as_str(), "<session-id>");
            }
        }
    }
    runs
}

/// The recorded transcript of example `name` (`NN_...` → `NN.txt`, `07b_...` →
/// `07b.txt`), if it has one.
fn transcript(name: &str) -> Option<Vec<String>> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/transcripts")
        .join(format!("{}.txt", name.split('_').next()?));
    let text = std::fs::read_to_string(file).ok()?;
    Some(text.trim_end().lines().map(str::to_owned).collect())
}

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
}

#[test]
fn docs_output_md_shows_the_recorded_transcripts() {
    let mut checked = 0;
    for (name, shown) in shown_runs(&read("docs/OUTPUT.md")) {
        let Some(recorded) = transcript(&name) else { continue };
        assert_eq!(
            shown.join("\n"),
            recorded.join("\n"),
            "docs/OUTPUT.md differs from tests/transcripts for {name}: run scripts/record-outputs.sh"
        );
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} runs of docs/OUTPUT.md have a transcript");
}

#[test]
fn readme_excerpts_are_lines_of_the_recorded_transcripts_in_order() {
    let mut checked = 0;
    for (name, shown) in shown_runs(&read("README.md")) {
        let Some(recorded) = transcript(&name) else { continue };
        let mut rest = recorded.iter();
        for line in shown.iter().filter(|l| l.as_str() != "...") {
            assert!(
                rest.any(|r| r == line),
                "README excerpt of {name}: {line:?} is not in tests/transcripts (in this order)"
            );
        }
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} README excerpts have a transcript");
}

/// Lines of an example: its file, or every file of its directory (05).
fn rust_lines(name: &str) -> usize {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let file = examples.join(format!("{name}.rs"));
    let files: Vec<std::path::PathBuf> = if file.exists() {
        vec![file]
    } else {
        let dir = std::fs::read_dir(examples.join(name)).unwrap();
        dir.map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect()
    };
    files.iter().map(|f| std::fs::read_to_string(f).unwrap().lines().count()).sum()
}

#[test]
fn the_readme_table_counts_each_examples_lines() {
    let readme = read("README.md");
    let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| 0")).collect();
    assert_eq!(rows.len(), 8, "one row per example");
    for row in rows {
        let name = row.split('`').nth(1).unwrap();
        let counted = row.trim_end_matches(" |").rsplit("| ").next().unwrap();
        let rust: usize = counted.split(" / ").next().unwrap().parse().unwrap();
        assert_eq!(rust, rust_lines(name), "README's line count of {name}: update the table");
    }
}
