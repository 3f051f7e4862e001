//! Errors of the scripted model.

use std::path::PathBuf;

use super::types::Api;

/// Environment variable naming a directory of extra transcripts (also the `--transcripts` flag).
pub const TRANSCRIPTS_ENV: &str = "AGENTCORE_EMULATOR_TRANSCRIPTS";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("cannot read the transcripts directory {}", path.display())]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the transcript file {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("transcript file {file} is not a valid transcript")]
    Parse {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("transcript file {file}: capture `{capture}` has an invalid regex")]
    Regex {
        file: String,
        capture: String,
        #[source]
        source: Box<regex::Error>,
    },
    #[error("transcript file {file}: {reason}")]
    Invalid { file: String, reason: String },
    /// A request body the model cannot read; the reason names the field.
    #[error("invalid request: {reason}")]
    InvalidRequest { reason: String },
    /// A request the service itself refuses; the message is the service's own.
    #[error("{message}")]
    Rejected { message: String },
    #[error("{0}")]
    NoTranscript(Box<NoTranscript>),
}

/// What was asked when no transcript matched; its `Display` explains how to add one.
#[derive(Debug, Clone, PartialEq)]
pub struct NoTranscript {
    pub api: Api,
    pub model_id: String,
    pub first_user_message: Option<String>,
    pub tools: Vec<String>,
    pub system: Option<String>,
}

fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}...")
    }
}

impl std::fmt::Display for NoTranscript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.first_user_message.as_deref().unwrap_or("");
        write!(
            f,
            "The emulator's scripted model has no transcript for this conversation \
             (api: {}, model: {}, first user message: {:?}, tools: [{}], system prompt: {}). ",
            self.api,
            self.model_id,
            excerpt(first, 300),
            self.tools.join(", "),
            match &self.system {
                Some(s) => format!("{:?}", excerpt(s, 120)),
                None => "none".to_owned(),
            },
        )?;
        let quoted = toml::Value::String(first.to_owned()).to_string();
        write!(
            f,
            "To script it, save a TOML file like this one as DIR/my_conversation.toml:\n\n\
             name = \"my-conversation\"\n\
             [match]\n\
             first_user_message = {quoted}\n\
             [[turns]]\n\
             text = \"The scripted answer.\"\n\n\
             and start the emulator with `--transcripts DIR` (or set {TRANSCRIPTS_ENV}=DIR). \
             Turns can also call tools and quote values captured from the tool results; the \
             format is described in crates/emulator/transcripts/README.md."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_transcript_message_says_what_and_how() {
        let e = ModelError::NoTranscript(Box::new(NoTranscript {
            api: Api::Converse,
            model_id: "m".into(),
            first_user_message: Some("What is \"2+2\"?".into()),
            tools: vec!["execute_python".into()],
            system: None,
        }));
        let s = e.to_string();
        assert!(s.contains("api: converse"), "{s}");
        assert!(s.contains("tools: [execute_python]"), "{s}");
        assert!(s.contains("first_user_message = 'What is \"2+2\"?'"), "{s}");
        assert!(s.contains("--transcripts DIR"), "{s}");
        assert!(s.contains(TRANSCRIPTS_ENV), "{s}");
    }
}
