//! What every example shares around its migration code: the lines it prints (or
//! its one `--json` report), the Python's `try`/`finally` around a session, and
//! the exit code.

use std::any::Any;
use std::fmt::Display;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures::FutureExt;

use crate::error::Error;
use crate::report::JsonReport;

/// Prints an example's lines for a reader, or with `--json` nothing but the
/// report at the end. Clones print to the same terminal (an agent's event
/// callback holds one).
#[derive(Debug, Clone)]
pub struct Printer {
    json: bool,
    started: Instant,
    /// Whether the cursor is at the start of a line (streamed text may leave it
    /// mid-line).
    at_line_start: Arc<AtomicBool>,
}

impl Printer {
    /// Lines to stdout unless `json`; the wall time counts from here.
    pub fn new(json: bool) -> Self {
        Self { json, started: Instant::now(), at_line_start: Arc::new(AtomicBool::new(true)) }
    }

    /// Whether the run ends with a JSON report instead of lines.
    pub fn json(&self) -> bool {
        self.json
    }

    /// One line for the reader (nothing with `--json`), on a line of its own even
    /// after streamed text.
    pub fn line(&self, line: impl Display) {
        if !self.json {
            if !self.at_line_start.swap(true, Ordering::Relaxed) {
                println!();
            }
            println!("{line}");
        }
    }

    /// Model text as it streams in, printed as it comes.
    pub fn stream(&self, piece: &str) {
        if !self.json && !piece.is_empty() {
            print!("{piece}");
            let _ = std::io::stdout().flush();
            self.at_line_start.store(piece.ends_with('\n'), Ordering::Relaxed);
        }
    }

    /// What an [`crate::agent::Agent`] does, as Strands prints it: the streamed
    /// text, and a line of its own for the session start and each tool call.
    pub fn agent_event(&self, event: &crate::agent::AgentEvent<'_>) {
        use crate::agent::AgentEvent;
        match event {
            AgentEvent::Text(piece) => self.stream(piece),
            AgentEvent::SessionStarted { session_id } => {
                self.line(format_args!("[Session started: {session_id}]"));
            }
            AgentEvent::ToolCall { number, name, .. } => {
                self.line(format_args!("[Tool #{number}: {name}]"));
            }
            AgentEvent::ToolResult { .. } => {}
        }
    }

    /// `[Code output: <the first 100 characters>...]`, the line the Python prints
    /// after each tool call.
    pub fn code_output(&self, text: &str) {
        self.preview("[Code output: ", text, 100);
    }

    /// `<label><the first chars characters of text>...]`: a tool's output, cut short.
    pub fn preview(&self, label: &str, text: &str, chars: usize) {
        let preview: String = text.chars().take(chars).collect();
        self.line(format_args!("{label}{preview}...]"));
    }

    /// With `--json`, the report with the wall time since [`Printer::new`].
    pub fn report(&self, report: JsonReport) -> Result<(), Error> {
        if self.json {
            println!("{}", report.wall(self.started.elapsed()).to_json_line()?);
        }
        Ok(())
    }
}

/// How a [`guarded`] future ended.
#[derive(Debug)]
pub enum Guarded<T> {
    /// It ran to its end.
    Done(T),
    /// Ctrl-C arrived first; the future was dropped.
    Interrupted,
    /// It panicked; [`Guarded::into_result`] resumes the panic.
    Panicked(Box<dyn Any + Send>),
}

/// Runs `body` until it ends, Ctrl-C arrives or it panics, so that the caller
/// can clean up (stop its session) on every way out, as Python's `finally` does.
///
/// ```no_run
/// # async fn demo() -> Result<(), common::Error> {
/// let outcome = common::example::guarded(async { Ok::<_, common::Error>(42) }).await;
/// // ... stop the session here, whatever happened ...
/// let value = outcome.into_result()?;
/// # Ok(()) }
/// ```
pub async fn guarded<T>(body: impl Future<Output = T>) -> Guarded<T> {
    let run = AssertUnwindSafe(body).catch_unwind();
    tokio::select! {
        outcome = run => match outcome {
            Ok(value) => Guarded::Done(value),
            Err(panic) => Guarded::Panicked(panic),
        },
        () = crate::session::ctrl_c() => Guarded::Interrupted,
    }
}

impl<T, E: From<Error>> Guarded<Result<T, E>> {
    /// The body's result; [`Error::Interrupted`] after Ctrl-C; a panic resumes.
    pub fn into_result(self) -> Result<T, E> {
        match self {
            Guarded::Done(result) => result,
            Guarded::Interrupted => Err(Error::Interrupted.into()),
            Guarded::Panicked(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Python's `try: body finally: stop`: runs `body` (guarded: Ctrl-C and a panic
/// end it too), then always awaits `stop`, the `StopCodeInterpreterSession` call the
/// caller built (SDK futures do nothing until awaited). The body's error wins; a
/// failed stop is the error when the body succeeded, and is logged otherwise.
pub async fn finally_stop<T, E, S, F>(
    body: impl Future<Output = Result<T, E>>, stop: impl Future<Output = Result<S, F>>,
) -> Result<T, E>
where
    E: From<Error>,
    F: crate::SdkFailure,
{
    let outcome = guarded(body).await;
    let stopped = stop.await.map_err(|err| Error::sdk("StopCodeInterpreterSession", err));
    match (outcome, stopped) {
        (Guarded::Done(Ok(value)), stopped) => stopped.map(|_| value).map_err(E::from),
        (outcome, Err(err)) => {
            tracing::warn!(error = %aws_smithy_types::error::display::DisplayErrorContext(&err), "the session could not be stopped");
            outcome.into_result()
        }
        (outcome, Ok(_)) => outcome.into_result(),
    }
}

/// The end of every example's `main`: success, or one `error:` line with the
/// whole chain of causes (`{:#}`) and a failure code.
pub fn exit_code<E: Display>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
