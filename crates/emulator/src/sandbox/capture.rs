//! Reading captured output with a size cap.
//!
//! Output goes to files, never to pipes held in memory; only the first `limit` bytes are
//! read, and the total size comes from the file's metadata, so 100 MB of output costs
//! one stat and one bounded read.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Captured text, cut to the cap.
#[derive(Debug, Default, Clone)]
pub(crate) struct Captured {
    pub text: String,
    pub truncated: bool,
}

/// Reads at most `limit` bytes of `path`; a missing file reads as empty.
pub(crate) fn read_capped(path: &Path, limit: usize) -> Captured {
    let Ok(file) = File::open(path) else {
        return Captured::default();
    };
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(limit).min(limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX);
    if let Err(err) = file.take(cap).read_to_end(&mut bytes) {
        tracing::debug!(path = %path.display(), error = %err, "reading captured output failed");
    }
    // The file may still be growing (a background child); trust what we read if larger.
    let total = total.max(bytes.len() as u64);
    let truncated = total > bytes.len() as u64;
    let mut text = utf8_prefix(&bytes, truncated);
    if truncated {
        text.push_str(&truncation_marker(total, bytes.len()));
    }
    Captured { text, truncated }
}

/// The line appended to cut output.
pub(crate) fn truncation_marker(total: u64, shown: usize) -> String {
    format!("\n[output truncated: {total} bytes total, showing first {shown}]")
}

/// Lossy UTF-8, dropping a multi-byte character cut in half at the end of a truncated read.
fn utf8_prefix(bytes: &[u8], truncated: bool) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(err) if truncated && err.error_len().is_none() => {
            String::from_utf8_lossy(&bytes[..err.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Appends a note on its own line to captured stderr.
pub(crate) fn append_note(stderr: &mut String, note: &str) {
    if !stderr.is_empty() && !stderr.ends_with('\n') {
        stderr.push('\n');
    }
    stderr.push_str(note);
    stderr.push('\n');
}
