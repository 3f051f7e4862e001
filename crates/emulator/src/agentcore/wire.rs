//! What the AgentCore handlers share of the wire: request bodies, timestamps,
//! identifiers and paging.

use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AwsError;

/// Parses a REST-JSON request body; an empty body reads as `{}` (botocore sends none
/// when every member is in the path or query).
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { body };
    serde_json::from_slice(body).map_err(|err| {
        AwsError::cannot_parse(format!("request body is not valid for this operation: {err}"))
    })
}

/// RFC 3339 with a `Z`, the timestamp form the SDKs parse.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// The id part of an identifier that may be an id or an ARN.
pub fn interpreter_id_of(identifier: &str) -> &str {
    if identifier.starts_with("arn:") {
        identifier.rsplit('/').next().unwrap_or(identifier)
    } else {
        identifier
    }
}

/// Reads a page request: `maxResults` (1–100, default 100) and an opaque `nextToken`.
pub fn page_bounds(
    max_results: Option<&str>, next_token: Option<&str>,
) -> Result<(usize, usize), AwsError> {
    // The service model has checked the range (1 to 100).
    let limit = max_results.and_then(|raw| raw.parse::<usize>().ok()).unwrap_or(100);
    let offset = match next_token {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| AwsError::validation(format!("nextToken '{token}' is not valid")))?,
    };
    Ok((offset, limit))
}

/// The `nextToken` of a page that ends at `end` out of `total` items.
pub fn next_token(end: usize, total: usize) -> Option<String> {
    (end < total).then(|| format!("page-{end}"))
}
