//! IAM and STS over the query protocol, driven by the real Rust SDK clients.

use aws_sdk_iam::error::ProvideErrorMetadata;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:InvokeModel"],"Resource":"*"}]}"#;

#[tokio::test]
async fn role_create_get_policy_delete_cycle() {
    let emulator = crate::support::emulator().await;
    let config = crate::support::sdk_config(&emulator).await;
    let iam = aws_sdk_iam::Client::new(&config);

    let created = iam
        .create_role()
        .role_name("CodeInterpreterClaudeCodeRole")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect("create role");
    let role = created.role().expect("role");
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/CodeInterpreterClaudeCodeRole");
    assert!(role.role_id().starts_with("AROA"));

    let again = iam
        .create_role()
        .role_name("CodeInterpreterClaudeCodeRole")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect_err("duplicate");
    assert_eq!(again.code(), Some("EntityAlreadyExists"));
    assert!(again.into_service_error().is_entity_already_exists_exception());

    let got =
        iam.get_role().role_name("CodeInterpreterClaudeCodeRole").send().await.expect("get role");
    let document = got.role().and_then(|r| r.assume_role_policy_document()).unwrap();
    assert!(document.contains("%22sts%3AAssumeRole%22"), "URL-encoded: {document}");

    iam.put_role_policy()
        .role_name("CodeInterpreterClaudeCodeRole")
        .policy_name("BedrockInvokeAccess")
        .policy_document(POLICY)
        .send()
        .await
        .expect("put policy");
    let conflict = iam
        .delete_role()
        .role_name("CodeInterpreterClaudeCodeRole")
        .send()
        .await
        .expect_err("policies remain");
    assert!(conflict.into_service_error().is_delete_conflict_exception());

    iam.delete_role_policy()
        .role_name("CodeInterpreterClaudeCodeRole")
        .policy_name("BedrockInvokeAccess")
        .send()
        .await
        .expect("delete policy");
    iam.delete_role().role_name("CodeInterpreterClaudeCodeRole").send().await.expect("delete role");
    assert_eq!(emulator.roles(), 0);

    let missing =
        iam.get_role().role_name("CodeInterpreterClaudeCodeRole").send().await.expect_err("gone");
    assert!(missing.into_service_error().is_no_such_entity_exception());
}

#[tokio::test]
async fn sts_get_caller_identity() {
    let emulator = crate::support::emulator().await;
    let config = crate::support::sdk_config(&emulator).await;
    let sts = aws_sdk_sts::Client::new(&config);
    let me = sts.get_caller_identity().send().await.expect("identity");
    assert_eq!(me.account(), Some("123456789012"));
}
