//! The Converse and InvokeModel loops, the session and `with_session` against
//! the emulator with injected faults: retries absorb two transient failures,
//! exhausted retries, broken streams, expired sessions, slow answers and malformed
//! model replies give clear errors, and no session is ever left running.

use std::time::Duration;

use common::anthropic::{self, InvokeModelLoop};
use common::converse::{self, ConverseLoop};
use common::tools::{self, ExecutePython};
use common::{Clients, CommonArgs, Error, LoopEvent, SessionConfig, with_session};
use emulator::{Emulator, Fault, FaultKind};

async fn local() -> Clients {
    CommonArgs::offline().connect().await.unwrap()
}

fn emulator(clients: &Clients) -> &Emulator {
    clients.emulator().unwrap()
}

/// A loop observer that counts the tool results that were errors.
fn count_errors(count: &mut usize) -> impl FnMut(LoopEvent<'_>) + '_ {
    move |event| {
        if let LoopEvent::ToolResult { output, .. } = event
            && output.is_error
        {
            *count += 1;
        }
    }
}

/// The mean/std conversation of example 01 through `ConverseLoop`; counts the
/// tool results that were errors.
async fn converse_run(clients: &Clients) -> (Result<String, Error>, usize) {
    let mut error_results = 0;
    let outcome =
        with_session(&clients.agentcore, SessionConfig::named("faults"), async |session| {
            ConverseLoop::new(common::DEFAULT_MODEL_ID)
                .tools(tools::converse_tool_config()?)
                .run(
                    &clients.bedrock,
                    vec![converse::user_text(common::STATS_PROMPT)?],
                    &ExecutePython::in_session(session),
                    count_errors(&mut error_results),
                )
                .await
        })
        .await;
    (outcome.map(|report| report.answer), error_results)
}

async fn invoke_model_run(clients: &Clients) -> (Result<String, Error>, usize) {
    let mut error_results = 0;
    let outcome =
        with_session(&clients.agentcore, SessionConfig::named("faults"), async |session| {
            InvokeModelLoop::new(common::DEFAULT_MODEL_ID)
                .tools(vec![tools::anthropic_tool()])
                .run(
                    &clients.bedrock,
                    vec![anthropic::Message::user_text(common::STATS_PROMPT)],
                    &ExecutePython::in_session(session),
                    count_errors(&mut error_results),
                )
                .await
        })
        .await;
    (outcome.map(|report| report.answer), error_results)
}

#[tokio::test]
async fn two_throttles_and_two_5xx_in_a_row_are_retried_away() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("Converse", FaultKind::Throttle).times(2));
    emu.inject(Fault::new("InvokeCodeInterpreter", FaultKind::Throttle).times(2));
    emu.inject(Fault::new("StartCodeInterpreterSession", FaultKind::Unavailable).times(2));
    let (answer, errors) = converse_run(&clients).await;
    let answer = answer.unwrap();
    assert!(answer.contains("5.5"), "{answer}");
    assert_eq!(errors, 0);
    assert_eq!(emu.faults_fired(), 6);
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn exhausted_retries_name_the_operation_and_keep_the_sdk_error() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("Converse", FaultKind::Throttle).times(3));
    let (answer, _) = converse_run(&clients).await;
    let err = answer.unwrap_err();
    let shown = err.to_string();
    assert!(
        matches!(
            err,
            Error::RetriesExhausted { operation: "Converse", attempts: 3, reason: "throttled", .. }
        ),
        "{err:?}"
    );
    assert!(shown.contains("Converse failed after 3 attempts"), "{shown}");
    assert!(shown.contains("retries exhausted"), "{shown}");
    let chain = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&err));
    assert!(chain.contains("ThrottlingException"), "{chain}");
    assert_eq!(emu.faults_fired_on("Converse"), 3);
    assert_eq!(emu.live_sessions(), 0);

    // A session that cannot even start: nothing to stop, nothing left.
    emu.inject(Fault::new("StartCodeInterpreterSession", FaultKind::Unavailable).times(3));
    let err = converse_run(&clients).await.0.unwrap_err();
    assert!(
        err.to_string()
            .contains("StartCodeInterpreterSession failed after 3 attempts (server error"),
        "{err}"
    );
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn a_stream_that_breaks_is_an_error_and_the_session_is_stopped() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("InvokeCodeInterpreter", FaultKind::MidStream));
    let outcome =
        with_session(&clients.agentcore, SessionConfig::named("midstream"), async |session| {
            session.execute_python("print('hi')").await
        })
        .await;
    let err = outcome.unwrap_err();
    assert!(
        matches!(err, Error::Sdk { operation: "InvokeCodeInterpreter (event stream)", .. }),
        "{err:?}"
    );
    let chain = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&err));
    assert!(chain.contains("stream broke off"), "{chain}");
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn an_expired_session_stops_the_loop_with_session_expired() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("InvokeCodeInterpreter", FaultKind::Expire));
    let (answer, _) = converse_run(&clients).await;
    let err = answer.unwrap_err();
    let Error::SessionExpired { session_id, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(!session_id.is_empty());
    assert!(err.to_string().contains("has ended"), "{err}");
    assert_eq!(emu.live_sessions(), 0);

    // The same through InvokeModel.
    emu.inject(Fault::new("InvokeCodeInterpreter", FaultKind::Expire));
    let err = invoke_model_run(&clients).await.0.unwrap_err();
    assert!(err.is_session_expired(), "{err:?}");
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_waited_for_and_past_it_times_out() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("InvokeCodeInterpreter", FaultKind::Delay(Duration::from_millis(1500))));
    let out = with_session(&clients.agentcore, SessionConfig::named("slow"), async |session| {
        session.execute_python("print(6 * 7)").await
    })
    .await
    .unwrap();
    assert_eq!(out.text.trim(), "42");

    // A client whose read timeout is shorter than the answer: the call times out
    // once and is not sent again (the code may have run), then a clear error.
    let impatient = clients.agentcore_with_read_timeout(Duration::from_millis(500));
    let fired = emu.faults_fired();
    emu.inject(
        Fault::new("InvokeCodeInterpreter", FaultKind::Delay(Duration::from_secs(3))).times(3),
    );
    let err = with_session(&impatient, SessionConfig::named("slow"), async |session| {
        session.execute_python("print(1)").await
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Sdk { operation: "InvokeCodeInterpreter", .. }), "{err:?}");
    assert_eq!(emu.faults_fired() - fired, 1, "InvokeCodeInterpreter was retried");
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn a_model_reply_that_does_not_parse_is_a_clear_error() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("Converse", FaultKind::Malformed));
    let err = converse_run(&clients).await.0.unwrap_err();
    assert!(matches!(err, Error::Sdk { operation: "Converse", .. }), "{err:?}");
    assert_eq!(emu.live_sessions(), 0);
    emu.inject(Fault::new("InvokeModel", FaultKind::Malformed));
    let err = invoke_model_run(&clients).await.0.unwrap_err();
    assert!(err.to_string().contains("InvokeModel"), "{err}");
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn malformed_tool_input_goes_back_as_an_error_result_and_the_loop_goes_on() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("Converse", FaultKind::MissingCode));
    let (answer, errors) = converse_run(&clients).await;
    let answer = answer.unwrap();
    assert_eq!(errors, 1);
    assert!(answer.contains("missing field `code`"), "{answer}");
    emu.inject(Fault::new("InvokeModel", FaultKind::WrongType));
    let (answer, errors) = invoke_model_run(&clients).await;
    let answer = answer.unwrap();
    assert_eq!(errors, 1);
    assert!(answer.contains("invalid type"), "{answer}");
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn the_turn_limit_and_a_panicking_tool_leave_no_session() {
    let clients = local().await;
    let emu = emulator(&clients);
    let outcome =
        with_session(&clients.agentcore, SessionConfig::named("turns"), async |session| {
            ConverseLoop::new(common::DEFAULT_MODEL_ID)
                .tools(tools::converse_tool_config()?)
                .max_turns(1)
                .run(
                    &clients.bedrock,
                    vec![converse::user_text(common::STATS_PROMPT)?],
                    &ExecutePython::in_session(session),
                    |_| {},
                )
                .await
        })
        .await;
    assert!(matches!(outcome, Err(Error::TurnLimit { max_turns: 1 })), "{outcome:?}");
    assert_eq!(emu.live_sessions(), 0);

    // A tool whose code panics (the name is never empty).
    let panicking = |name: String, _input: serde_json::Value| async move {
        assert!(name.is_empty(), "tool {name} panicked");
        Ok(common::ToolOutput::ok("unreachable"))
    };
    let run = with_session(&clients.agentcore, SessionConfig::named("panic"), async |_session| {
        ConverseLoop::new(common::DEFAULT_MODEL_ID)
            .tools(tools::converse_tool_config()?)
            .run(
                &clients.bedrock,
                vec![converse::user_text(common::STATS_PROMPT)?],
                &panicking,
                |_| {},
            )
            .await
    });
    let caught = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run)).await;
    assert!(caught.is_err(), "the panic resumes after the stop");
    assert_eq!(emu.live_sessions(), 0);
}

#[tokio::test]
async fn invoke_code_interpreter_is_not_retried_after_a_server_error() {
    let clients = local().await;
    let emu = emulator(&clients);
    emu.inject(Fault::new("InvokeCodeInterpreter", FaultKind::Internal));
    let err = with_session(&clients.agentcore, SessionConfig::named("once"), async |session| {
        session.execute_python("print('ran')").await
    })
    .await
    .unwrap_err();
    // One attempt, reported as a plain failure of the call, not as exhausted retries.
    assert!(matches!(err, Error::Sdk { operation: "InvokeCodeInterpreter", .. }), "{err:?}");
    assert_eq!(emu.faults_fired(), 1);
    assert_eq!(emu.live_sessions(), 0);
}
