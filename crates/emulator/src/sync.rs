//! Locking shared state: the sandbox's lock, which ignores poisoning (a handler that
//! panicked while holding a lock must not take the emulator down with it).

pub use sandbox::sync::lock;
