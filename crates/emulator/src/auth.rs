//! Request checks applied before any handler: a loopback Host header, then the
//! caller's credentials (SigV4 for the AWS services, an API key for the Anthropic
//! route, optionally a Bedrock API key as a bearer token).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{AwsError, QueryError};
use crate::state::AppState;

/// The largest request body the emulator accepts (writeFiles can carry big files).
pub const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// How far a request's `X-Amz-Date` may be from the emulator's clock, as AWS allows.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The SigV4 service name a request was signed for (`bedrock`, `bedrock-agentcore`,
/// `iam`, `sts`), for handlers that share a path (IAM and STS both use `POST /`).
#[derive(Debug, Clone)]
pub struct SignedService(pub String);

/// Which error shape a rejected request gets, by the protocol its route speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    RestJson,
    Query,
}

fn protocol_of(request: &Request) -> Protocol {
    let path = request.uri().path();
    if path == "/" && request.method() == Method::POST {
        Protocol::Query
    } else {
        Protocol::RestJson
    }
}

fn reject(protocol: Protocol, status: StatusCode, code: &str, message: &str) -> Response {
    match protocol {
        Protocol::RestJson => AwsError::new(status, code, message).into_response(),
        Protocol::Query => QueryError::new(status, code, message).into_response(),
    }
}

/// True when a Host header names this machine's loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _port)| name)
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Middleware: checks the Host header and the credentials, then passes the request on.
pub async fn authenticate(
    State(state): State<Arc<AppState>>, request: Request, next: Next,
) -> Response {
    let protocol = protocol_of(&request);
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !state.config.allow_remote && !is_loopback_host(&host) {
        return reject(
            protocol,
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            &format!(
                "Host header '{host}' is not a loopback address; the emulator only answers requests addressed to 127.0.0.1, ::1 or localhost"
            ),
        );
    }

    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();

    if let Some(token) = authorization.strip_prefix("Bearer ") {
        // Bedrock Runtime also takes a Bedrock API key as a bearer token.
        if request.uri().path().starts_with("/model/") && token.trim() == state.config.api_key {
            return next.run(request).await;
        }
        return reject(
            protocol,
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The bearer token is not the emulator's API key (see the ANTHROPIC_API_KEY line it printed)",
        );
    }

    if !state.config.verify_signatures {
        return next.run(request).await;
    }

    let Some(auth) = SigV4Header::parse(&authorization) else {
        return reject(
            protocol,
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing or malformed SigV4 Authorization header; sign requests with the emulator's credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from its export lines)",
        );
    };

    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(err) => {
            return reject(
                protocol,
                StatusCode::PAYLOAD_TOO_LARGE,
                "ValidationException",
                &format!("request body could not be read: {err}"),
            );
        }
    };

    match verify(&state, &auth, &parts, &body) {
        Ok(()) => {
            let mut request = Request::from_parts(parts, Body::from(body));
            request.extensions_mut().insert(SignedService(auth.service.clone()));
            next.run(request).await
        }
        Err((code, message)) => reject(protocol, StatusCode::FORBIDDEN, code, &message),
    }
}

/// The parts of an `AWS4-HMAC-SHA256` Authorization header.
#[derive(Debug)]
struct SigV4Header {
    access_key_id: String,
    region: String,
    service: String,
    signed_headers: Vec<String>,
    signature: String,
}

impl SigV4Header {
    fn parse(value: &str) -> Option<Self> {
        let rest = value.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for part in rest.split(',') {
            let (key, val) = part.trim().split_once('=')?;
            match key {
                "Credential" => credential = Some(val),
                "SignedHeaders" => signed_headers = Some(val),
                "Signature" => signature = Some(val),
                _ => {}
            }
        }
        let mut scope = credential?.split('/');
        let access_key_id = scope.next()?.to_owned();
        let _date = scope.next()?;
        let region = scope.next()?.to_owned();
        let service = scope.next()?.to_owned();
        Some(Self {
            access_key_id,
            region,
            service,
            signed_headers: signed_headers?.split(';').map(str::to_owned).collect(),
            signature: signature?.to_owned(),
        })
    }
}

fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(value, format).ok()?;
    Some(parsed.assume_utc().into())
}

fn verify(
    state: &AppState, auth: &SigV4Header, parts: &axum::http::request::Parts, body: &[u8],
) -> Result<(), (&'static str, String)> {
    if auth.access_key_id != state.config.access_key_id {
        return Err((
            "UnrecognizedClientException",
            format!(
                "The security token included in the request is invalid: access key '{}' is not the emulator's ('{}')",
                auth.access_key_id, state.config.access_key_id
            ),
        ));
    }
    let signed_at = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_amz_date)
        .ok_or((
            "IncompleteSignatureException",
            "missing or malformed X-Amz-Date header".to_owned(),
        ))?;
    let now = SystemTime::now();
    let skew = now
        .duration_since(signed_at)
        .or_else(|_| signed_at.duration_since(now))
        .unwrap_or_default();
    if skew > MAX_CLOCK_SKEW {
        return Err((
            "InvalidSignatureException",
            "Signature expired: the request's X-Amz-Date is more than 15 minutes from the emulator's clock".to_owned(),
        ));
    }

    let mut headers = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let value = parts.headers.get(name.as_str()).and_then(|v| v.to_str().ok()).ok_or((
            "IncompleteSignatureException",
            format!("signed header '{name}' is missing from the request"),
        ))?;
        headers.push((name.as_str(), value));
    }

    let identity = Credentials::new(
        &state.config.access_key_id,
        &state.config.secret_access_key,
        None,
        None,
        "emulator",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|err| ("IncompleteSignatureException", err.to_string()))?
        .into();
    let uri = parts.uri.to_string();
    let signable = SignableRequest::new(
        parts.method.as_str(),
        uri.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|err| ("IncompleteSignatureException", err.to_string()))?;
    let expected = sign(signable, &params)
        .map_err(|err| ("IncompleteSignatureException", err.to_string()))?
        .signature()
        .to_owned();
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err((
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check the secret access key (the emulator's AWS_SECRET_ACCESS_KEY) and the signing method.".to_owned(),
        ))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["127.0.0.1:8080", "localhost:1", "[::1]:99", "127.0.0.5", "LOCALHOST"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["example.com", "10.0.0.1:80", "", "evil.localhost.com:80", "[::2]:1"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn parses_authorization_header() {
        let h = SigV4Header::parse("AWS4-HMAC-SHA256 Credential=AKID/20250101/us-west-2/bedrock-agentcore/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd").unwrap();
        assert_eq!(h.access_key_id, "AKID");
        assert_eq!(h.region, "us-west-2");
        assert_eq!(h.service, "bedrock-agentcore");
        assert_eq!(h.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(h.signature, "abcd");
        assert!(SigV4Header::parse("Basic xyz").is_none());
    }
}
