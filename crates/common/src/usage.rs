//! Token usage summed over several model calls.

use std::ops::AddAssign;

use serde::Serialize;

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

#[cfg(test)]
mod tests {
    use super::*;

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
