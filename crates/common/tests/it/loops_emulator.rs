//! `ConverseLoop` and `InvokeModelLoop` with `ExecutePython` against the emulator's
//! scripted model and real sandbox (the mean/std conversation of 01 and 02).

use common::anthropic::{self, InvokeModelLoop};
use common::converse::{self, ConverseLoop};
use common::tools::{self, ExecutePython};
use common::{CommonArgs, LoopEvent, SessionConfig, with_session};

fn local_args() -> CommonArgs {
    CommonArgs::offline()
}

#[tokio::test]
async fn converse_loop_with_the_python_tool() {
    let clients = local_args().connect().await.unwrap();
    let mut tool_events = 0;
    let report = with_session(&clients.agentcore, SessionConfig::named("loop"), async |session| {
        ConverseLoop::new(common::DEFAULT_MODEL_ID)
            .tools(tools::converse_tool_config()?)
            .run(
                &clients.bedrock,
                vec![converse::user_text(common::STATS_PROMPT)?],
                &ExecutePython::in_session(session),
                |event| {
                    if let LoopEvent::ToolResult { output, .. } = event {
                        assert!(!output.is_error, "{}", output.text);
                        tool_events += 1;
                    }
                },
            )
            .await
    })
    .await
    .unwrap();
    assert_eq!((report.round_trips, report.tool_calls, tool_events), (2, 1, 1));
    assert!(report.answer.contains("5.5") && report.answer.contains("3.0277"), "{}", report.answer);
    assert!(report.usage.input_tokens > 0 && report.usage.output_tokens > 0);
    assert_eq!(clients.emulator().unwrap().live_sessions(), 0);
}

#[tokio::test]
async fn invoke_model_loop_with_the_python_tool() {
    let clients = local_args().connect().await.unwrap();
    let report = with_session(&clients.agentcore, SessionConfig::named("loop"), async |session| {
        InvokeModelLoop::new(common::DEFAULT_MODEL_ID)
            .tools(vec![tools::anthropic_tool()])
            .run(
                &clients.bedrock,
                vec![anthropic::Message::user_text(common::STATS_PROMPT)],
                &ExecutePython::in_session(session),
                |_| {},
            )
            .await
    })
    .await
    .unwrap();
    assert_eq!((report.round_trips, report.tool_calls), (2, 1));
    assert!(report.answer.contains("2.8723"), "{}", report.answer);
    assert_eq!(report.messages.len(), 4);
}
