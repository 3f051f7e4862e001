//! How every AWS call of the project is retried and timed out, and the one call
//! that is never retried blindly.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Attempts per AWS call (the SDK's standard retry policy): a throttled or failed
/// call is tried twice more, with exponential backoff and jitter, before its error
/// is returned as [`crate::Error::RetriesExhausted`].
pub const MAX_ATTEMPTS: u32 = 3;

/// How long opening a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for a response, or for the next event of a stream, by
/// default. AgentCore's own Python SDK reads code-interpreter calls with a 300 s
/// timeout, since one `executeCode` may legitimately run for minutes; the examples
/// use the same. `--read-timeout` (or `MIGRATION_READ_TIMEOUT`) changes it.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// The one operation that is never retried blindly: `InvokeCodeInterpreter` runs
/// user code in a stateful session, so repeating a call that may have reached the
/// sandbox (a 5xx, a timeout, a dropped connection) could run the code twice.
/// Only a throttling answer, which AgentCore sends before anything ran, is retried.
pub const NOT_RETRIED: &str = "InvokeCodeInterpreter";

/// The standard retry policy with [`MAX_ATTEMPTS`].
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// An interceptor of the AgentCore data-plane client that stops the SDK from
/// retrying [`NOT_RETRIED`] once an attempt may have reached the sandbox: after
/// any answer but throttling (429), and after a timeout or a broken connection,
/// the call's attempt budget drops to the attempts already made.
#[derive(Debug, Default, Clone, Copy)]
pub struct InvokeAtMostOnce;

/// Marks, in one call's config bag, that the call is `InvokeCodeInterpreter`.
#[derive(Debug, Clone, Copy)]
struct InvokeCall;

impl Storable for InvokeCall {
    type Storer = StoreReplace<Self>;
}

impl Intercept for InvokeAtMostOnce {
    fn name(&self) -> &'static str {
        "InvokeCodeInterpreter at most once"
    }

    fn modify_before_retry_loop(
        &self, context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents, cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let uri = context.request().uri();
        if uri.split('?').next().unwrap_or_default().ends_with("/tools/invoke") {
            cfg.interceptor_state().store_put(InvokeCall);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self, context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents, cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let failed = context.output_or_error().is_some_and(|outcome| outcome.is_err());
        let throttled =
            context.response().is_some_and(|response| response.status().as_u16() == 429);
        if cfg.load::<InvokeCall>().is_some() && failed && !throttled {
            let attempts = cfg.load::<RequestAttempts>().map_or(1, |attempts| attempts.attempts());
            let retry = cfg.load::<RetryConfig>().cloned().unwrap_or_else(retry_config);
            cfg.interceptor_state().store_put(retry.with_max_attempts(attempts.max(1)));
        }
        Ok(())
    }
}

/// An AgentCore data-plane client for `sdk_config` with [`InvokeAtMostOnce`] and
/// the given read timeout.
pub fn client(sdk_config: &SdkConfig, read: Duration) -> aws_sdk_bedrockagentcore::Client {
    aws_sdk_bedrockagentcore::Client::from_conf(
        aws_sdk_bedrockagentcore::config::Builder::from(sdk_config)
            .timeout_config(timeout_config(read))
            .interceptor(InvokeAtMostOnce)
            .build(),
    )
}

/// Timeouts for every call: connect [`CONNECT_TIMEOUT`], `read` for the response
/// (the session also uses it between stream events), an attempt a little longer
/// than `read`, and the whole operation long enough for every attempt.
pub fn timeout_config(read: Duration) -> TimeoutConfig {
    let attempt = read + Duration::from_secs(30);
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(read)
        .operation_attempt_timeout(attempt)
        .operation_timeout(attempt * MAX_ATTEMPTS + Duration::from_secs(30))
        .build()
}
