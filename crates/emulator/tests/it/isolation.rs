//! Hostile or careless code and bad input through the real SDK client: a fork
//! bomb, an endless loop, hundreds of MB of output, the host's credentials, the
//! network; after each the emulator still serves a good request.

use std::time::Duration;

use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterResult, CodeInterpreterStreamOutput, ToolArguments, ToolName,
};
use emulator::Emulator;

async fn start_on(client: &Client, interpreter: &str) -> String {
    client
        .start_code_interpreter_session()
        .code_interpreter_identifier(interpreter)
        .send()
        .await
        .expect("start")
        .session_id()
        .to_owned()
}

async fn python_on(
    client: &Client,
    interpreter: &str,
    session: &str,
    code: &str,
) -> CodeInterpreterResult {
    let mut output = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(interpreter)
        .session_id(session)
        .name(ToolName::ExecuteCode)
        .arguments(ToolArguments::builder().code(code).build())
        .send()
        .await
        .expect("invoke");
    let mut result = None;
    while let Some(event) = output.stream.recv().await.expect("stream") {
        if let CodeInterpreterStreamOutput::Result(r) = event {
            result = Some(r);
        }
    }
    result.expect("a result event")
}

const SYSTEM: &str = "aws.codeinterpreter.v1";

async fn python(client: &Client, session: &str, code: &str) -> CodeInterpreterResult {
    python_on(client, SYSTEM, session, code).await
}

fn all_text(result: &CodeInterpreterResult) -> String {
    let structured = result.structured_content();
    format!(
        "{}\n{}",
        structured.and_then(|s| s.stdout()).unwrap_or_default(),
        structured.and_then(|s| s.stderr()).unwrap_or_default()
    )
}

/// A good request after a bad one: the session (and the emulator) still work.
async fn still_serving(client: &Client, session: &str) {
    let result = python(client, session, "print(6 * 7)").await;
    assert_eq!(
        result.structured_content().and_then(|s| s.stdout()),
        Some("42\n")
    );
}

async fn emulator_with(configure: impl FnOnce(&mut emulator::EmulatorConfig)) -> Emulator {
    let mut builder = Emulator::builder().python("python3").progress(false);
    configure(builder.config_mut());
    builder.start().await.unwrap()
}

#[tokio::test]
async fn a_fork_bomb_is_stopped_at_the_process_limit() {
    let emulator = emulator_with(|c| c.max_processes = Some(64)).await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start_on(&client, SYSTEM).await;
    // Bounded on purpose: at most 300 children, each gone after 20 s anyway.
    let code = "import os, time\n\
        for i in range(300):\n    \
            if os.fork() == 0:\n        \
                time.sleep(20)\n        \
                os._exit(0)\n\
        time.sleep(5)\n\
        print('all forked')\n";
    let result = python(&client, &session, code).await;
    let text = all_text(&result);
    assert!(result.is_error() == Some(true), "{text}");
    assert!(text.contains("Process limit exceeded"), "{text}");
    assert!(!text.contains("all forked"), "{text}");
    still_serving(&client, &session).await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_endless_loop_times_out_and_the_session_stays_usable() {
    let emulator = emulator_with(|c| c.call_timeout = Duration::from_secs(2)).await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start_on(&client, SYSTEM).await;
    let result = python(&client, &session, "while True:\n    pass\n").await;
    let text = all_text(&result);
    assert_eq!(result.is_error(), Some(true));
    assert!(text.contains("timed out after 2s"), "{text}");
    still_serving(&client, &session).await;
}

/// Peak resident memory of this process (the emulator runs in it), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn three_hundred_mb_of_output_are_capped_with_a_marker() {
    let emulator = emulator_with(|_| {}).await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start_on(&client, SYSTEM).await;
    let before = peak_rss_kib();
    let code =
        "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(300):\n    sys.stdout.write(chunk)\n";
    let result = python(&client, &session, code).await;
    let stdout = result
        .structured_content()
        .and_then(|s| s.stdout())
        .unwrap_or_default();
    assert!(
        stdout.contains("[output truncated: 314572800 bytes total, showing first 1048576]"),
        "{}",
        &stdout[stdout.len().saturating_sub(200)..]
    );
    assert!(stdout.len() < 2 << 20);
    eprintln!(
        "peak RSS of the test process: {} MiB before, {} MiB after 300 MiB of output",
        before / 1024,
        peak_rss_kib() / 1024
    );
    still_serving(&client, &session).await;
}

#[tokio::test]
async fn under_bubblewrap_the_hosts_home_is_hidden() {
    if crate::support::skip_without(
        "bubblewrap (apt-get install bubblewrap)",
        emulator::sandbox::isolated(),
    ) {
        return;
    }
    let Some(home) = std::env::var_os("HOME").map(std::path::PathBuf::from) else {
        return;
    };
    // A stand-in for ~/.aws/credentials that surely exists for this test.
    let secret = home.join(format!(".emulator-isolation-test-{}", std::process::id()));
    std::fs::write(&secret, "aws_secret_access_key = do-not-leak\n").unwrap();
    let emulator = emulator_with(|_| {}).await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start_on(&client, SYSTEM).await;
    let code = format!(
        "import os\n\
         for path in [{:?}, {:?}]:\n    \
             try:\n        \
                 print(path, 'READABLE', open(path).read())\n    \
             except OSError as e:\n        \
                 print(path, 'hidden', type(e).__name__)\n\
         open('written-in-session.txt', 'w').write('ok')\n\
         open('/tmp/private.txt', 'w').write('ok')\n\
         try:\n    \
             open('/etc/emulator-test', 'w')\n\
         except OSError as e:\n    \
             print('system', 'read-only', type(e).__name__)\n",
        secret.display().to_string(),
        home.join(".aws/credentials").display().to_string(),
    );
    let result = python(&client, &session, &code).await;
    let _ = std::fs::remove_file(&secret);
    let text = all_text(&result);
    assert!(!text.contains("READABLE"), "{text}");
    assert!(!text.contains("do-not-leak"), "{text}");
    assert_eq!(text.matches(" hidden ").count(), 2, "{text}");
    assert!(text.contains("system read-only"), "{text}");
    assert!(!std::path::Path::new("/tmp/private.txt").exists());
    still_serving(&client, &session).await;
}

#[tokio::test]
async fn network_follows_the_interpreters_network_mode_under_bubblewrap() {
    if crate::support::skip_without(
        "bubblewrap (apt-get install bubblewrap)",
        emulator::sandbox::isolated(),
    ) {
        return;
    }
    let emulator = emulator_with(|_| {}).await;
    let config = crate::support::sdk_config(&emulator).await;
    let client = Client::new(&config);
    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let public = control
        .create_code_interpreter()
        .name("public_net")
        .network_configuration(
            aws_sdk_bedrockagentcorecontrol::types::CodeInterpreterNetworkConfiguration::builder()
                .network_mode(
                    aws_sdk_bedrockagentcorecontrol::types::CodeInterpreterNetworkMode::Public,
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .code_interpreter_id()
        .to_owned();
    // CREATING first, as AgentCore answers: wait for READY as a client must.
    for _ in 0..100 {
        let got = control
            .get_code_interpreter()
            .code_interpreter_id(&public)
            .send()
            .await;
        if got.unwrap().status().as_str() == "READY" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Reaching the emulator's own port on the host's loopback needs the host network.
    let code = format!(
        "import socket\n\
         try:\n    \
             socket.create_connection(('127.0.0.1', {}), timeout=3).close()\n    \
             print('network: on')\n\
         except OSError as e:\n    \
             print('network: off', type(e).__name__)\n",
        emulator.addr().port()
    );
    let system = start_on(&client, SYSTEM).await;
    let off = all_text(&python_on(&client, SYSTEM, &system, &code).await);
    assert!(off.contains("network: off"), "{off}");
    let session = start_on(&client, &public).await;
    let on = all_text(&python_on(&client, &public, &session, &code).await);
    assert!(on.contains("network: on"), "{on}");
    still_serving(&client, &system).await;
}
