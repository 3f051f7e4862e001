//! Which Bedrock model or inference profile serves an Anthropic model name.

use std::collections::BTreeMap;

use crate::error::ApiError;

/// Anthropic model names and the Bedrock ids that serve them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelMap {
    entries: BTreeMap<String, String>,
}

/// The names served out of the box: current Claude models, through the global
/// cross-region inference profiles (Bedrock refuses on-demand calls of a bare
/// Claude 4.x model id).
const DEFAULT: [(&str, &str); 4] = [
    ("claude-sonnet-4-6", "global.anthropic.claude-sonnet-4-6"),
    ("claude-opus-4-6", "global.anthropic.claude-opus-4-6-v1"),
    ("claude-haiku-4-5", "global.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ("claude-haiku-4-5-20251001", "global.anthropic.claude-haiku-4-5-20251001-v1:0"),
];

impl Default for ModelMap {
    fn default() -> Self {
        let entries = DEFAULT.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        Self { entries }
    }
}

impl ModelMap {
    /// Adds or replaces entries from `name=bedrock-id` lines (blank lines and `#`
    /// comments are skipped), as `--model-map` files hold them.
    pub fn extend_from_lines(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, id)) = line.split_once('=') else {
                return Err(format!(
                    "line {}: expected name=bedrock-model-id, got {line:?}",
                    number + 1
                ));
            };
            self.entries.insert(name.trim().to_owned(), id.trim().to_owned());
        }
        Ok(())
    }

    /// The Bedrock id for `name`; the API's `not_found_error` for a name it does not serve.
    pub fn resolve(&self, name: &str) -> Result<&str, ApiError> {
        self.entries
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ApiError::not_found(format!("model: {name}")))
    }

    /// The names served, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}
