//! What the reader sees: human lines on stdout, or one `--json` object; a
//! spinner on stderr while a slow sandbox step runs.

use std::time::Duration;

use common::JsonReport;
use common::example::Printer;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    Skipped,
}

/// One step of the run, as `--json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    step: &'static str,
    status: Status,
    message: String,
}

/// Collects the steps for `--json` and prints the human lines otherwise.
pub struct Output {
    printer: Printer,
    steps: Vec<Step>,
    /// The report printed with `--json` (`session_id`, `code_interpreter_id`, ...).
    pub report: JsonReport,
}

impl Output {
    pub fn new(printer: Printer) -> Self {
        Self { printer, steps: Vec::new(), report: JsonReport::new("05") }
    }

    /// A line of the human output.
    pub fn say(&self, line: impl AsRef<str>) {
        self.printer.line(line.as_ref());
    }

    /// Records a step for `--json`; its message is also a line of the human output.
    pub fn step(&mut self, step: &'static str, status: Status, message: impl Into<String>) {
        let message = message.into();
        self.say(&message);
        self.steps.push(Step { step, status, message: message.trim().to_owned() });
    }

    /// True when a step failed.
    pub fn any_failed(&self) -> bool {
        self.steps.iter().any(|step| step.status == Status::Failed)
    }

    /// A spinner with the elapsed time on stderr (hidden when stderr is not a
    /// terminal, and with `--json`). Finish it with `finish_and_clear`.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if self.printer.json() {
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
    pub fn print_json(self) -> anyhow::Result<()> {
        let steps = serde_json::to_value(&self.steps)?;
        Ok(self.printer.report(self.report.with("steps", steps))?)
    }
}
