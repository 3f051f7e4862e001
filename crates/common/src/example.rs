//! What every example shares around its migration code: the lines it prints (or
//! its one `--json` report), the Python's `try`/`finally` around a session, and
//! the exit code.

use std::any::Any;
use std::fmt::Display;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::time::Instant;

use futures::FutureExt;

use crate::error::Error;
use crate::report::JsonReport;

/// Prints an example's lines for a reader, or with `--json` nothing but the
/// report at the end.
#[derive(Debug)]
pub struct Printer {
    json: bool,
    started: Instant,
}

impl Printer {
    /// Lines to stdout unless `json`; the wall time counts from here.
    pub fn new(json: bool) -> Self {
        Self { json, started: Instant::now() }
    }

    /// Whether the run ends with a JSON report instead of lines.
    pub fn json(&self) -> bool {
        self.json
    }

    /// One line for the reader (nothing with `--json`).
    pub fn line(&self, line: impl Display) {
        if !self.json {
            println!("{line}");
        }
    }

    /// `[Code output: <the first 100 characters>...]`, the line the Python prints
    /// after each tool call.
    pub fn code_output(&self, text: &str) {
        let preview: String = text.chars().take(100).collect();
        self.line(format_args!("[Code output: {preview}...]"));
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
