//! Locking shared state (the emulator's too). A holder that panicked while holding a lock must not take
//! the sandbox or the emulator down with it, so every lock ignores poisoning: the data behind these
//! locks stays consistent between statements.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the guard if a previous holder panicked.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
