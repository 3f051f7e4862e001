//! Recordings: one per conversation, written as a transcript file after every reply.
//!
//! A conversation is identified by its API, first user message, offered tools and system
//! prompt, so the requests of one tool-use loop all land in the same file, turn by turn
//! (the turn is the number of assistant messages already in the request, as in replay).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use regex::Regex;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::assemble::ReplyBlock;
use super::error::RecordError;
use crate::model::{Block, Conversation};

/// The recordings of one emulator.
#[derive(Debug)]
pub struct Recordings {
    dir: PathBuf,
    captures: bool,
    by_key: Mutex<HashMap<String, Recording>>,
}

#[derive(Debug, Clone)]
struct Recording {
    name: String,
    file: PathBuf,
    model_id: String,
    rules: RulesOut,
    turns: Vec<Option<TurnOut>>,
}

#[derive(Debug, Clone, Serialize)]
struct FileOut {
    name: String,
    description: String,
    #[serde(rename = "match")]
    rules: RulesOut,
    turns: Vec<TurnOut>,
}

#[derive(Debug, Clone, Serialize)]
struct RulesOut {
    first_user_message: String,
    api: Vec<String>,
    tools: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system_contains: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct TurnOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<CallOut>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    captures: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
struct CallOut {
    name: String,
    input: toml::Value,
}

/// How much of the system prompt the `system_contains` rule quotes.
const SYSTEM_SNIPPET_CHARS: usize = 80;

impl Recordings {
    pub fn new(dir: PathBuf, captures: bool) -> Self {
        Self { dir, captures, by_key: Mutex::new(HashMap::new()) }
    }

    /// Records `reply` as the next turn of `conv`'s conversation and rewrites its file.
    /// Returns the file written.
    pub fn record(
        &self, conv: &Conversation, reply: &[ReplyBlock],
    ) -> Result<PathBuf, RecordError> {
        let first_user = conv.first_user_text().unwrap_or_default().trim().to_owned();
        let mut tools: Vec<String> = conv.tools.iter().map(|t| t.name.clone()).collect();
        tools.sort();
        tools.dedup();
        let system = conv.system.join("\n");
        let key = hex::encode(
            Sha256::new()
                .chain_update(conv.api.as_str())
                .chain_update([0])
                .chain_update(&first_user)
                .chain_update([0])
                .chain_update(tools.join("\n"))
                .chain_update([0])
                .chain_update(&system)
                .finalize(),
        );
        let turn_index = conv.assistant_turns();
        let turn = self.turn(conv, reply);

        let snapshot = {
            let mut map = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
            let recording = map.entry(key.clone()).or_insert_with(|| {
                let name = format!(
                    "recorded-{}-{}-{}",
                    conv.api.as_str().replace('_', "-"),
                    slug(&first_user),
                    &key[..8]
                );
                Recording {
                    file: self.dir.join(format!("{name}.toml")),
                    name,
                    model_id: conv.model_id.clone(),
                    rules: RulesOut {
                        first_user_message: first_user.clone(),
                        api: vec![conv.api.as_str().to_owned()],
                        tools,
                        system_contains: system_snippet(&system).into_iter().collect(),
                    },
                    turns: Vec::new(),
                }
            });
            if recording.turns.len() <= turn_index {
                recording.turns.resize(turn_index + 1, None);
            }
            recording.turns[turn_index] = Some(turn);
            recording.clone()
        };
        write(&snapshot)?;
        Ok(snapshot.file)
    }

    fn turn(&self, conv: &Conversation, reply: &[ReplyBlock]) -> TurnOut {
        let texts: Vec<&str> = reply
            .iter()
            .filter_map(|b| match b {
                ReplyBlock::Text(t) if !t.trim().is_empty() => Some(t.as_str()),
                _ => None,
            })
            .collect();
        let tool_calls: Vec<CallOut> = reply
            .iter()
            .filter_map(|b| match b {
                ReplyBlock::ToolCall { name, input } => Some(CallOut {
                    name: name.clone(),
                    input: json_to_toml(input)
                        .unwrap_or_else(|| toml::Value::Table(toml::Table::new())),
                }),
                ReplyBlock::Text(_) => None,
            })
            .collect();
        let raw = texts.join("\n\n");
        let (text, captures) = if self.captures {
            with_captures(&raw, &tool_results(conv))
        } else {
            (escape_braces(&raw), BTreeMap::new())
        };
        let text = if text.is_empty() && tool_calls.is_empty() {
            Some("[the model's reply had no text]".to_owned())
        } else {
            (!text.is_empty()).then_some(text)
        };
        TurnOut { text, tool_calls, captures }
    }
}

fn write(recording: &Recording) -> Result<(), RecordError> {
    let turns = recording
        .turns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.clone().unwrap_or_else(|| TurnOut {
                text: Some(format!("[turn {} was not recorded]", i + 1)),
                tool_calls: Vec::new(),
                captures: BTreeMap::new(),
            })
        })
        .collect();
    let file = FileOut {
        name: recording.name.clone(),
        description: format!(
            "Recorded from {} ({} turn(s))",
            recording.model_id,
            recording.turns.len()
        ),
        rules: recording.rules.clone(),
        turns,
    };
    let body = toml::to_string(&file).map_err(|err| RecordError::Write {
        path: recording.file.clone(),
        source: std::io::Error::other(err),
    })?;
    let text = format!(
        "# Recorded by the emulator (record mode): replay it with `--transcripts {}`.\n{body}",
        recording.file.parent().map(|p| p.display().to_string()).unwrap_or_default()
    );
    let tmp = recording.file.with_extension("toml.tmp");
    let io = |source| RecordError::Write { path: recording.file.clone(), source };
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, &recording.file).map_err(io)
}

/// Lowercase words of `text` joined by `-`, at most 40 characters.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if out.len() + word.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() {
        out.push_str("conversation");
    }
    out
}

/// The start of the system prompt, up to a character boundary, for `system_contains`.
fn system_snippet(system: &str) -> Option<String> {
    let trimmed = system.trim();
    if trimmed.is_empty() {
        return None;
    }
    let line = trimmed.lines().next().unwrap_or(trimmed);
    Some(line.chars().take(SYSTEM_SNIPPET_CHARS).collect())
}

fn escape_braces(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// JSON as TOML; `null`s are dropped (TOML has none).
fn json_to_toml(value: &Value) -> Option<toml::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => toml::Value::Array(items.iter().filter_map(json_to_toml).collect()),
        Value::Object(map) => toml::Value::Table(
            map.iter().filter_map(|(k, v)| Some((k.clone(), json_to_toml(v)?))).collect(),
        ),
    })
}

/// The tool result texts of the conversation, latest first (the order captures search).
fn tool_results(conv: &Conversation) -> Vec<String> {
    let mut out: Vec<String> = conv
        .messages
        .iter()
        .flat_map(|m| m.content.iter())
        .filter_map(|b| match b {
            Block::ToolResult { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    out.reverse();
    out
}

/// The value a capture pattern takes: a signed decimal.
const VALUE_PATTERN: &str = "(-?[0-9][0-9.]*[0-9]|-?[0-9])";

/// The text with braces escaped and every number that a tool result printed (a decimal, or
/// an integer of three or more digits) replaced by a capture placeholder whose pattern is the
/// label before the number on that output line.
fn with_captures(text: &str, results: &[String]) -> (String, BTreeMap<String, String>) {
    let Ok(number) = Regex::new(r"-?[0-9]+(?:\.[0-9]+)?") else {
        return (escape_braces(text), BTreeMap::new());
    };
    let mut captures: BTreeMap<String, String> = BTreeMap::new();
    let mut by_value: HashMap<String, String> = HashMap::new();
    let mut out = String::new();
    let mut last = 0;
    for m in number.find_iter(text) {
        let value = m.as_str();
        let digits = value.chars().filter(char::is_ascii_digit).count();
        let boundary_ok = !text[..m.start()].ends_with(|c: char| c.is_ascii_alphanumeric())
            && !text[m.end()..].starts_with(|c: char| c.is_ascii_alphanumeric());
        if !boundary_ok || (!value.contains('.') && digits < 3) {
            continue;
        }
        let name = match by_value.get(value) {
            Some(name) => name.clone(),
            None => {
                let Some((label, pattern)) = capture_for(value, results) else {
                    continue;
                };
                let mut name = label;
                let mut n = 2;
                while captures.contains_key(&name) || name == "last_result" {
                    name = format!(
                        "{}_{n}",
                        name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
                    );
                    n += 1;
                }
                captures.insert(name.clone(), pattern);
                by_value.insert(value.to_owned(), name.clone());
                name
            }
        };
        out.push_str(&escape_braces(&text[last..m.start()]));
        out.push('{');
        out.push_str(&name);
        out.push('}');
        last = m.end();
    }
    out.push_str(&escape_braces(&text[last..]));
    (out, captures)
}

/// A capture (name, pattern) that finds exactly `value` when searched over `results` as the
/// scripted model searches them, or `None`.
fn capture_for(value: &str, results: &[String]) -> Option<(String, String)> {
    for result in results {
        for (start, _) in result.match_indices(value) {
            let end = start + value.len();
            let before = &result[..start];
            let after = &result[end..];
            if before.ends_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
                || after.starts_with(|c: char| c.is_ascii_digit())
            {
                continue;
            }
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let label: String = before[line_start..]
                .chars()
                .rev()
                .take(32)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !label.chars().any(char::is_alphabetic) {
                continue;
            }
            let pattern = format!("{}{VALUE_PATTERN}", regex::escape(&label));
            let regex = Regex::new(&pattern).ok()?;
            let found = results
                .iter()
                .find_map(|r| regex.captures(r))
                .and_then(|c| c.get(1))
                .map(|g| g.as_str());
            if found == Some(value) {
                return Some((capture_name(&label), pattern));
            }
        }
    }
    None
}

/// A placeholder name from a label: its words in snake case.
fn capture_name(label: &str) -> String {
    let words: Vec<String> = label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().any(|c| c.is_ascii_alphabetic()))
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() { "value".to_owned() } else { words.join("_") }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULT: &str = "Data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nMean: 5.5\n\
                          Population Std Dev: 2.8723\nSample Std Dev: 3.0277\n";

    #[test]
    fn numbers_printed_by_a_tool_become_captures() {
        let (text, captures) = with_captures(
            "The mean is 5.5, the sample std {ddof=1} is 3.0277 (population 2.8723); 10 values.",
            &[RESULT.to_owned()],
        );
        assert_eq!(
            text,
            "The mean is {mean}, the sample std {{ddof=1}} is {sample_std_dev} (population {population_std_dev}); 10 values."
        );
        assert_eq!(captures["mean"], r"Mean: (-?[0-9][0-9.]*[0-9]|-?[0-9])");
        assert_eq!(captures.len(), 3);
    }

    #[test]
    fn numbers_no_tool_printed_stay_verbatim() {
        let (text, captures) = with_captures("About 2.87 or 1.5.", &[RESULT.to_owned()]);
        assert_eq!(text, "About 2.87 or 1.5.");
        assert!(captures.is_empty());
    }

    #[test]
    fn json_nulls_are_dropped() {
        let v = serde_json::json!({"code": "x", "none": null, "list": [1, null, "a"]});
        let t = json_to_toml(&v).unwrap();
        assert_eq!(t.to_string(), "{ code = \"x\", list = [1, \"a\"] }");
    }

    #[test]
    fn slugs_are_short_words() {
        assert_eq!(
            slug("Calculate the mean and standard deviation of [1, 2, 3]"),
            "calculate-the-mean-and-standard"
        );
        assert_eq!(slug("?!"), "conversation");
    }
}
