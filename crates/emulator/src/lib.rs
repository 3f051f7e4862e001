//! Offline emulator of the AWS services used by the examples.
pub mod sandbox;
