//! Small helpers the sandbox's modules share.

use std::time::Duration;

use crate::error::SandboxError;

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, SandboxError> {
    tokio::task::spawn_blocking(f).await.map_err(|join| SandboxError::Protocol {
        message: "a blocking sandbox task failed".into(),
        source: Some(Box::new(join)),
    })?
}

/// 16 random hex characters.
pub(crate) fn random_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// `60s`, `0.5s`.
pub(crate) fn format_secs(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

/// The last `n` lines of `text` (without a trailing newline).
pub(crate) fn tail_lines(text: &str, n: usize) -> &str {
    let text = text.trim_end();
    let mut start = text.len();
    for _ in 0..n {
        match text[..start].rfind('\n') {
            Some(index) => start = index,
            None => return text,
        }
    }
    &text[start + 1..]
}
