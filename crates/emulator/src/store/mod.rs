//! The emulated account's data: code-interpreter sessions, custom code
//! interpreters, IAM roles. Handlers read and change it through these types;
//! nothing here knows HTTP or the wire shapes.

pub mod iam;
pub mod interpreters;
pub mod sessions;
