//! Transcript files: parsing, validation and matching against a conversation.
//!
//! The format is documented in [`crate::model`] and `crates/emulator/transcripts/README.md`.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use super::error::ModelError;
use super::template::placeholders;
use super::types::{Api, Conversation};

/// The transcripts compiled into the emulator, in load order.
const EMBEDDED: &[(&str, &str)] = &[
    ("mean_std.toml", include_str!("../../transcripts/mean_std.toml")),
    ("mean_std_agent.toml", include_str!("../../transcripts/mean_std_agent.toml")),
    (
        "bridge_code_execution_20250825.toml",
        include_str!("../../transcripts/bridge_code_execution_20250825.toml"),
    ),
    (
        "bridge_code_execution_20250522.toml",
        include_str!("../../transcripts/bridge_code_execution_20250522.toml"),
    ),
    ("bridge_view_file.toml", include_str!("../../transcripts/bridge_view_file.toml")),
    (
        "bridge_upload_and_output.toml",
        include_str!("../../transcripts/bridge_upload_and_output.toml"),
    ),
    ("bridge_client_tool.toml", include_str!("../../transcripts/bridge_client_tool.toml")),
    ("bridge_ptc_cities.toml", include_str!("../../transcripts/bridge_ptc_cities.toml")),
    ("bridge_slow_code.toml", include_str!("../../transcripts/bridge_slow_code.toml")),
    ("bridge_runs_once.toml", include_str!("../../transcripts/bridge_runs_once.toml")),
    ("bridge_repl_state.toml", include_str!("../../transcripts/bridge_repl_state.toml")),
    ("bridge_memory.toml", include_str!("../../transcripts/bridge_memory.toml")),
    ("bridge_skill.toml", include_str!("../../transcripts/bridge_skill.toml")),
    ("caching_mean.toml", include_str!("../../transcripts/caching_mean.toml")),
    ("caching_std.toml", include_str!("../../transcripts/caching_std.toml")),
    ("caching_median_mode.toml", include_str!("../../transcripts/caching_median_mode.toml")),
    ("cities_programmatic.toml", include_str!("../../transcripts/cities_programmatic.toml")),
    ("cities_traditional.toml", include_str!("../../transcripts/cities_traditional.toml")),
];

/// Placeholders every turn may use besides its captures.
pub(crate) const BUILTIN_PLACEHOLDERS: &[&str] = &["last_result"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    name: String,
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for readers of the file")]
    description: Option<String>,
    #[serde(rename = "match")]
    rules: RulesSpec,
    turns: Vec<TurnSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSpec {
    first_user_message: Option<String>,
    first_user_contains: Option<String>,
    api: Option<OneOrMany>,
    #[serde(default)]
    tools: Vec<String>,
    system_contains: Option<OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnSpec {
    text: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallSpec>,
    #[serde(default)]
    captures: BTreeMap<String, CaptureSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCallSpec {
    name: String,
    #[serde(default)]
    input: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CaptureSpec {
    Pattern(String),
    Scoped { pattern: String, tool: Option<String>, input: Option<String> },
}

/// Where a transcript came from; user files win ties over embedded ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Origin {
    Embedded,
    User,
}

#[derive(Debug)]
pub(crate) enum UserMatch {
    Exact(String),
    Contains(String),
}

#[derive(Debug)]
pub(crate) struct Rules {
    pub first_user: UserMatch,
    pub api: Vec<Api>,
    pub tools: Vec<String>,
    pub system_contains: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct ToolCall {
    pub name: String,
    pub input: serde_json::Value,
}

#[derive(Debug)]
pub(crate) struct Capture {
    pub name: String,
    pub pattern: String,
    pub regex: Regex,
    pub tool: Option<String>,
    pub input: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Turn {
    pub text: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub captures: Vec<Capture>,
}

#[derive(Debug)]
pub(crate) struct Transcript {
    pub name: String,
    pub file: String,
    pub origin: Origin,
    pub rules: Rules,
    pub turns: Vec<Turn>,
}

fn invalid(file: &str, reason: impl Into<String>) -> ModelError {
    ModelError::Invalid { file: file.to_owned(), reason: reason.into() }
}

fn parse_api(file: &str, s: &str) -> Result<Api, ModelError> {
    match s {
        "converse" => Ok(Api::Converse),
        "invoke_model" => Ok(Api::InvokeModel),
        other => {
            Err(invalid(file, format!("unknown api {other:?} (use converse or invoke_model)")))
        }
    }
}

impl Transcript {
    /// Parses and validates one transcript file.
    pub(crate) fn parse(file: &str, text: &str, origin: Origin) -> Result<Self, ModelError> {
        let spec: FileSpec = toml::from_str(text).map_err(|source| ModelError::Parse {
            file: file.to_owned(),
            source: Box::new(source),
        })?;
        let first_user = match (spec.rules.first_user_message, spec.rules.first_user_contains) {
            (Some(m), None) => UserMatch::Exact(m.trim().to_owned()),
            (None, Some(c)) => UserMatch::Contains(c),
            _ => {
                return Err(invalid(
                    file,
                    "[match] needs exactly one of first_user_message or first_user_contains",
                ));
            }
        };
        let api = spec
            .rules
            .api
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
            .iter()
            .map(|a| parse_api(file, a))
            .collect::<Result<Vec<_>, _>>()?;
        let system_contains = spec
            .rules
            .system_contains
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.to_lowercase())
            .collect();
        if spec.turns.is_empty() {
            return Err(invalid(file, "a transcript needs at least one [[turns]]"));
        }
        let mut turns = Vec::with_capacity(spec.turns.len());
        for (i, t) in spec.turns.into_iter().enumerate() {
            turns.push(compile_turn(file, i + 1, t)?);
        }
        Ok(Self {
            name: spec.name,
            file: file.to_owned(),
            origin,
            rules: Rules { first_user, api, tools: spec.rules.tools, system_contains },
            turns,
        })
    }

    /// `Some(specificity)` when the transcript matches; more specific rules win.
    pub(crate) fn matches(&self, conv: &Conversation) -> Option<u32> {
        let r = &self.rules;
        let first = conv.first_user_text()?;
        let first = first.trim();
        let mut score = match &r.first_user {
            UserMatch::Exact(m) if first == m => 3,
            UserMatch::Contains(c) if first.contains(c.as_str()) => 1,
            _ => return None,
        };
        if !r.api.is_empty() {
            if !r.api.contains(&conv.api) {
                return None;
            }
            score += 1;
        }
        for want in &r.tools {
            let offered = conv
                .tools
                .iter()
                .any(|t| &t.name == want || t.kind.as_deref() == Some(want.as_str()));
            if !offered {
                return None;
            }
            score += 1;
        }
        if !r.system_contains.is_empty() {
            let system = conv.system.join("\n").to_lowercase();
            if !r.system_contains.iter().any(|s| system.contains(s.as_str())) {
                return None;
            }
            score += 1;
        }
        Some(score)
    }
}

fn compile_turn(file: &str, number: usize, t: TurnSpec) -> Result<Turn, ModelError> {
    if t.text.as_deref().is_none_or(str::is_empty) && t.tool_calls.is_empty() {
        return Err(invalid(file, format!("turn {number} has neither text nor tool_calls")));
    }
    let mut captures = Vec::with_capacity(t.captures.len());
    for (name, spec) in t.captures {
        if BUILTIN_PLACEHOLDERS.contains(&name.as_str()) {
            return Err(invalid(file, format!("turn {number}: capture name `{name}` is reserved")));
        }
        let (pattern, tool, input) = match spec {
            CaptureSpec::Pattern(p) => (p, None, None),
            CaptureSpec::Scoped { pattern, tool, input } => (pattern, tool, input),
        };
        let regex = Regex::new(&pattern).map_err(|source| ModelError::Regex {
            file: file.to_owned(),
            capture: name.clone(),
            source: Box::new(source),
        })?;
        captures.push(Capture { name, pattern, regex, tool, input });
    }
    if let Some(text) = &t.text {
        for p in placeholders(text) {
            let known = BUILTIN_PLACEHOLDERS.contains(&p) || captures.iter().any(|c| c.name == p);
            if !known {
                return Err(invalid(
                    file,
                    format!(
                        "turn {number}: placeholder {{{p}}} is neither a capture of this turn nor \
                         one of {BUILTIN_PLACEHOLDERS:?} (write {{{{ for a literal brace)"
                    ),
                ));
            }
        }
    }
    let tool_calls = t
        .tool_calls
        .into_iter()
        .map(|c| ToolCall {
            name: c.name,
            input: c.input.unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new())),
        })
        .collect();
    Ok(Turn { text: t.text, tool_calls, captures })
}

/// The embedded transcripts followed by the `*.toml` files of `dir` (sorted by file name). A user
/// transcript with the name of an embedded one replaces it.
pub(crate) fn load_all(dir: Option<&Path>) -> Result<Vec<Transcript>, ModelError> {
    let mut all = EMBEDDED
        .iter()
        .map(|(file, text)| Transcript::parse(file, text, Origin::Embedded))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(dir) = dir else {
        return Ok(all);
    };
    let read_dir = |source| ModelError::ReadDir { path: dir.to_owned(), source };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir)? {
        let path = entry.map_err(read_dir)?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|source| ModelError::ReadFile { path: path.clone(), source })?;
        let t = Transcript::parse(&path.display().to_string(), &text, Origin::User)?;
        all.retain(|e| !(e.origin == Origin::Embedded && e.name == t.name));
        tracing::debug!(name = %t.name, file = %t.file, "loaded user transcript");
        all.push(t);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_transcript_parses() {
        let all = load_all(None);
        assert!(all.is_ok(), "{all:?}");
        let all = all.unwrap_or_default();
        assert_eq!(all.len(), EMBEDDED.len());
        let mut names: Vec<_> = all.iter().map(|t| t.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EMBEDDED.len(), "duplicate transcript names");
    }

    fn parse_err(text: &str) -> String {
        match Transcript::parse("t.toml", text, Origin::User) {
            Ok(_) => panic!("expected an error"),
            Err(e) => {
                let mut s = e.to_string();
                if let Some(src) = std::error::Error::source(&e) {
                    s.push_str(&format!(": {src}"));
                }
                s
            }
        }
    }

    #[test]
    fn rejects_bad_files_with_reasons() {
        let e = parse_err("name = \"x\"\n[match]\n[[turns]]\ntext = \"a\"\n");
        assert!(e.contains("first_user_message"), "{e}");
        let e = parse_err(
            "name = \"x\"\n[match]\nfirst_user_message = \"q\"\n[[turns]]\ntext = \"{nope}\"\n",
        );
        assert!(e.contains("{nope}"), "{e}");
        let e = parse_err(
            "name = \"x\"\n[match]\nfirst_user_message = \"q\"\napi = \"grpc\"\n[[turns]]\ntext = \"a\"\n",
        );
        assert!(e.contains("grpc"), "{e}");
        let e = parse_err(
            "name = \"x\"\n[match]\nfirst_user_message = \"q\"\n[[turns]]\ntext = \"{a}\"\n[turns.captures]\na = '('\n",
        );
        assert!(e.contains("invalid regex"), "{e}");
        let e = parse_err("name = \"x\"\nturns = []\n[match]\nfirst_user_message = \"q\"\n");
        assert!(e.contains("at least one"), "{e}");
    }
}
