//! The library against the emulator: sessions, loops, the agent, faults.
//!
//! One test binary for the package (each file under `tests/` would be another
//! link of the whole AWS SDK); each module is one former test file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent_emulator;
mod faults;
mod loops;
mod loops_emulator;
mod session_scope;
