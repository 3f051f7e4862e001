//! Unit tests of fault parsing, counting and the response rewriting.

use super::apply::*;
use super::*;
use crate::operations::rest_operation;
use axum::http::Method;
use serde_json::json;

#[test]
fn parses_the_documented_forms() {
    let fault = Fault::parse("converse:throttle:2").unwrap();
    assert_eq!(fault.kind, FaultKind::Throttle);
    assert_eq!(fault.trigger, Trigger::Count(2));
    assert!(fault.matches("Converse"));
    assert!(!fault.matches("ConverseStream"));
    let fault = Fault::parse("invoke-code-interpreter:delay=250ms:always").unwrap();
    assert_eq!(fault.kind, FaultKind::Delay(Duration::from_millis(250)));
    assert_eq!(fault.trigger, Trigger::Always);
    assert!(fault.matches("InvokeCodeInterpreter"));
    assert_eq!(Fault::parse("*:503:25%").unwrap().trigger, Trigger::Rate(0.25));
    assert_eq!(Fault::parse("InvokeModel:malformed").unwrap().trigger, Trigger::Count(1));
    for bad in ["", "converse", "converse:boom", "converse:throttle:x", "a:delay=3:1", "a:500:1:2"]
    {
        let err = Fault::parse(bad).unwrap_err().to_string();
        assert!(err.contains("OPERATION:KIND"), "{err}");
    }
}

#[test]
fn counts_run_out_and_the_first_match_wins() {
    let plan = FaultPlan::new([
        Fault::new("Converse", FaultKind::Throttle).times(2),
        Fault::new("*", FaultKind::Internal).always(),
    ]);
    assert_eq!(plan.pick("Converse"), Some(FaultKind::Throttle));
    assert_eq!(plan.pick("converse"), Some(FaultKind::Throttle));
    assert_eq!(plan.pick("Converse"), Some(FaultKind::Internal));
    assert_eq!(plan.pick("GetRole"), Some(FaultKind::Internal));
    assert_eq!(plan.fired(), 4);
    assert_eq!(plan.fired_on("Converse"), 3);
    plan.clear();
    assert_eq!(plan.pick("Converse"), None);
    let never = FaultPlan::new([Fault::new("Converse", FaultKind::Throttle).rate(0.0)]);
    assert_eq!(never.pick("Converse"), None);
}

#[test]
fn after_lets_some_requests_through_then_fires_once() {
    let fault = Fault::parse("InvokeModelWithResponseStream:400:after=1").unwrap();
    assert_eq!((fault.kind, fault.trigger), (FaultKind::Validation, Trigger::After(1)));
    assert_eq!(Fault::parse("x:403").unwrap().kind, FaultKind::Denied);
    let plan = FaultPlan::new([fault]);
    assert_eq!(plan.pick("InvokeModelWithResponseStream"), None);
    assert_eq!(plan.pick("InvokeModelWithResponseStream"), Some(FaultKind::Validation));
    assert_eq!(plan.pick("InvokeModelWithResponseStream"), None);
}

#[test]
fn names_operations_like_aws() {
    let op = |m: Method, p: &str| rest_operation(&m, p);
    assert_eq!(op(Method::POST, "/model/x/converse"), Some("Converse"));
    assert_eq!(
        op(Method::POST, "/code-interpreters/aws.codeinterpreter.v1/tools/invoke"),
        Some("InvokeCodeInterpreter")
    );
    assert_eq!(
        op(Method::PUT, "/code-interpreters/x/sessions/start"),
        Some("StartCodeInterpreterSession")
    );
    assert_eq!(op(Method::POST, "/model/x/count-tokens"), Some("CountTokens"));
    assert_eq!(op(Method::POST, "/v1/messages"), None, "the Anthropic API is the bridge's");
    assert_eq!(op(Method::POST, "/"), None);
    assert_eq!(url_form_action(b"Version=1&Action=GetRole&RoleName=r"), Some("GetRole".into()));
}

#[test]
fn tool_inputs_are_rewritten_in_both_formats() {
    let mut converse = json!({"output": {"message": {"content": [
        {"text": "hi"}, {"toolUse": {"toolUseId": "t", "name": "execute_python", "input": {"code": "1"}}}]}}});
    rewrite_tool_inputs(&mut converse, &json!({"code": 42}));
    assert_eq!(converse["output"]["message"]["content"][1]["toolUse"]["input"]["code"], 42);
    let mut anthropic =
        json!({"content": [{"type": "tool_use", "id": "t", "name": "n", "input": {"code": "1"}}]});
    rewrite_tool_inputs(&mut anthropic, &json!({}));
    assert_eq!(anthropic["content"][0]["input"], json!({}));
}
