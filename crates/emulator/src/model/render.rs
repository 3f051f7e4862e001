//! Filling a turn's text with values captured from the tool results of the conversation.

use std::collections::HashMap;

use super::template::{Piece, pieces};
use super::transcript::{Capture, Turn};
use super::types::{Block, Conversation};

/// Longest tool-result excerpt quoted by `{last_result}` or an error note.
const MAX_QUOTE_CHARS: usize = 1500;

/// One tool result of the conversation with the call it answers.
struct ResultView<'a> {
    text: &'a str,
    is_error: bool,
    tool: Option<&'a str>,
    input: Option<String>,
}

/// Tool results, latest first.
fn results(conv: &Conversation) -> Vec<ResultView<'_>> {
    let mut calls = HashMap::new();
    for m in &conv.messages {
        for b in &m.content {
            if let Block::ToolUse { id, name, input } = b {
                calls.insert(id.as_str(), (name.as_str(), input));
            }
        }
    }
    conv.messages
        .iter()
        .rev()
        .flat_map(|m| m.content.iter().rev())
        .filter_map(|b| match b {
            Block::ToolResult { tool_use_id, text, is_error } => {
                let call = calls.get(tool_use_id.as_str());
                Some(ResultView {
                    text,
                    is_error: *is_error,
                    tool: call.map(|(n, _)| *n),
                    input: call.map(|(_, i)| i.to_string()),
                })
            }
            _ => None,
        })
        .collect()
}

fn quote(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_QUOTE_CHARS {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX_QUOTE_CHARS).collect();
        format!("{cut}...")
    }
}

fn capture_value(c: &Capture, results: &[ResultView<'_>]) -> String {
    let in_scope = |r: &&ResultView<'_>| {
        c.tool.as_deref().is_none_or(|t| r.tool == Some(t))
            && c.input
                .as_deref()
                .is_none_or(|i| r.input.as_deref().is_some_and(|inp| inp.contains(i)))
    };
    for r in results.iter().filter(in_scope) {
        if let Some(caps) = c.regex.captures(r.text) {
            let m = caps.get(1).or_else(|| caps.get(0));
            return m.map(|m| m.as_str().trim().to_owned()).unwrap_or_default();
        }
    }
    let mut scope = String::new();
    if let Some(t) = &c.tool {
        scope.push_str(&format!(" of `{t}`"));
    }
    if let Some(i) = &c.input {
        scope.push_str(&format!(" called with `{i}`"));
    }
    let why = if results.is_empty() { "; the conversation has no tool results" } else { "" };
    format!(
        "[could not find `{}` in the tool output{scope} (pattern `{}`){why}]",
        c.name, c.pattern
    )
}

/// Renders a turn's text: captures are searched over the tool results, latest first; a failed
/// capture renders as a plain note. When the latest tool result is an error and the text does not
/// quote it through `{last_result}`, a note with the error is appended, so a broken sandbox shows.
pub(crate) fn render_text(turn: &Turn, conv: &Conversation) -> Option<String> {
    let template = turn.text.as_deref().filter(|t| !t.is_empty())?;
    let results = results(conv);
    let values: HashMap<&str, String> =
        turn.captures.iter().map(|c| (c.name.as_str(), capture_value(c, &results))).collect();
    let last = results.first();
    let mut quoted_last = false;
    let mut out = String::new();
    for p in pieces(template) {
        match p {
            Piece::Literal(s) => out.push_str(s),
            Piece::Placeholder("last_result") => {
                quoted_last = true;
                match last {
                    Some(r) => out.push_str(&quote(r.text)),
                    None => out.push_str("[no tool result in the conversation]"),
                }
            }
            Piece::Placeholder(name) => match values.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    if let Some(r) = last
        && r.is_error
        && !quoted_last
    {
        out.push_str("\n\n[Note: the last tool call failed with: ");
        out.push_str(&quote(r.text));
        out.push(']');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::transcript::{Origin, Transcript};
    use crate::model::types::{Api, Message};
    use serde_json::json;

    fn conv(results: &[(&str, &str, serde_json::Value, &str, bool)]) -> Conversation {
        let mut messages = vec![Message::user(vec![Block::Text("q".into())])];
        for (id, name, input, text, is_error) in results {
            messages.push(Message::assistant(vec![Block::ToolUse {
                id: (*id).into(),
                name: (*name).into(),
                input: input.clone(),
            }]));
            messages.push(Message::user(vec![Block::ToolResult {
                tool_use_id: (*id).into(),
                text: (*text).into(),
                is_error: *is_error,
            }]));
        }
        Conversation {
            api: Api::Converse,
            model_id: "m".into(),
            system: vec![],
            tools: vec![],
            messages,
            prompt_blocks: vec![],
            max_tokens: None,
        }
    }

    fn turn(body: &str) -> Turn {
        let text = format!("name = \"t\"\n[match]\nfirst_user_message = \"q\"\n{body}");
        match Transcript::parse("t.toml", &text, Origin::User) {
            Ok(mut t) => t.turns.remove(0),
            Err(e) => panic!("{e}: {:?}", std::error::Error::source(&e)),
        }
    }

    #[test]
    fn captures_latest_first_and_reports_failures_plainly() {
        let t = turn(
            "[[turns]]\ntext = \"mean {mean}, sd {sd}, {{literal}}\"\n\
             [turns.captures]\nmean = 'Mean: ([0-9.]+)'\nsd = 'Std: ([0-9.]+)'\n",
        );
        let c = conv(&[
            ("a", "execute_python", json!({}), "Mean: 1.0", false),
            ("b", "execute_python", json!({}), "Mean: 5.5\n", false),
        ]);
        let out = render_text(&t, &c).unwrap_or_default();
        assert_eq!(
            out,
            "mean 5.5, sd [could not find `sd` in the tool output (pattern `Std: ([0-9.]+)`)], {literal}"
        );
    }

    #[test]
    fn scoped_captures_use_the_matching_call() {
        let t = turn(
            "[[turns]]\ntext = \"LA {la}, Denver {den}\"\n[turns.captures]\n\
             la = { pattern = '\"temp_f\": (\\d+)', tool = \"get_weather\", input = \"Los Angeles\" }\n\
             den = { pattern = '\"temp_f\": (\\d+)', tool = \"get_weather\", input = \"Denver\" }\n",
        );
        let c = conv(&[
            ("a", "get_weather", json!({"city": "Los Angeles"}), "{\"temp_f\": 78}", false),
            ("b", "get_weather", json!({"city": "Seattle"}), "{\"temp_f\": 58}", false),
        ]);
        let out = render_text(&t, &c).unwrap_or_default();
        assert!(out.starts_with("LA 78, Denver [could not find `den`"), "{out}");
        assert!(out.contains("of `get_weather` called with `Denver`"), "{out}");
    }

    #[test]
    fn errors_show_up() {
        let t =
            turn("[[turns]]\ntext = \"Mean {mean}\"\n[turns.captures]\nmean = 'Mean: (\\S+)'\n");
        let c = conv(&[("a", "execute_python", json!({}), "ModuleNotFoundError: numpy", true)]);
        let out = render_text(&t, &c).unwrap_or_default();
        assert!(out.contains("could not find `mean`"), "{out}");
        assert!(out.contains("failed with: ModuleNotFoundError: numpy"), "{out}");

        let t = turn("[[turns]]\ntext = \"Output: {last_result}\"\n");
        let out = render_text(&t, &c).unwrap_or_default();
        assert_eq!(out, "Output: ModuleNotFoundError: numpy");
        let out = render_text(&t, &conv(&[])).unwrap_or_default();
        assert_eq!(out, "Output: [no tool result in the conversation]");
    }
}
