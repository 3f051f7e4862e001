//! Emulated prompt caching.
//!
//! Entries are keyed by (model id, fingerprint of a prefix at a cache point) and hold the
//! prefix's token count and an expiry. For a request:
//! 1. among its cache points, the longest prefix that is cached and unexpired is *read*: its
//!    tokens count as `cache_read`, and its expiry is pushed out by its TTL again;
//! 2. if the prefix at the *last* cache point reaches the model family's minimum and is not
//!    cached, it is *written*: `cache_write` = its tokens minus the read part, with the TTL asked
//!    for at that cache point (5 minutes by default, or 1 hour);
//! 3. below the minimum nothing is cached and both counters are 0.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[cfg(test)]
use std::time::Duration;

use super::types::{CacheTtl, PromptBlock, Usage};

/// Source of the current time, injectable so tests can expire cache entries.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to (tests of the cache's time to live).
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Instant>>,
}

#[cfg(test)]
impl Default for ManualClock {
    fn default() -> Self {
        Self { now: Arc::new(Mutex::new(Instant::now())) }
    }
}

#[cfg(test)]
impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward; every clone sees the change.
    pub fn advance(&self, by: Duration) {
        let mut now = crate::sync::lock(&self.now);
        *now += by;
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *crate::sync::lock(&self.now)
    }
}

/// Minimum cacheable prefix in tokens for a model, by substring of its id.
pub fn min_cacheable_tokens(model_id: &str) -> u32 {
    let id = model_id.to_ascii_lowercase();
    let has = |s: &str| id.contains(s);
    if has("opus-4-5") || has("opus-4.5") || has("haiku-4-5") || has("haiku-4.5") {
        4096
    } else if has("haiku") {
        2048
    } else {
        1024
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tokens: u32,
    ttl: CacheTtl,
    expires: Instant,
}

/// The cache of every model; thread-safe.
#[derive(Debug)]
pub struct PromptCache {
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<(String, [u8; 32]), Entry>>,
}

/// What one request read from and wrote to the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheOutcome {
    pub read: u32,
    pub write_5m: u32,
    pub write_1h: u32,
}

impl PromptCache {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, entries: Mutex::new(HashMap::new()) }
    }

    /// Applies the request's cache points and returns what was read and written.
    pub fn apply(&self, model_id: &str, blocks: &[PromptBlock]) -> CacheOutcome {
        let now = self.clock.now();
        let mut entries = crate::sync::lock(&self.entries);
        entries.retain(|_, e| e.expires > now);

        // Prefix sums and the positions of the cache points.
        let mut points = Vec::new();
        let mut total = 0u32;
        for b in blocks {
            total = total.saturating_add(b.tokens);
            if let Some(ttl) = b.cache_point {
                points.push((b.fingerprint, total, ttl));
            }
        }
        let mut outcome = CacheOutcome::default();
        for (fp, _, _) in points.iter().rev() {
            if let Some(e) = entries.get_mut(&(model_id.to_owned(), *fp)) {
                e.expires = now + e.ttl.duration();
                outcome.read = e.tokens;
                break;
            }
        }
        if let Some(&(fp, tokens, ttl)) = points.last() {
            let key = (model_id.to_owned(), fp);
            if tokens >= min_cacheable_tokens(model_id) && !entries.contains_key(&key) {
                let write = tokens - outcome.read;
                match ttl {
                    CacheTtl::FiveMinutes => outcome.write_5m = write,
                    CacheTtl::OneHour => outcome.write_1h = write,
                }
                entries.insert(key, Entry { tokens, ttl, expires: now + ttl.duration() });
            }
        }
        outcome
    }
}

/// Usage of a request with `output_tokens`, given the cache outcome.
pub fn usage_for(blocks: &[PromptBlock], outcome: CacheOutcome, output_tokens: u32) -> Usage {
    let total: u32 = blocks.iter().map(|b| b.tokens).fold(0, u32::saturating_add);
    let write = outcome.write_5m + outcome.write_1h;
    Usage {
        input_tokens: total.saturating_sub(outcome.read + write),
        output_tokens,
        cache_read_input_tokens: outcome.read,
        cache_write_input_tokens: write,
        cache_write_5m: outcome.write_5m,
        cache_write_1h: outcome.write_1h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::prompt::PromptBuilder;

    const SONNET: &str = "us.anthropic.claude-sonnet-4-6";

    fn long(n_tokens: usize, seed: char) -> String {
        std::iter::repeat_n(seed, n_tokens * 4).collect()
    }

    fn prompt(system_tokens: usize, question: &str, ttl: Option<CacheTtl>) -> Vec<PromptBlock> {
        let mut b = PromptBuilder::new();
        b.system(&long(system_tokens, 's'));
        if let Some(ttl) = ttl {
            b.cache_point(ttl);
        }
        b.block(crate::model::Role::User, &crate::model::Block::Text(question.into()));
        b.finish()
    }

    fn cache() -> (PromptCache, ManualClock) {
        let clock = ManualClock::new();
        (PromptCache::new(Arc::new(clock.clone())), clock)
    }

    #[test]
    fn minimums_by_family() {
        assert_eq!(min_cacheable_tokens(SONNET), 1024);
        assert_eq!(min_cacheable_tokens("anthropic.claude-3-5-haiku-20241022-v1:0"), 2048);
        assert_eq!(min_cacheable_tokens("claude-haiku-4-5-20251001"), 4096);
        assert_eq!(min_cacheable_tokens("claude-opus-4-5"), 4096);
        assert_eq!(min_cacheable_tokens("claude-opus-4-1"), 1024);
    }

    #[test]
    fn write_then_read_then_expiry() {
        let (cache, clock) = cache();
        let p1 = prompt(1500, "question one", Some(CacheTtl::FiveMinutes));
        let first = cache.apply(SONNET, &p1);
        assert_eq!(first.write_5m, 1500);
        assert_eq!(first.read, 0);
        let u = usage_for(&p1, first, 10);
        assert_eq!(u.cache_write_input_tokens, 1500);
        assert_eq!(u.input_tokens, 3); // "question one" = 12 chars

        let p2 = prompt(1500, "question two, longer", Some(CacheTtl::FiveMinutes));
        let second = cache.apply(SONNET, &p2);
        assert_eq!(second, CacheOutcome { read: 1500, ..Default::default() });

        // A read refreshes the TTL: 4 min + 4 min after the write is still cached.
        clock.advance(Duration::from_secs(240));
        assert_eq!(cache.apply(SONNET, &p2).read, 1500);
        clock.advance(Duration::from_secs(301));
        let expired = cache.apply(SONNET, &p2);
        assert_eq!(expired.read, 0);
        assert_eq!(expired.write_5m, 1500);
    }

    #[test]
    fn one_hour_ttl_is_kept_apart() {
        let (cache, clock) = cache();
        let p = prompt(1100, "q", Some(CacheTtl::OneHour));
        assert_eq!(cache.apply(SONNET, &p).write_1h, 1100);
        clock.advance(Duration::from_secs(3000));
        assert_eq!(cache.apply(SONNET, &p).read, 1100);
    }

    #[test]
    fn below_minimum_nothing_is_cached() {
        let (cache, _) = cache();
        let p = prompt(1000, "q", Some(CacheTtl::FiveMinutes));
        assert_eq!(cache.apply(SONNET, &p), CacheOutcome::default());
        assert_eq!(cache.apply(SONNET, &p), CacheOutcome::default());
        // Haiku 4.5 needs 4096.
        let p = prompt(3000, "q", Some(CacheTtl::FiveMinutes));
        assert_eq!(cache.apply("claude-haiku-4-5", &p), CacheOutcome::default());
    }

    #[test]
    fn no_cache_point_no_caching_and_models_are_separate() {
        let (cache, _) = cache();
        let p = prompt(2000, "q", None);
        assert_eq!(cache.apply(SONNET, &p), CacheOutcome::default());
        let p = prompt(2000, "q", Some(CacheTtl::FiveMinutes));
        assert_eq!(cache.apply(SONNET, &p).write_5m, 2000);
        assert_eq!(cache.apply("claude-opus-4-1", &p).write_5m, 2000);
    }

    #[test]
    fn longer_prefix_writes_only_the_new_part() {
        let (cache, _) = cache();
        let mut b = PromptBuilder::new();
        b.system(&long(1200, 'a')).cache_point(CacheTtl::FiveMinutes);
        let short = b.clone().finish();
        b.system(&long(300, 'b')).cache_point(CacheTtl::FiveMinutes);
        let longer = b.finish();
        assert_eq!(cache.apply(SONNET, &short).write_5m, 1200);
        let o = cache.apply(SONNET, &longer);
        assert_eq!((o.read, o.write_5m), (1200, 300));
        let o = cache.apply(SONNET, &longer);
        assert_eq!((o.read, o.write_5m), (1500, 0));
    }
}
