//! The `--json` output and token usage summed over several model calls.

use std::ops::AddAssign;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Error;

/// Token usage, summed over every model call it was added from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Input tokens not read from or written to the cache.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens served from the prompt cache.
    pub cache_read_input_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write_input_tokens: u64,
}

impl Usage {
    /// The usage of one Converse call.
    pub fn from_converse(usage: &aws_sdk_bedrockruntime::types::TokenUsage) -> Self {
        let count = |n: i32| u64::try_from(n).unwrap_or(0);
        Self {
            input_tokens: count(usage.input_tokens()),
            output_tokens: count(usage.output_tokens()),
            cache_read_input_tokens: count(usage.cache_read_input_tokens().unwrap_or(0)),
            cache_write_input_tokens: count(usage.cache_write_input_tokens().unwrap_or(0)),
        }
    }

    /// Every input token, cached or not.
    pub fn total_input_tokens(&self) -> u64 {
        self.input_tokens + self.cache_read_input_tokens + self.cache_write_input_tokens
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, other: Self) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
        self.cache_write_input_tokens += other.cache_write_input_tokens;
    }
}

impl From<&aws_sdk_bedrockruntime::types::TokenUsage> for Usage {
    fn from(usage: &aws_sdk_bedrockruntime::types::TokenUsage) -> Self {
        Self::from_converse(usage)
    }
}

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

    #[test]
    fn usage_adds_up() {
        let mut total = Usage::default();
        total += Usage {
            input_tokens: 1,
            output_tokens: 2,
            cache_read_input_tokens: 3,
            cache_write_input_tokens: 4,
        };
        total += Usage {
            input_tokens: 10,
            output_tokens: 20,
            cache_read_input_tokens: 30,
            cache_write_input_tokens: 40,
        };
        assert_eq!(total.output_tokens, 22);
        assert_eq!(total.total_input_tokens(), 88);
    }
}
