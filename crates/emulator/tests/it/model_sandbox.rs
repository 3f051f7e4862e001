//! Example 01's loop end to end: Converse asks for code, the AgentCore sandbox runs it for real,
//! and the final answer quotes what the code printed (or says plainly what it could not find).

use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterStreamOutput, ProgrammingLanguage, ToolArguments, ToolName,
};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput, Message, StopReason, Tool, ToolConfiguration,
    ToolInputSchema, ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification,
};
use aws_smithy_types::Document;

const MODEL: &str = "global.anthropic.claude-sonnet-4-6";
const P: &str = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";

/// Runs Python in the session; returns (joined text, is_error).
async fn execute(
    client: &aws_sdk_bedrockagentcore::Client, session: &str, code: &str,
) -> (String, bool) {
    let mut out = client
        .invoke_code_interpreter()
        .code_interpreter_identifier("aws.codeinterpreter.v1")
        .session_id(session)
        .name(ToolName::ExecuteCode)
        .arguments(
            ToolArguments::builder().code(code).language(ProgrammingLanguage::Python).build(),
        )
        .send()
        .await
        .expect("invoke succeeds");
    let (mut text, mut is_error) = (Vec::new(), false);
    while let Some(event) = out.stream.recv().await.expect("stream decodes") {
        if let CodeInterpreterStreamOutput::Result(r) = event {
            text.extend(r.content().iter().filter_map(|b| b.text().map(str::to_owned)));
            is_error |= r.is_error().unwrap_or(false);
        }
    }
    (text.join("\n"), is_error)
}

fn tool_config() -> ToolConfiguration {
    let schema = Document::Object(
        [
            ("type".to_owned(), Document::String("object".into())),
            (
                "properties".to_owned(),
                Document::Object(
                    [(
                        "code".to_owned(),
                        Document::Object(
                            [("type".to_owned(), Document::String("string".into()))].into(),
                        ),
                    )]
                    .into(),
                ),
            ),
        ]
        .into(),
    );
    ToolConfiguration::builder()
        .tools(Tool::ToolSpec(
            ToolSpecification::builder()
                .name("execute_python")
                .description("Run Python in a secure sandbox")
                .input_schema(ToolInputSchema::Json(schema))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap()
}

#[tokio::test]
async fn converse_loop_runs_the_code_in_the_sandbox() {
    let emulator = crate::support::emulator().await;
    let config = crate::support::sdk_config(&emulator).await;
    let bedrock = aws_sdk_bedrockruntime::Client::new(&config);
    let agentcore = aws_sdk_bedrockagentcore::Client::new(&config);
    let session = agentcore
        .start_code_interpreter_session()
        .code_interpreter_identifier("aws.codeinterpreter.v1")
        .name("converse-session")
        .send()
        .await
        .expect("session starts")
        .session_id()
        .to_owned();
    let (has_numpy, _) = execute(&agentcore, &session, "import numpy").await;
    let has_numpy = has_numpy.trim().is_empty();

    let mut messages = vec![
        Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(P.into()))
            .build()
            .unwrap(),
    ];
    let answer = loop {
        let out = bedrock
            .converse()
            .model_id(MODEL)
            .set_messages(Some(messages.clone()))
            .tool_config(tool_config())
            .send()
            .await
            .expect("converse succeeds");
        let ConverseOutput::Message(assistant) = out.output().unwrap().clone() else {
            panic!("no message");
        };
        messages.push(assistant.clone());
        if out.stop_reason() != &StopReason::ToolUse {
            break assistant;
        }
        let mut results = Vec::new();
        for tu in assistant.content().iter().filter_map(|b| b.as_tool_use().ok()) {
            let code = tu.input().as_object().unwrap()["code"].as_string().unwrap();
            let (text, is_error) = execute(&agentcore, &session, code).await;
            let status = if is_error { ToolResultStatus::Error } else { ToolResultStatus::Success };
            results.push(ContentBlock::ToolResult(
                ToolResultBlock::builder()
                    .tool_use_id(tu.tool_use_id())
                    .content(ToolResultContentBlock::Text(text))
                    .status(status)
                    .build()
                    .unwrap(),
            ));
        }
        messages.push(
            Message::builder()
                .role(ConversationRole::User)
                .set_content(Some(results))
                .build()
                .unwrap(),
        );
    };
    let text: String = answer.content().iter().filter_map(|b| b.as_text().ok().cloned()).collect();
    if has_numpy {
        assert!(
            text.contains("5.5") && text.contains("2.8723") && text.contains("3.0277"),
            "{text}"
        );
    } else {
        assert!(text.contains("[could not find `mean` in the tool output"), "{text}");
        assert!(text.contains("numpy"), "{text}");
    }
    assert_eq!(messages.len(), 4, "one tool round trip");
    agentcore
        .stop_code_interpreter_session()
        .code_interpreter_identifier("aws.codeinterpreter.v1")
        .session_id(&session)
        .send()
        .await
        .expect("session stops");
}
