//! The emulator driven by the real clients: the Rust SDK, boto3, reqwest.
//!
//! One test binary for the package (each file under `tests/` would be another
//! link of the whole AWS SDK); each module is one former test file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod agentcore;
mod bedrock;
mod bedrock_refusals;
mod binary;
mod boto3;
mod iam;
mod isolation;
mod model_sandbox;
mod packages;
mod record;
mod tools;
mod user_setup;
