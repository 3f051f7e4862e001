//! The provisioned sandbox Python has the commonly used part of AgentCore's
//! pre-installed packages, and code in a session imports every one of them.

use aws_sdk_bedrockagentcore::types::{CodeInterpreterStreamOutput, ToolArguments, ToolName};

#[tokio::test]
async fn the_common_preinstalled_packages_import_in_a_session() {
    let emulator = crate::support::emulator_with_numpy().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = client
        .start_code_interpreter_session()
        .code_interpreter_identifier("aws.codeinterpreter.v1")
        .send()
        .await
        .unwrap()
        .session_id()
        .to_owned();
    let modules: Vec<&str> =
        emulator::PackageSet::Common.packages().into_iter().map(|(_, module)| module).collect();
    let code = format!(
        "import importlib\nmissing = []\nfor name in {modules:?}:\n    \
             try:\n        importlib.import_module(name)\n    \
             except Exception as e:\n        missing.append(f'{{name}}: {{e}}')\n\
         print('missing:', missing)"
    );
    let mut output = client
        .invoke_code_interpreter()
        .code_interpreter_identifier("aws.codeinterpreter.v1")
        .session_id(&session)
        .name(ToolName::ExecuteCode)
        .arguments(ToolArguments::builder().code(code).build())
        .send()
        .await
        .unwrap();
    let mut stdout = String::new();
    while let Some(event) = output.stream.recv().await.unwrap() {
        if let CodeInterpreterStreamOutput::Result(result) = event {
            stdout.push_str(result.structured_content().and_then(|s| s.stdout()).unwrap_or(""));
        }
    }
    assert_eq!(stdout, "missing: []", "{} modules checked", modules.len());
    assert!(modules.len() >= 30 && modules.contains(&"sklearn") && modules.contains(&"bs4"));
    // As on AgentCore, SANDBOX mode has no internet: pip can only find what is there.
    let mut pip = client
        .invoke_code_interpreter()
        .code_interpreter_identifier("aws.codeinterpreter.v1")
        .session_id(&session)
        .name(ToolName::ExecuteCommand)
        .arguments(ToolArguments::builder().command("pip install requests").build())
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while let Some(event) = pip.stream.recv().await.unwrap() {
        if let CodeInterpreterStreamOutput::Result(result) = event {
            text.push_str(result.content()[0].text().unwrap_or(""));
        }
    }
    assert!(text.contains("Requirement already satisfied"), "{text}");
}
