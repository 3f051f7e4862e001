//! Where a request's time goes: the calls to Bedrock and AgentCore ("upstream") and
//! the rest, the bridge's own work. Answered in a `Server-Timing` header, so a
//! client, a load balancer's log or the bench can see what the bridge adds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::future::Future;
use std::time::{Duration, Instant};

/// Nanoseconds a request spent awaiting upstream calls, shared by the tasks that
/// work for it.
type Total = Arc<AtomicU64>;

tokio::task_local! {
    static UPSTREAM: Total;
}

/// Awaits an upstream call, adding its time to the request's upstream total.
pub async fn upstream<F: Future>(call: F) -> F::Output {
    let started = Instant::now();
    let output = call.await;
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let _ = UPSTREAM.try_with(|total| total.fetch_add(nanos, Ordering::Relaxed));
    output
}

/// `work` counting its upstream time to the current request's, for a task spawned
/// on the request's behalf (a turn).
pub fn inherit<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let total = UPSTREAM.try_with(Arc::clone).unwrap_or_default();
    UPSTREAM.scope(total, work)
}

/// `.upstream()` on a future: [`upstream`] as a method, for SDK call chains.
pub trait Upstream: Future + Sized {
    /// Counts this call's time as upstream time.
    fn upstream(self) -> impl Future<Output = Self::Output> {
        upstream(self)
    }
}

impl<F: Future> Upstream for F {}

/// A request's total time and the part of it spent upstream.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    /// From the handler's start to its response.
    pub total: Duration,
    /// Awaiting Bedrock and AgentCore.
    pub upstream: Duration,
}

impl Spent {
    /// `upstream;dur=<ms>, bridge;dur=<ms>` (milliseconds, three decimals).
    pub fn server_timing(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "upstream;dur={:.3}, bridge;dur={:.3}",
            ms(self.upstream),
            ms(self.total.saturating_sub(self.upstream))
        )
    }
}

/// Runs one request's work, measuring it.
pub async fn measured<F: Future>(work: F) -> (F::Output, Spent) {
    let total = Total::default();
    let started = Instant::now();
    let output = UPSTREAM.scope(Arc::clone(&total), work).await;
    let upstream = Duration::from_nanos(total.load(Ordering::Relaxed));
    (output, Spent { total: started.elapsed(), upstream })
}

/// Middleware: every response carries its `Server-Timing`.
pub async fn server_timing(request: Request, next: Next) -> Response {
    let (mut response, spent) = measured(next.run(request)).await;
    tracing::debug!(
        total_ms = spent.total.as_secs_f64() * 1000.0,
        upstream_ms = spent.upstream.as_secs_f64() * 1000.0,
        "request served"
    );
    if let Ok(value) = HeaderValue::from_str(&spent.server_timing()) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn upstream_time_is_told_apart_from_the_bridges_own() {
        let ((), spent) = measured(async {
            tokio::time::sleep(Duration::from_millis(30)).upstream().await;
            std::thread::sleep(Duration::from_millis(10));
        })
        .await;
        assert!(spent.upstream >= Duration::from_millis(30), "{spent:?}");
        assert!(spent.total - spent.upstream >= Duration::from_millis(10), "{spent:?}");
        assert!(spent.server_timing().starts_with("upstream;dur=3"), "{}", spent.server_timing());
    }
}
