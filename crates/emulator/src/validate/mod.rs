//! Refuses what AWS refuses: every REST-JSON request is checked against the
//! service's published model before a handler sees it.
//!
//! The checks are the model's own constraints: required members, enum values,
//! string and list lengths, patterns (matched against the whole value), and number
//! ranges, wherever the member
//! travels (URI label, header, query string or JSON body). The answer is a
//! `ValidationException` in the services' words:
//! `1 validation error detected: Value 'x' at 'member' failed to satisfy
//! constraint: Member must ...`, several joined with `; `. List members are
//! named by their 1-based position (`messages.2.member.content`).
//!
//! What the model cannot express (an Anthropic body inside InvokeModel, blank
//! text blocks, model ids) is checked by the handlers. The operation of a request
//! comes from [`crate::operations`], the table the router is built from.

mod model;

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use self::model::{Operation, ServiceModel, Shape};
use crate::auth::MAX_BODY_BYTES;
use crate::error::AwsError;

/// Middleware: validates the request of a known REST-JSON operation.
pub async fn check_request(request: Request, next: Next) -> Response {
    let found = crate::operations::rest_operation(request.method(), request.uri().path())
        .and_then(model::find);
    let Some((service, operation)) = found else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return AwsError::validation(format!("the request body could not be read: {err}"))
                .into_response();
        }
    };
    if let Err(message) = validate(service, operation, &parts, &bytes) {
        tracing::debug!(%message, "request refused by the service model");
        return AwsError::validation(message).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Checks one request; `Err` is the whole `ValidationException` message.
fn validate(
    service: &ServiceModel, operation: &Operation, parts: &Parts, body: &[u8],
) -> Result<(), String> {
    let Some(input) = service.shapes.get(&operation.input.shape) else {
        return Ok(());
    };
    let labels = uri_labels(&operation.http.request_uri, parts.uri.path());
    let query = query_pairs(parts.uri.query().unwrap_or_default());
    let mut errors = Vec::new();
    let mut members = Map::new();
    let mut payload_blob: Option<(&str, usize)> = None;
    let json_body = if input.payload.is_none() && !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => Some(object),
            // A body that is not a JSON object is the handler's to refuse.
            _ => return Ok(()),
        }
    } else {
        None
    };
    for (name, member) in &input.members {
        let wire = member.location_name.as_deref().unwrap_or(name);
        let value = match member.location.as_deref() {
            Some("uri") => labels.get(wire).map(|v| Value::String(v.clone())),
            Some("header") => {
                header(&parts.headers, wire).map(|v| typed(service, &member.shape, v))
            }
            Some("querystring") => query.get(wire).map(|v| typed(service, &member.shape, v)),
            Some(_) => None,
            None if input.payload.as_deref() == Some(name.as_str()) => {
                payload_blob = Some((name, body.len()));
                continue;
            }
            None => json_body.as_ref().and_then(|b| b.get(wire).cloned()),
        };
        if let Some(value) = value {
            members.insert(name.clone(), value);
        }
    }
    let checker = Checker { service };
    checker.structure(input, &Value::Object(members), "", &mut errors);
    if let Some((name, length)) = payload_blob
        && let Some(shape) = input.members.get(name).and_then(|m| service.shapes.get(&m.shape))
    {
        checker.length(shape, length, &format!("'{length} bytes'"), name, &mut errors);
    }
    if errors.is_empty() {
        return Ok(());
    }
    let count = errors.len();
    let plural = if count == 1 { "" } else { "s" };
    Err(format!("{count} validation error{plural} detected: {}", errors.join("; ")))
}

/// Header and query values are text; numbers and booleans are read as such.
fn typed(service: &ServiceModel, shape: &str, text: &str) -> Value {
    let kind = service.shapes.get(shape).map(|s| s.kind.as_str());
    match kind {
        Some("integer" | "long") => {
            text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(text.to_owned()))
        }
        Some("float" | "double") => text
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .unwrap_or_else(|| Value::String(text.to_owned())),
        _ => Value::String(text.to_owned()),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `{label}` values of a path, from the operation's URI template.
fn uri_labels(template: &str, path: &str) -> HashMap<String, String> {
    let template = template.split('?').next().unwrap_or_default();
    let mut labels = HashMap::new();
    let mut actual = path.trim_matches('/').split('/');
    for part in template.trim_matches('/').split('/') {
        let Some(value) = actual.next() else { break };
        if let Some(label) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let decoded = percent_decode_str(value).decode_utf8_lossy().into_owned();
            labels.insert(label.trim_end_matches('+').to_owned(), decoded);
        }
    }
    labels
}

fn query_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode =
                |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            (decode(key), decode(value))
        })
        .collect()
}

/// Walks a value along its shape and collects every broken constraint.
struct Checker<'a> {
    service: &'a ServiceModel,
}

impl Checker<'_> {
    fn check(&self, shape_name: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(shape) = self.service.shapes.get(shape_name) else {
            return;
        };
        match (shape.kind.as_str(), value) {
            ("structure", Value::Object(_)) => self.structure(shape, value, path, errors),
            ("list", Value::Array(items)) => {
                self.length(shape, items.len(), &shown(value), path, errors);
                if let Some(member) = &shape.member {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("{path}.{}.member", i + 1);
                        self.check(&member.shape, item, &at, errors);
                    }
                }
            }
            ("map", Value::Object(entries)) => {
                self.length(shape, entries.len(), &shown(value), path, errors);
                for (key, item) in entries {
                    if let Some(key_shape) = &shape.key {
                        self.check(&key_shape.shape, &Value::String(key.clone()), path, errors);
                    }
                    if let Some(value_shape) = &shape.value {
                        self.check(&value_shape.shape, item, &format!("{path}.{key}"), errors);
                    }
                }
            }
            ("string", Value::String(text)) => {
                self.length(shape, text.chars().count(), &shown(value), path, errors);
                if let Some(allowed) = &shape.enum_values
                    && !allowed.iter().any(|a| a == text)
                {
                    errors.push(broken(
                        &shown(value),
                        path,
                        &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
                    ));
                }
                if let Some(pattern) = &shape.pattern
                    && let Some(regex) = self.service.patterns.get(pattern)
                    && !regex.is_match(text)
                {
                    errors.push(broken(
                        &shown(value),
                        path,
                        &format!("Member must satisfy regular expression pattern: {pattern}"),
                    ));
                }
            }
            ("integer" | "long" | "float" | "double", Value::Number(number)) => {
                let Some(n) = number.as_f64() else { return };
                if let Some(min) = shape.min
                    && n < min
                {
                    let rule =
                        format!("Member must have value greater than or equal to {}", bound(min));
                    errors.push(broken(&shown(value), path, &rule));
                }
                if let Some(max) = shape.max
                    && n > max
                {
                    let rule =
                        format!("Member must have value less than or equal to {}", bound(max));
                    errors.push(broken(&shown(value), path, &rule));
                }
            }
            ("blob", Value::String(encoded)) => {
                if let Ok(bytes) = BASE64.decode(encoded.as_bytes()) {
                    self.length(shape, bytes.len(), &shown(value), path, errors);
                }
            }
            // Booleans, timestamps, documents, and values of the wrong JSON type
            // (which the handlers' own parsing refuses) have nothing to check here.
            _ => {}
        }
    }

    fn structure(&self, shape: &Shape, value: &Value, path: &str, errors: &mut Vec<String>) {
        let Value::Object(object) = value else { return };
        for name in &shape.required {
            if object.get(name).is_none_or(Value::is_null) {
                errors.push(format!(
                    "Value null at '{}' failed to satisfy constraint: Member must not be null",
                    join(path, name)
                ));
            }
        }
        for (name, member) in &shape.members {
            if let Some(item) = object.get(name).filter(|v| !v.is_null()) {
                self.check(&member.shape, item, &join(path, name), errors);
            }
        }
    }

    fn length(
        &self, shape: &Shape, length: usize, shown: &str, path: &str, errors: &mut Vec<String>,
    ) {
        let length = length as f64;
        if let Some(min) = shape.min
            && length < min
        {
            let rule = format!("Member must have length greater than or equal to {}", bound(min));
            errors.push(broken(shown, path, &rule));
        }
        if let Some(max) = shape.max
            && length > max
        {
            let rule = format!("Member must have length less than or equal to {}", bound(max));
            errors.push(broken(shown, path, &rule));
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn broken(shown: &str, path: &str, rule: &str) -> String {
    format!("Value {shown} at '{path}' failed to satisfy constraint: {rule}")
}

/// A value as the services quote it: `'text'` (long ones cut), numbers as they are.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let cut: String = text.chars().take(64).collect();
    let ellipsis = if cut.len() < text.len() { "..." } else { "" };
    format!("'{cut}{ellipsis}'")
}

/// A bound as an integer when it is one (`28800`, not `28800.0`).
fn bound(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

#[cfg(test)]
mod tests;
