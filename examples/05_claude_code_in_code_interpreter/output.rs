//! What the reader sees: human lines on stdout, or one `--json` object; a
//! spinner on stderr while a slow sandbox step runs.

use std::time::Duration;

use common::JsonReport;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
    Skipped,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// Collects the steps for `--json` and prints the human lines otherwise.
pub struct Output {
    json: bool,
    steps: Vec<Value>,
    /// The report printed with `--json` (`session_id`, `code_interpreter_id`, ...).
    pub report: JsonReport,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json, steps: Vec::new(), report: JsonReport::new("05") }
    }

    /// A line of the human output.
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.json {
            println!("{}", line.as_ref());
        }
    }

    /// Records a step for `--json`; its message is also a line of the human output.
    pub fn step(&mut self, name: &str, status: Status, message: impl Into<String>) {
        let message = message.into();
        self.say(&message);
        self.steps
            .push(json!({"step": name, "status": status.as_str(), "message": message.trim()}));
    }

    /// True when a step failed.
    pub fn any_failed(&self) -> bool {
        self.steps.iter().any(|step| step["status"] == Status::Failed.as_str())
    }

    /// A spinner with the elapsed time on stderr (hidden when stderr is not a
    /// terminal, and with `--json`). Finish it with `finish_and_clear`.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if self.json {
            return ProgressBar::hidden();
        }
        let spinner = ProgressBar::new_spinner().with_message(message.to_owned());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            spinner.set_style(style);
        }
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    }

    /// Prints the `--json` object (nothing in human mode).
    pub fn print_json(mut self, wall: Duration) -> anyhow::Result<()> {
        if self.json {
            let steps = std::mem::take(&mut self.steps);
            let report = self.report.with("steps", steps).wall(wall);
            println!("{}", report.to_json_line()?);
        }
        Ok(())
    }
}
