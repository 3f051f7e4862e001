//! A per-session process limit that also holds for root, who is exempt from
//! `RLIMIT_NPROC`: one thread counts the processes of each watched process group
//! in `/proc` a few times a second and kills a group that grows past its limit.
//!
//! It is a bound against accidents and runaway loops (a fork bomb is stopped after
//! at most one polling interval of growth), not against code that leaves its
//! process group on purpose.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use super::limits;

const INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug)]
struct Watched {
    limit: u64,
    tripped: bool,
    /// Scans in a row that found no process of the group.
    empty_scans: u32,
}

static GROUPS: LazyLock<Mutex<HashMap<u32, Watched>>> = LazyLock::new(|| {
    if let Err(err) = std::thread::Builder::new().name("sandbox-watchdog".into()).spawn(run) {
        tracing::warn!(error = %err, "could not start the process-limit watchdog");
    }
    Mutex::new(HashMap::new())
});

fn lock() -> std::sync::MutexGuard<'static, HashMap<u32, Watched>> {
    crate::sync::lock(&GROUPS)
}

/// Watches process group `pgid`: more than `limit` processes and it is killed.
pub(crate) fn watch(pgid: u32, limit: Option<u64>) {
    let Some(limit) = limit else {
        return;
    };
    lock().insert(pgid, Watched { limit, tripped: false, empty_scans: 0 });
}

/// Whether group `pgid` was killed for passing its limit (asked once: the answer
/// is forgotten after it is read).
pub(crate) fn tripped(pgid: u32) -> Option<u64> {
    let mut groups = lock();
    let limit = groups.get(&pgid).filter(|w| w.tripped).map(|w| w.limit)?;
    groups.remove(&pgid);
    Some(limit)
}

fn run() {
    loop {
        std::thread::sleep(INTERVAL);
        if lock().is_empty() {
            continue;
        }
        let counts = count_groups();
        let mut groups = lock();
        groups.retain(|pgid, watched| {
            let count = counts.get(pgid).copied().unwrap_or(0);
            if count > watched.limit && !watched.tripped {
                tracing::warn!(
                    pgid,
                    count,
                    limit = watched.limit,
                    "a sandbox passed its process limit; killing its process group"
                );
                watched.tripped = true;
                limits::kill_group(*pgid);
            }
            if count == 0 {
                watched.empty_scans += 1;
            } else {
                watched.empty_scans = 0;
            }
            // Keep a tripped group until the sandbox has asked (or a minute passed).
            let forget_after = if watched.tripped { 1200 } else { 2 };
            watched.empty_scans < forget_after
        });
    }
}

/// Processes per process group, from `/proc/<pid>/stat`.
fn count_groups() -> HashMap<u32, u64> {
    let mut counts = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return counts;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some(pgid) = pgid_of(&stat) {
            *counts.entry(pgid).or_insert(0) += 1;
        }
    }
    counts
}

/// Field 5 of `stat`; the command name (field 2) may hold spaces and parentheses,
/// so count from the last `)`.
fn pgid_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let _state = fields.next()?;
    let _ppid = fields.next()?;
    fields.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_group_after_an_odd_command_name() {
        assert_eq!(pgid_of("123 (a) b (c)) S 1 456 456 0"), Some(456));
        assert_eq!(pgid_of("garbage"), None);
    }
}
