//! The examples end to end: each runs as a reader would run it, against the emulator.
//!
//! One test binary for the package (each file under `tests/` would be another
//! link of the whole AWS SDK); each module is one former test file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod aws_smoke;
mod docs;
mod example_00;
mod example_01;
mod example_02;
mod example_03;
mod example_04;
mod example_05;
mod example_06;
mod example_07;
mod example_07b;
mod record_replay;
mod reliability;
