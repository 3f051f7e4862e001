//! Cancellation: running a future until it ends, Ctrl-C arrives or it panics, so
//! that whoever started a session can stop it on every way out.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use crate::error::Error;

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
/// let outcome = common::cancel::guarded(async { Ok::<_, common::Error>(42) }).await;
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
        () = ctrl_c() => Guarded::Interrupted,
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

/// Resolves on Ctrl-C; never, when the signal handler cannot be installed.
pub(crate) async fn ctrl_c() {
    if let Err(err) = tokio::signal::ctrl_c().await {
        tracing::debug!(%err, "cannot listen for Ctrl-C");
        std::future::pending::<()>().await;
    }
}
