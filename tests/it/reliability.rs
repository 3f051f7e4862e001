//! The examples as child processes, pointed at an emulator in this process through
//! its environment variables (not `--local`), so the test can inject faults and
//! count the sessions left: after every fault and after Ctrl-C at several points,
//! no session may be live.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use emulator::{Emulator, Fault};

async fn emulator_with(faults: &[&str]) -> Emulator {
    let mut builder = Emulator::builder().progress(false);
    for fault in faults {
        builder = builder.fault(Fault::parse(fault).unwrap());
    }
    builder.start().await.unwrap()
}

fn spawn(example: &str, args: &[&str], emulator: &Emulator) -> Child {
    let mut command = Command::new(crate::support::example_binary(example));
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for var in [
        "AWS_PROFILE",
        "BEDROCK_MODEL_ID",
        "MIGRATION_LOCAL",
        "MIGRATION_JSON",
        "MIGRATION_VERBOSE",
        "RUST_LOG",
        "AWS_SESSION_TOKEN",
    ] {
        command.env_remove(var);
    }
    command.envs(emulator.env_vars());
    command.spawn().unwrap()
}

/// Waits (polling, without blocking the runtime) for the child to exit.
async fn wait(child: &mut Child, within: Duration) -> (bool, String, String) {
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the example did not exit within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.success(), stdout, stderr)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `example` with one fault set; checks the outcome and that no session is left.
async fn with_fault(example: &str, fault: &str, succeeds: bool, stderr_has: &str) {
    let emulator = emulator_with(&[fault]).await;
    let mut child = spawn(example, &[], &emulator);
    let (ok, stdout, stderr) = wait(&mut child, Duration::from_secs(120)).await;
    let context = format!("{example} with {fault}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(ok, succeeds, "{context}");
    assert!(stderr.contains(stderr_has), "{context}");
    assert!(emulator.faults_fired() >= 1, "the fault never fired: {context}");
    assert_eq!(emulator.live_sessions(), 0, "{context}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_01_survives_two_throttles_and_reports_an_expired_session() {
    with_fault("01_converse_api_with_code_interpreter", "Converse:throttle:2", true, "").await;
    with_fault(
        "01_converse_api_with_code_interpreter",
        "InvokeCodeInterpreter:expire",
        false,
        "has ended (expired or stopped elsewhere)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_02_survives_5xx_and_names_exhausted_retries() {
    with_fault("02_invoke_model_with_code_interpreter", "InvokeModel:503:2", true, "").await;
    with_fault(
        "02_invoke_model_with_code_interpreter",
        "InvokeModel:throttle:3",
        false,
        "InvokeModel failed after 3 attempts (throttled each time; retries exhausted)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_03_reports_a_broken_model_stream() {
    with_fault(
        "03_strands_agent_with_code_interpreter",
        "ConverseStream:midstream",
        false,
        "ConverseStream (event stream) failed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_04_reports_a_broken_tool_stream_and_waits_out_a_slow_one() {
    with_fault(
        "04_code_interpreter_highlevel_api",
        "InvokeCodeInterpreter:midstream",
        false,
        "InvokeCodeInterpreter (event stream) failed",
    )
    .await;
    with_fault("04_code_interpreter_highlevel_api", "InvokeCodeInterpreter:delay=1s", true, "")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_06_and_07_survive_transient_faults_and_name_exhausted_retries() {
    with_fault("06_invoke_model_with_caching", "InvokeModel:throttle:2", true, "").await;
    with_fault("07_programmatic_tool_calling", "InvokeCodeInterpreter:throttle:2", true, "").await;
    with_fault(
        "07_programmatic_tool_calling",
        "StartCodeInterpreterSession:throttle:3",
        false,
        "retries exhausted",
    )
    .await;
}

/// Sends SIGINT once `ready` says the child is where the test wants it.
async fn ctrl_c_at(example: &str, fault: &str, operation: &str, expect_interrupted: bool) {
    let emulator = emulator_with(&[fault]).await;
    let mut child = spawn(example, &[], &emulator);
    wait_until(&format!("{operation} to be delayed"), || emulator.faults_fired_on(operation) > 0)
        .await;
    // The request is now waiting in the emulator; press Ctrl-C.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let (ok, stdout, stderr) = wait(&mut child, Duration::from_secs(30)).await;
    let context =
        format!("{example}, Ctrl-C during {operation}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(!ok, "{context}");
    if expect_interrupted {
        assert!(stderr.contains("interrupted by Ctrl-C"), "{context}");
    }
    // The stop happened before the example exited; allow the handler to finish.
    wait_until("no live session", || emulator.live_sessions() == 0).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_before_the_session_starts_leaves_none() {
    ctrl_c_at(
        "01_converse_api_with_code_interpreter",
        "StartCodeInterpreterSession:delay=20s",
        "StartCodeInterpreterSession",
        false,
    )
    .await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_tool_call_stops_the_session() {
    ctrl_c_at(
        "01_converse_api_with_code_interpreter",
        "InvokeCodeInterpreter:delay=20s",
        "InvokeCodeInterpreter",
        true,
    )
    .await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_the_model_call_stops_the_session() {
    ctrl_c_at(
        "02_invoke_model_with_code_interpreter",
        "InvokeModel:delay=20s",
        "InvokeModel",
        true,
    )
    .await;
    ctrl_c_at(
        "03_strands_agent_with_code_interpreter",
        "ConverseStream:delay=20s",
        "ConverseStream",
        true,
    )
    .await;
}
