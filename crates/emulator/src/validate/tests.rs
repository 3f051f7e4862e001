use axum::http::Request;

use super::model::{find, models};
use super::validate;

fn check(method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Result<(), String> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let (parts, ()) = builder.body(()).unwrap().into_parts();
    let operation = crate::operations::rest_operation(&parts.method, parts.uri.path()).unwrap();
    let (service, operation) = find(operation).unwrap();
    validate(service, operation, &parts, body.as_bytes())
}

#[test]
fn every_vendored_model_loads_and_every_pattern_compiles() {
    assert_eq!(models().len(), 3);
    for model in models() {
        let patterns = model.shapes.values().filter(|s| s.pattern.is_some()).count();
        assert_eq!(model.patterns.len(), patterns.min(model.patterns.len()));
        for shape in model.shapes.values() {
            if let Some(pattern) = &shape.pattern {
                assert!(model.patterns.contains_key(pattern), "{pattern} did not compile");
            }
        }
    }
    for operation in [
        "StartCodeInterpreterSession",
        "InvokeCodeInterpreter",
        "CreateCodeInterpreter",
        "Converse",
        "InvokeModel",
    ] {
        assert!(find(operation).is_some(), "{operation}");
    }
}

#[test]
fn ranges_enums_and_required_members_use_the_services_words() {
    let start = "/code-interpreters/aws.codeinterpreter.v1/sessions/start";
    assert_eq!(check("PUT", start, &[], r#"{"sessionTimeoutSeconds": 900}"#), Ok(()));
    assert_eq!(
        check("PUT", start, &[], r#"{"sessionTimeoutSeconds": 28801}"#),
        Err("1 validation error detected: Value '28801' at 'sessionTimeoutSeconds' failed to \
             satisfy constraint: Member must have value less than or equal to 28800"
            .into())
    );
    let invoke = "/code-interpreters/aws.codeinterpreter.v1/tools/invoke";
    let session = [("x-amzn-code-interpreter-session-id", "ABC")];
    let err = check(
        "POST",
        invoke,
        &session,
        r#"{"name": "runCode", "arguments": {"language": "ruby"}}"#,
    )
    .unwrap_err();
    assert!(err.starts_with("2 validation errors detected: "), "{err}");
    assert!(err.contains("Value 'runCode' at 'name' failed to satisfy constraint: Member must satisfy enum value set: [executeCode, "), "{err}");
    assert!(err.contains("at 'arguments.language'"), "{err}");
    let err = check("POST", invoke, &session, r#"{"arguments": {}}"#).unwrap_err();
    assert_eq!(
        err,
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let bad_session = [("x-amzn-code-interpreter-session-id", "not-a-session!")];
    let err = check("POST", invoke, &bad_session, r#"{"name": "executeCode"}"#).unwrap_err();
    assert!(err.contains("at 'sessionId' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{err}");
}

#[test]
fn list_members_are_named_by_position_and_query_values_are_typed() {
    let converse = "/model/us.anthropic.claude-sonnet-4-6/converse";
    let err = check(
        "POST",
        converse,
        &[],
        r#"{"messages": [{"role": "user", "content": [{"text": "hi"}]}, {"role": "robot", "content": []}]}"#,
    )
    .unwrap_err();
    assert!(err.contains("Value 'robot' at 'messages.2.member.role'"), "{err}");
    let list = "/code-interpreters?maxResults=500";
    let err = check("POST", list, &[], "{}").unwrap_err();
    assert!(err.contains("Value '500' at 'maxResults'"), "{err}");
    let create = "/code-interpreters";
    let err = check(
        "PUT",
        create,
        &[],
        r#"{"name": "has-hyphens", "networkConfiguration": {"networkMode": "PUBLIC"}}"#,
    )
    .unwrap_err();
    assert!(err.contains("Value 'has-hyphens' at 'name'"), "{err}");
}

#[test]
fn every_rest_operation_the_router_serves_is_checked_against_a_model() {
    use crate::operations::{OPERATIONS, Protocol};
    for operation in OPERATIONS.iter().filter(|op| op.protocol == Protocol::RestJson) {
        assert!(find(operation.name).is_some(), "{} has no service model", operation.name);
    }
}

#[test]
fn count_tokens_is_checked_like_the_other_bedrock_operations() {
    let err = check("POST", "/model/m/count-tokens", &[], "{}").unwrap_err();
    assert_eq!(
        err,
        "1 validation error detected: Value null at 'input' failed to satisfy constraint: \
         Member must not be null"
    );
}
