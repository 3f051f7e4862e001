//! Every model id the examples use by default, in one place.
//!
//! Each is a model the services serve today (checked against the Anthropic model
//! deprecation table and the Bedrock model and inference-profile lists). When a
//! model is retired, change it here; `--model` / `BEDROCK_MODEL_ID` overrides any
//! of them at run time.

/// Claude Sonnet 4.6 on Bedrock through the `global.` cross-region inference
/// profile: Bedrock routes each call to any commercial region with capacity, which
/// gives the most throughput. Examples 01–05 and 07.
pub const BEDROCK_MODEL_ID: &str = "global.anthropic.claude-sonnet-4-6";

/// Claude Sonnet 4.6 on Bedrock through the `us.` cross-region inference profile,
/// for example 06. Prompt caching is documented for Claude Sonnet 4.6 on Bedrock;
/// a `us.` profile is also cross-region, but it routes among the US regions only,
/// so the calls of one conversation stay closer to the cache they wrote.
pub const CACHING_MODEL_ID: &str = "us.anthropic.claude-sonnet-4-6";

/// Claude Sonnet 4.6 on the Anthropic API, for example 00 (the "before").
pub const ANTHROPIC_MODEL: &str = "claude-sonnet-4-6";
