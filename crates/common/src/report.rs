//! The `--json` output.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::usage::Usage;

/// The one JSON object an example prints with `--json`. Unset members are left
/// out; example-specific members go in `extra`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JsonReport {
    /// "00" ... "07".
    pub example: String,
    /// The model's final answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The code-interpreter session used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Model calls made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<usize>,
    /// Tool calls run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<usize>,
    /// Code-interpreter sessions started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions_started: Option<usize>,
    /// Token usage over every model call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Wall time of the whole run in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_ms: Option<u64>,
    /// Members only one example has (06's `calls`, 07's `programmatic`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl JsonReport {
    /// An empty report of one example.
    pub fn new(example: &str) -> Self {
        Self { example: example.to_owned(), ..Self::default() }
    }

    /// The report of one tool-use loop: its answer, round trips, tool calls and
    /// usage.
    pub fn of_loop<M>(example: &str, run: &crate::LoopReport<M>) -> Self {
        Self {
            answer: Some(run.answer.clone()),
            round_trips: Some(run.round_trips),
            tool_calls: Some(run.tool_calls),
            usage: Some(run.usage),
            ..Self::new(example)
        }
    }

    /// Sets the one session the run used.
    pub fn session(self, session_id: &str) -> Self {
        Self { session_id: Some(session_id.to_owned()), sessions_started: Some(1), ..self }
    }

    /// Sets `wall_ms` from a duration.
    pub fn wall(mut self, wall: Duration) -> Self {
        self.wall_ms = Some(u64::try_from(wall.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Adds an example-specific member.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// The report as one line of JSON.
    pub fn to_json_line(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(Error::json("write the JSON report"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unset_members_are_left_out() {
        let mut report = JsonReport::new("01");
        report.answer = Some("5.5".into());
        report.round_trips = Some(2);
        report.usage = Some(Usage { input_tokens: 10, output_tokens: 5, ..Usage::default() });
        let report = report.wall(Duration::from_millis(1234)).with("language", "python");
        let value: Value = serde_json::from_str(&report.to_json_line().unwrap()).unwrap();
        assert_eq!(
            value,
            json!({
                "example": "01", "answer": "5.5", "round_trips": 2,
                "usage": {"input_tokens": 10, "output_tokens": 5,
                          "cache_read_input_tokens": 0, "cache_write_input_tokens": 0},
                "wall_ms": 1234, "language": "python"
            })
        );
    }
}
