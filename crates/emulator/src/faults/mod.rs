//! Fault injection: make chosen operations fail the way the real services sometimes
//! do, so clients can be tested against throttling, server errors, broken streams,
//! expired sessions, slow answers and malformed model replies.
//!
//! A [`Fault`] names an operation (as AWS names it: `Converse`,
//! `InvokeCodeInterpreter`, `StartCodeInterpreterSession`, ... or `*` for any), a
//! [`FaultKind`] and when it fires ([`Trigger`]: the next N matching requests, a
//! share of them, or all). Faults are set with `EmulatorBuilder::fault`,
//! `Emulator::inject` at run time, or `--fault` on the binary, written as
//! `OPERATION:KIND[:WHEN]` (see [`Fault::parse`] and [`SYNTAX`]).
//!
//! They are applied by one middleware that runs after the Host and credential
//! checks, so a request that fails authentication never consumes a fault.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub mod apply;

use crate::sync::lock;

/// The `--fault` syntax, for help texts.
pub const SYNTAX: &str = "\
OPERATION:KIND[:WHEN], repeatable. OPERATION is an AWS operation name in any case, dashes \
ignored (Converse, converse-stream, InvokeCodeInterpreter, StartCodeInterpreterSession, \
InvokeModel, CountTokens, CreateRole, ...) or * for any. KIND: \
throttle (429 ThrottlingException), 500 (InternalServerException), 503 \
(ServiceUnavailableException), 400 (ValidationException), 403 (AccessDeniedException), midstream (an exception frame after the first event of an \
event stream), expire (the session the request names is terminated first), \
delay=<N>ms|<N>s (the answer waits), malformed (a model reply that does not parse), \
missing-code / wrong-type (the model's tool call has no `code`, or a number for it). WHEN: \
N (the next N matching requests, default 1), after=K (once, after K more matching requests \
went through), P% (each with probability P), or always. \
Example: --fault converse:throttle:2 --fault InvokeCodeInterpreter:delay=3s";

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// 429 `ThrottlingException` (query protocol: `Throttling`).
    Throttle,
    /// 500 `InternalServerException`.
    Internal,
    /// 503 `ServiceUnavailableException`.
    Unavailable,
    /// 400 `ValidationException`: a refusal that no retry changes.
    Validation,
    /// 403 `AccessDeniedException`.
    Denied,
    /// The response starts, then an `internalServerException` frame follows the first
    /// event and the stream ends.
    MidStream,
    /// The session named by the request (header or `sessionId`) is terminated before
    /// the request is handled, as if its timeout had passed.
    Expire,
    /// The request is handled after this delay.
    Delay(Duration),
    /// A model reply whose body is not valid JSON.
    Malformed,
    /// The model's tool calls come without the `code` member.
    MissingCode,
    /// The model's tool calls carry `code` as a number.
    WrongType,
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// The next N matching requests.
    Count(u32),
    /// Once, after this many more matching requests went through.
    After(u32),
    /// Each matching request with this probability (0 to 1).
    Rate(f64),
    /// Every matching request.
    Always,
}

/// One fault: an operation, what goes wrong, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    operation: String,
    kind: FaultKind,
    trigger: Trigger,
}

/// A `--fault` value that could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "invalid fault '{spec}': {reason} (expected OPERATION:KIND[:WHEN], e.g. converse:throttle:2)"
)]
pub struct FaultParseError {
    spec: String,
    reason: String,
}

fn normalize(operation: &str) -> String {
    operation.chars().filter(|c| !matches!(c, '-' | '_')).map(|c| c.to_ascii_lowercase()).collect()
}

impl Fault {
    /// A fault on `operation` (AWS name, any case; `*` for any) that fires once.
    pub fn new(operation: &str, kind: FaultKind) -> Self {
        Self { operation: normalize(operation), kind, trigger: Trigger::Count(1) }
    }

    /// Fires on the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.trigger = Trigger::Count(n);
        self
    }

    /// Fires once, after `k` more matching requests went through unharmed.
    pub fn after(mut self, k: u32) -> Self {
        self.trigger = Trigger::After(k);
        self
    }

    /// Fires on each matching request with probability `rate` (clamped to 0..=1).
    pub fn rate(mut self, rate: f64) -> Self {
        self.trigger = Trigger::Rate(rate.clamp(0.0, 1.0));
        self
    }

    /// Fires on every matching request.
    pub fn always(mut self) -> Self {
        self.trigger = Trigger::Always;
        self
    }

    /// What goes wrong.
    pub fn kind(&self) -> FaultKind {
        self.kind
    }

    /// Reads `OPERATION:KIND[:WHEN]` (see [`SYNTAX`]).
    pub fn parse(spec: &str) -> Result<Self, FaultParseError> {
        let fail =
            |reason: &str| FaultParseError { spec: spec.to_owned(), reason: reason.to_owned() };
        let mut parts = spec.trim().split(':');
        let operation = parts.next().unwrap_or_default();
        if operation.is_empty() {
            return Err(fail("the operation is missing"));
        }
        let kind = parts.next().ok_or_else(|| fail("the kind is missing"))?;
        let kind = parse_kind(kind).map_err(|reason| fail(&reason))?;
        let mut fault = Self::new(operation, kind);
        if let Some(when) = parts.next() {
            fault.trigger = parse_trigger(when).map_err(|reason| fail(&reason))?;
        }
        if parts.next().is_some() {
            return Err(fail("too many ':'-separated parts"));
        }
        Ok(fault)
    }

    fn matches(&self, operation: &str) -> bool {
        self.operation == "*" || self.operation == normalize(operation)
    }
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        Self::parse(spec)
    }
}

fn parse_kind(kind: &str) -> Result<FaultKind, String> {
    let lower = kind.trim().to_ascii_lowercase();
    if let Some(delay) = lower.strip_prefix("delay=") {
        return parse_duration(delay).map(FaultKind::Delay);
    }
    Ok(match lower.as_str() {
        "throttle" | "throttling" | "429" => FaultKind::Throttle,
        "500" | "internal" => FaultKind::Internal,
        "503" | "unavailable" => FaultKind::Unavailable,
        "400" | "validation" => FaultKind::Validation,
        "403" | "denied" => FaultKind::Denied,
        "midstream" | "mid-stream" => FaultKind::MidStream,
        "expire" | "expired" => FaultKind::Expire,
        "malformed" => FaultKind::Malformed,
        "missing-code" => FaultKind::MissingCode,
        "wrong-type" => FaultKind::WrongType,
        other => {
            return Err(format!(
                "unknown kind '{other}'; use throttle, 500, 503, 400, 403, midstream, expire, delay=<N>ms, malformed, missing-code or wrong-type"
            ));
        }
    })
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        return Err(format!("delay '{text}' needs a unit: ms or s"));
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or_else(|| format!("delay '{text}' is not a non-negative number"))
}

fn parse_trigger(when: &str) -> Result<Trigger, String> {
    let when = when.trim();
    if when.eq_ignore_ascii_case("always") {
        return Ok(Trigger::Always);
    }
    if let Some(k) = when.strip_prefix("after=") {
        return k
            .parse::<u32>()
            .map(Trigger::After)
            .map_err(|_| format!("'{when}' needs a count: after=2"));
    }
    if let Some(percent) = when.strip_suffix('%') {
        return percent
            .parse::<f64>()
            .ok()
            .filter(|p| (0.0..=100.0).contains(p))
            .map(|p| Trigger::Rate(p / 100.0))
            .ok_or_else(|| format!("rate '{when}' must be 0% to 100%"));
    }
    when.parse::<u32>()
        .map(Trigger::Count)
        .map_err(|_| format!("'{when}' is not a count, after=K, a rate (25%) or 'always'"))
}

/// The faults of one emulator and how many fired.
#[derive(Debug, Default)]
pub struct FaultPlan {
    faults: Mutex<Vec<Fault>>,
    fired: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
}

impl FaultPlan {
    /// A plan holding these faults.
    pub fn new(faults: impl IntoIterator<Item = Fault>) -> Self {
        let plan = Self::default();
        for fault in faults {
            plan.add(fault);
        }
        plan
    }

    /// Adds a fault after the ones already there (the first match wins).
    pub fn add(&self, fault: Fault) {
        lock(&self.faults).push(fault);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        lock(&self.faults).clear();
    }

    /// How many faults fired, in all.
    pub fn fired(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    /// How many faults fired on `operation`.
    pub fn fired_on(&self, operation: &str) -> usize {
        lock(&self.fired).get(&normalize(operation)).copied().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        lock(&self.faults).is_empty()
    }

    /// The fault to apply to one request of `operation`, if any fires.
    fn pick(&self, operation: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let mut index = None;
        for (i, fault) in faults.iter_mut().enumerate() {
            if !fault.matches(operation) {
                continue;
            }
            let fires = match &mut fault.trigger {
                Trigger::Count(n) => *n > 0,
                Trigger::After(0) => true,
                Trigger::After(k) => {
                    // This request goes through; the fault waits for a later one.
                    *k -= 1;
                    false
                }
                Trigger::Rate(rate) => rand::random::<f64>() < *rate,
                Trigger::Always => true,
            };
            if fires {
                index = Some(i);
                break;
            }
        }
        let index = index?;
        let kind = faults[index].kind;
        match &mut faults[index].trigger {
            Trigger::Count(n) => {
                *n -= 1;
                if *n == 0 {
                    faults.remove(index);
                }
            }
            Trigger::After(_) => {
                faults.remove(index);
            }
            Trigger::Rate(_) | Trigger::Always => {}
        }
        drop(faults);
        self.total.fetch_add(1, Ordering::SeqCst);
        *lock(&self.fired).entry(normalize(operation)).or_default() += 1;
        Some(kind)
    }
}

#[cfg(test)]
mod tests;
