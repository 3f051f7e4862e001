//! The AgentCore data and control planes, driven by the real Rust SDK clients.

use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterResult, CodeInterpreterStreamOutput, ToolArguments, ToolName,
};

const SYSTEM: &str = "aws.codeinterpreter.v1";

async fn invoke(
    client: &aws_sdk_bedrockagentcore::Client, session: &str, name: ToolName,
    arguments: ToolArguments,
) -> CodeInterpreterResult {
    let mut output = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(session)
        .name(name)
        .arguments(arguments)
        .send()
        .await
        .expect("invoke succeeds");
    let mut results = Vec::new();
    while let Some(event) = output.stream.recv().await.expect("stream decodes") {
        if let CodeInterpreterStreamOutput::Result(result) = event {
            results.push(result);
        }
    }
    assert_eq!(results.len(), 1, "one result event per call");
    results.remove(0)
}

fn text_of(result: &CodeInterpreterResult) -> String {
    result.content().iter().filter_map(|block| block.text()).collect::<Vec<_>>().join("\n")
}

async fn run_python(
    client: &aws_sdk_bedrockagentcore::Client, session: &str, code: &str,
) -> CodeInterpreterResult {
    let args = ToolArguments::builder()
        .code(code)
        .language(aws_sdk_bedrockagentcore::types::ProgrammingLanguage::Python)
        .build();
    invoke(client, session, ToolName::ExecuteCode, args).await
}

#[tokio::test]
async fn session_lifecycle_and_execute_code() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;

    let started = client
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .name("lifecycle")
        .session_timeout_seconds(900)
        .send()
        .await
        .expect("session starts");
    let session = started.session_id().to_owned();
    assert!(session.chars().all(|c| c.is_ascii_alphanumeric()) && session.len() <= 40);
    assert_eq!(emulator.live_sessions(), 1);

    let result = run_python(&client, &session, "print(6 * 7)").await;
    assert_eq!(text_of(&result).trim(), "42");
    assert_eq!(result.is_error(), Some(false));
    let structured = result.structured_content().expect("structured content");
    assert_eq!(structured.exit_code(), Some(0));
    // AgentCore strips what the code printed (a captured `print` has no newline).
    assert_eq!(structured.stdout(), Some("42"));

    let got = client
        .get_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_id(&session)
        .send()
        .await
        .expect("get");
    assert_eq!(got.status().map(|s| s.as_str()), Some("READY"));
    assert_eq!(got.name(), Some("lifecycle"));

    for _ in 0..2 {
        client
            .stop_code_interpreter_session()
            .code_interpreter_identifier(SYSTEM)
            .session_id(&session)
            .send()
            .await
            .expect("stop is idempotent");
    }
    assert_eq!(emulator.live_sessions(), 0);

    let err = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(&session)
        .name(ToolName::ExecuteCode)
        .arguments(ToolArguments::builder().code("print(1)").build())
        .send()
        .await
        .expect_err("a stopped session refuses calls");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));

    let listed = client
        .list_code_interpreter_sessions()
        .code_interpreter_identifier(SYSTEM)
        .status(aws_sdk_bedrockagentcore::types::CodeInterpreterSessionStatus::Terminated)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.items().len(), 1);
}

#[tokio::test]
async fn unknown_session_and_interpreter_are_not_found() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let err = client
        .get_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_id("NOSUCHSESSION")
        .send()
        .await
        .expect_err("unknown session");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = client
        .start_code_interpreter_session()
        .code_interpreter_identifier("nope-0123456789")
        .send()
        .await
        .expect_err("unknown interpreter");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn wrong_secret_is_refused_and_server_keeps_serving() {
    let emulator = crate::support::emulator().await;
    let bad = aws_sdk_bedrockagentcore::Client::new(
        &crate::support::sdk_config_with(&emulator, "not-the-secret").await,
    );
    let err = bad
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .send()
        .await
        .expect_err("bad signature");
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert_eq!(emulator.live_sessions(), 0);

    let good = crate::support::agentcore(&emulator).await;
    let started = good
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .send()
        .await
        .expect("a good request after a bad one");
    good.stop_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_id(started.session_id())
        .send()
        .await
        .expect("stop");
}

#[tokio::test]
async fn unsigned_and_foreign_host_requests_are_refused() {
    let emulator = crate::support::emulator().await;
    let http = reqwest::Client::new();
    let url = format!("{}/code-interpreters/{SYSTEM}/sessions/start", emulator.endpoint());
    let response = http.put(&url).body("{}").send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["x-amzn-errortype"], "MissingAuthenticationTokenException");
    let response =
        http.put(&url).header("host", "attacker.example:80").body("{}").send().await.unwrap();
    assert_eq!(response.status(), 403);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("loopback"));
}

#[tokio::test]
async fn control_plane_create_get_list_delete() {
    let emulator = crate::support::emulator().await;
    let control = crate::support::control(&emulator).await;
    use aws_sdk_bedrockagentcorecontrol::types::{
        CodeInterpreterNetworkConfiguration, CodeInterpreterNetworkMode, ResourceType,
    };
    let network = CodeInterpreterNetworkConfiguration::builder()
        .network_mode(CodeInterpreterNetworkMode::Public)
        .build();
    let created = control
        .create_code_interpreter()
        .name("claudeCodePublic")
        .network_configuration(network.clone())
        .execution_role_arn("arn:aws:iam::123456789012:role/CodeInterpreterClaudeCodeRole")
        .send()
        .await
        .expect("create");
    let id = created.code_interpreter_id().to_owned();
    assert!(id.starts_with("claudeCodePublic-") && id.len() == "claudeCodePublic-".len() + 10);
    assert!(created.code_interpreter_arn().contains(":code-interpreter-custom/"));

    let dup = control
        .create_code_interpreter()
        .name("claudeCodePublic")
        .network_configuration(network)
        .send()
        .await
        .expect_err("duplicate name");
    assert_eq!(dup.code(), Some("ConflictException"));

    let got = control.get_code_interpreter().code_interpreter_id(&id).send().await.expect("get");
    assert_eq!(got.name(), "claudeCodePublic");
    // CREATING first, as AgentCore answers; no session can start on it yet.
    assert_eq!(got.status().as_str(), "CREATING");
    let data = crate::support::agentcore(&emulator).await;
    let early = data
        .start_code_interpreter_session()
        .code_interpreter_identifier(&id)
        .send()
        .await
        .expect_err("not READY yet");
    assert_eq!(early.code(), Some("ValidationException"));
    wait_for_status(&control, &id, Some("READY")).await;

    let custom =
        control.list_code_interpreters().r#type(ResourceType::Custom).send().await.expect("list");
    assert_eq!(custom.code_interpreter_summaries().len(), 1);
    let pages: Vec<_> = control
        .list_code_interpreters()
        .max_results(1)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 2, "system + custom, one per page");

    // A session on the custom interpreter, addressed by ARN, ends when it is deleted.
    let session = data
        .start_code_interpreter_session()
        .code_interpreter_identifier(created.code_interpreter_arn())
        .send()
        .await
        .expect("session on custom interpreter");
    assert_eq!(session.code_interpreter_identifier(), id);
    assert_eq!(emulator.live_sessions(), 1);

    control.delete_code_interpreter().code_interpreter_id(&id).send().await.expect("delete");
    assert_eq!(emulator.live_sessions(), 0);
    // DELETING for a while, then gone.
    let deleting = control
        .get_code_interpreter()
        .code_interpreter_id(&id)
        .send()
        .await
        .expect("still there while DELETING");
    assert_eq!(deleting.status().as_str(), "DELETING");
    wait_for_status(&control, &id, None).await;
    let gone = control
        .delete_code_interpreter()
        .code_interpreter_id(&id)
        .send()
        .await
        .expect_err("already deleted");
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
}

/// Polls GetCodeInterpreter until it reports `status` (`None`: not found).
async fn wait_for_status(
    control: &aws_sdk_bedrockagentcorecontrol::Client, id: &str, status: Option<&str>,
) {
    for _ in 0..100 {
        let got = control.get_code_interpreter().code_interpreter_id(id).send().await;
        let now = match &got {
            Ok(got) => Some(got.status().as_str().to_owned()),
            Err(err) if err.code() == Some("ResourceNotFoundException") => None,
            Err(err) => panic!("get failed: {err:?}"),
        };
        if now.as_deref() == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} never reached {status:?}");
}

#[tokio::test]
async fn calls_on_one_session_run_in_the_order_they_arrive() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start_session(&client).await;
    // Start a slow call that writes a file, and do not read its stream yet: the
    // Python SDK's execute_code followed by download_file does exactly this.
    let slow = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(&session)
        .name(ToolName::ExecuteCode)
        .arguments(
            ToolArguments::builder()
                .code("import time\ntime.sleep(0.5)\nopen('late.txt', 'w').write('written late')")
                .build(),
        )
        .send()
        .await
        .expect("executeCode accepted");
    let read = invoke(
        &client,
        &session,
        ToolName::ReadFiles,
        ToolArguments::builder().paths("late.txt").build(),
    )
    .await;
    assert_eq!(read.is_error(), Some(false), "{read:?}");
    let resource = read.content()[0].resource().expect("a resource block");
    assert_eq!(resource.text(), Some("written late"));
    drop(slow);
}

#[tokio::test]
async fn execution_time_is_in_seconds() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start_session(&client).await;
    let result = run_python(&client, &session, "import time\ntime.sleep(0.3)").await;
    let seconds =
        result.structured_content().and_then(|s| s.execution_time()).expect("executionTime");
    assert!((0.25..10.0).contains(&seconds), "executionTime {seconds} is not seconds");
}

/// A session on the system interpreter, with the service's defaults.
async fn start_session(client: &aws_sdk_bedrockagentcore::Client) -> String {
    client
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .send()
        .await
        .expect("session starts")
        .session_id()
        .to_owned()
}
