//! What an example prints: lines for a reader, or with `--json` one report.
//! Nothing else in the crate writes to stdout.

use std::fmt::Display;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::error::Error;
use crate::report::JsonReport;

/// Prints an example's lines for a reader, or with `--json` nothing but the
/// report at the end. Clones print to the same terminal (an agent's event
/// callback holds one).
#[derive(Debug, Clone)]
pub struct Printer {
    json: bool,
    started: Instant,
    /// Whether the cursor is at the start of a line (streamed text may leave it
    /// mid-line).
    at_line_start: Arc<AtomicBool>,
}

impl Printer {
    /// Lines to stdout unless `json`; the wall time counts from here.
    pub fn new(json: bool) -> Self {
        Self { json, started: Instant::now(), at_line_start: Arc::new(AtomicBool::new(true)) }
    }

    /// Whether the run ends with a JSON report instead of lines.
    pub fn json(&self) -> bool {
        self.json
    }

    /// One line for the reader (nothing with `--json`), on a line of its own even
    /// after streamed text.
    pub fn line(&self, line: impl Display) {
        if !self.json {
            if !self.at_line_start.swap(true, Ordering::Relaxed) {
                println!();
            }
            println!("{line}");
        }
    }

    /// Model text as it streams in, printed as it comes.
    pub fn stream(&self, piece: &str) {
        if !self.json && !piece.is_empty() {
            print!("{piece}");
            let _ = std::io::stdout().flush();
            self.at_line_start.store(piece.ends_with('\n'), Ordering::Relaxed);
        }
    }

    /// `[Code output: <the first 100 characters>...]`, the line the Python prints
    /// after each tool call.
    pub fn code_output(&self, text: &str) {
        self.preview("[Code output: ", text, 100);
    }

    /// `<label><the first chars characters of text>...]`: a tool's output, cut short.
    pub fn preview(&self, label: &str, text: &str, chars: usize) {
        let preview: String = text.chars().take(chars).collect();
        self.line(format_args!("{label}{preview}...]"));
    }

    /// With `--json`, the report with the wall time since [`Printer::new`].
    pub fn report(&self, report: JsonReport) -> Result<(), Error> {
        if self.json {
            println!("{}", report.wall(self.started.elapsed()).to_json_line()?);
        }
        Ok(())
    }
}
