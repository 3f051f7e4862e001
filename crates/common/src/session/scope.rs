//! `with_session`: a scope that always awaits the session's stop.

use aws_sdk_bedrockagentcore::Client;
use aws_smithy_types::error::display::DisplayErrorContext;

use agentcore_session::SessionConfig;

use super::guard::CodeInterpreterSession;
use crate::cancel::{Guarded, guarded};
use crate::error::Error;

/// Starts a session, runs `body` with it, and stops it whatever happens:
///
/// - the body returns `Ok`: the session is stopped and a failed stop is the error;
/// - the body returns `Err`: the session is stopped and the body's error is
///   returned (a failed stop is logged, the body's error matters more);
/// - the body panics: the session is stopped, then the panic resumes;
/// - Ctrl-C arrives first: the body is dropped, the session is stopped, and the
///   result is [`Error::Interrupted`].
///
/// ```no_run
/// # async fn demo(client: &aws_sdk_bedrockagentcore::Client) -> Result<(), common::Error> {
/// use common::{SessionConfig, with_session};
/// let out = with_session(client, SessionConfig::named("demo"), async |session| {
///     session.execute_python("print(6 * 7)").await
/// })
/// .await?;
/// assert_eq!(out.text.trim(), "42");
/// # Ok(()) }
/// ```
pub async fn with_session<T, E, F>(client: &Client, config: SessionConfig, body: F) -> Result<T, E>
where
    F: AsyncFnOnce(&CodeInterpreterSession) -> Result<T, E>,
    E: From<Error>,
{
    let session = CodeInterpreterSession::start(client, config).await?;
    let outcome = guarded(body(&session)).await;
    let id = session.id().to_owned();
    let stopped = session.stop().await;
    match outcome {
        Guarded::Done(Ok(value)) => {
            stopped?;
            Ok(value)
        }
        other => {
            log_failed_stop(&id, stopped);
            other.into_result()
        }
    }
}

fn log_failed_stop(id: &str, stopped: Result<(), Error>) {
    if let Err(err) = stopped {
        tracing::warn!(
            session_id = id,
            error = %DisplayErrorContext(&err),
            "could not stop the session after the body ended"
        );
    }
}
