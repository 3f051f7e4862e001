//! Captured output with a size cap.
//!
//! A call's stdout and stderr go to named pipes ([`OutputPipe`]) that the emulator
//! drains while the code runs: the first `limit` bytes are kept, the rest only
//! counted, so a loop that prints gigabytes costs neither memory nor disk. Output of
//! background tasks, read later, goes to files instead ([`read_capped`]).

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use tokio::net::unix::pipe;
use tokio::sync::oneshot;

use crate::error::SandboxError;

/// Bytes read per `read` from a pipe.
const CHUNK: usize = 64 << 10;
/// What the final drain reads at most once the call has ended: the writer's last
/// pipe-buffer's worth (64 KiB by default, 1 MiB at most unprivileged) and then
/// some, without chasing a background process that keeps printing.
const FINAL_DRAIN: usize = 2 << 20;

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
    Captured::from_prefix(&bytes, total.max(bytes.len() as u64))
}

impl Captured {
    /// The first bytes of an output of `total` bytes, with the marker when cut.
    fn from_prefix(bytes: &[u8], total: u64) -> Captured {
        let truncated = total > bytes.len() as u64;
        let mut text = utf8_prefix(bytes, truncated);
        if truncated {
            text.push_str(&truncation_marker(total, bytes.len()));
        }
        Captured { text, truncated }
    }
}

/// A named pipe that one call writes its stdout or stderr to, drained as it fills.
///
/// The path is a FIFO in the interpreter's private directory: the Python driver opens
/// it like a file, a one-shot command gets [`OutputPipe::writer`] as its stdout. The
/// pipe keeps a write end of its own until [`OutputPipe::finish`], so the reader never
/// sees an end of file before the writer has even opened the path.
pub(crate) struct OutputPipe {
    path: PathBuf,
    writer: File,
    done: oneshot::Sender<()>,
    result: oneshot::Receiver<Captured>,
}

impl OutputPipe {
    /// Makes the FIFO at `path` and starts draining it. Needs a Tokio runtime.
    pub(crate) fn create(path: PathBuf, limit: usize) -> Result<OutputPipe, SandboxError> {
        let io_err =
            |what: &str, source| SandboxError::io(format!("{what} {}", path.display()), source);
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            SandboxError::protocol(format!("{} contains a NUL byte", path.display()))
        })?;
        // SAFETY: mkfifo reads a valid NUL-terminated path and touches no memory of ours.
        if unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) } != 0 {
            return Err(io_err("creating the pipe", io::Error::last_os_error()));
        }
        // The read end first (non-blocking, so it does not wait for a writer), then a
        // blocking write end, which opens at once because a reader exists.
        let receiver = pipe::OpenOptions::new()
            .open_receiver(&path)
            .map_err(|source| io_err("opening the pipe", source))?;
        let writer = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|source| io_err("opening the pipe", source))?;
        let (done, done_rx) = oneshot::channel();
        let (result_tx, result) = oneshot::channel();
        tokio::spawn(drain(receiver, limit, done_rx, result_tx));
        Ok(OutputPipe { path, writer, done, result })
    }

    /// The path the driver opens for writing.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Another write end, for a child's stdout or stderr. Blocking, as a child expects.
    pub(crate) fn writer(&self) -> Result<File, SandboxError> {
        self.writer.try_clone().map_err(|source| {
            SandboxError::io(format!("duplicating {}", self.path.display()), source)
        })
    }

    /// Once the writer is done (its reply came, or it was killed): what it wrote.
    /// Processes it left running keep a write end; what they print later is read and
    /// dropped until they exit, so they never die of a closed pipe.
    pub(crate) async fn finish(self) -> Captured {
        let OutputPipe { path, writer, done, result } = self;
        let _ = done.send(());
        let captured = result.await.unwrap_or_default();
        drop(writer);
        let _ = std::fs::remove_file(&path);
        captured
    }
}

/// Reads the pipe until told the call ended, then what is left in it; hands over the
/// kept prefix and total, then discards until every writer has closed.
async fn drain(
    receiver: pipe::Receiver, limit: usize, mut done: oneshot::Receiver<()>,
    result: oneshot::Sender<Captured>,
) {
    let mut kept = Vec::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let mut keep = |chunk: &[u8], total: &mut u64| {
        let room = limit.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        *total += chunk.len() as u64;
    };
    let mut closed = false;
    loop {
        tokio::select! {
            biased;
            _ = &mut done => break,
            ready = receiver.readable(), if !closed => {
                if ready.is_err() {
                    closed = true;
                    continue;
                }
                match receiver.try_read(&mut buf) {
                    Ok(0) => closed = true,
                    Ok(n) => keep(&buf[..n], &mut total),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => closed = true,
                }
            }
        }
    }
    // The call has ended and its writes are in the pipe: take them, but stop at
    // FINAL_DRAIN so a background process that keeps printing cannot hold us here.
    // Tokio's `try_read` answers WouldBlock until its reactor has seen the pipe turn
    // readable, which may not have happened yet: read the non-blocking descriptor
    // directly instead.
    let mut direct = receiver.as_fd().try_clone_to_owned().map(File::from);
    let mut drained = 0;
    while !closed && drained < FINAL_DRAIN {
        let Ok(file) = direct.as_mut() else { break };
        match file.read(&mut buf) {
            Ok(0) => closed = true,
            Ok(n) => {
                keep(&buf[..n], &mut total);
                drained += n;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = result.send(Captured::from_prefix(&kept, total));
    drop(kept);
    while !closed {
        if receiver.readable().await.is_err() {
            break;
        }
        match receiver.try_read(&mut buf) {
            Ok(0) => closed = true,
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => closed = true,
        }
    }
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
pub fn append_note(stderr: &mut String, note: &str) {
    if !stderr.is_empty() && !stderr.ends_with('\n') {
        stderr.push('\n');
    }
    stderr.push_str(note);
    stderr.push('\n');
}
