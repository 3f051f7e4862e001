//! What every example shares around its migration code: the lines it prints (or
//! its one `--json` report), the Python's `try`/`finally` around a session, and
//! the exit code.

use std::fmt::Display;
use std::process::ExitCode;

use crate::cancel::{Guarded, guarded};
use crate::error::Error;
pub use crate::printer::Printer;

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
