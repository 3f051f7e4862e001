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
    client: &Client, interpreter: &str, session: &str, code: &str,
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
    assert_eq!(result.structured_content().and_then(|s| s.stdout()), Some("42"));
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
    let stdout = result.structured_content().and_then(|s| s.stdout()).unwrap_or_default();
    assert!(
        stdout.contains("[output truncated: 314572800 bytes total, showing first 1048576]"),
        "stdout ends {:?}; stderr {:?}",
        &stdout[stdout.len().saturating_sub(200)..],
        result.structured_content().and_then(|s| s.stderr())
    );
    assert!(stdout.len() < 2 << 20);
    eprintln!(
        "peak RSS of the test process: {} MiB before, {} MiB after 300 MiB of output",
        before / 1024,
        peak_rss_kib() / 1024
    );
    still_serving(&client, &session).await;
}

/// Python that tries what confined code must not do, one line per attempt:
/// `<what> ALLOWED` or `<what> denied <error>`.
fn confinement_probe(secret: &std::path::Path, emulator_pid: u32, port: u16) -> String {
    let home = secret.parent().unwrap();
    format!(
        "import os, socket\n\
         def attempt(what, action):\n    \
             try:\n        \
                 action()\n        \
                 print(what, 'ALLOWED')\n    \
             except OSError as e:\n        \
                 print(what, 'denied', type(e).__name__)\n\
         attempt('secret', lambda: open({secret:?}).read())\n\
         attempt('aws-credentials', lambda: open({credentials:?}).read())\n\
         attempt('emulator-environ', lambda: open('/proc/{emulator_pid}/environ').read())\n\
         attempt('system-write', lambda: open('/etc/emulator-isolation-test', 'w'))\n\
         attempt('host-tmp-write', lambda: open({host_tmp:?}, 'w').write('x'))\n\
         attempt('network', lambda: socket.create_connection(('127.0.0.1', {port}), timeout=3).close())\n\
         attempt('session-write', lambda: open('written-in-session.txt', 'w').write('ok'))\n",
        secret = secret.display().to_string(),
        credentials = home.join(".aws/credentials").display().to_string(),
        host_tmp = host_tmp_file(emulator_pid).display().to_string(),
    )
}

fn host_tmp_file(emulator_pid: u32) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/tmp/emulator-isolation-test-{emulator_pid}.txt"))
}

/// What [`confinement_probe`] must print under any isolation: nothing of the host
/// readable or writable, no network, the session's own directory writable.
fn assert_confined(text: &str, emulator_pid: u32) {
    assert!(!text.contains("do-not-leak"), "{text}");
    for what in ["secret", "aws-credentials", "emulator-environ", "system-write", "network"] {
        assert!(text.contains(&format!("{what} denied")), "{what}: {text}");
    }
    assert!(text.contains("session-write ALLOWED"), "{text}");
    // /tmp is the session's own (the write succeeds, elsewhere), or out of reach
    // where Landlock has no mount namespace: nothing lands in the host's /tmp.
    let host_tmp = host_tmp_file(emulator_pid);
    let leaked = host_tmp.exists();
    let _ = std::fs::remove_file(&host_tmp);
    assert!(!leaked, "{} was written on the host", host_tmp.display());
}

/// A stand-in for `~/.aws/credentials` that surely exists for one test.
struct Secret(std::path::PathBuf);

impl Secret {
    fn plant(name: &str) -> Option<Secret> {
        let home = std::path::PathBuf::from(std::env::var_os("HOME")?);
        let path = home.join(format!(".emulator-{name}-{}", std::process::id()));
        std::fs::write(&path, "aws_secret_access_key = do-not-leak\n").unwrap();
        Some(Secret(path))
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A `PUBLIC` code interpreter, once it is READY (AgentCore creates it first).
async fn public_interpreter(config: &aws_config::SdkConfig) -> String {
    use aws_sdk_bedrockagentcorecontrol::types::{
        CodeInterpreterNetworkConfiguration, CodeInterpreterNetworkMode,
    };
    let control = aws_sdk_bedrockagentcorecontrol::Client::new(config);
    let id = control
        .create_code_interpreter()
        .name("public_net")
        .network_configuration(
            CodeInterpreterNetworkConfiguration::builder()
                .network_mode(CodeInterpreterNetworkMode::Public)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .code_interpreter_id()
        .to_owned();
    for _ in 0..100 {
        let got = control.get_code_interpreter().code_interpreter_id(&id).send();
        if got.await.unwrap().status().as_str() == "READY" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    id
}

/// Python that reaches the emulator's port on the host's loopback.
fn network_probe(port: u16) -> String {
    format!(
        "import socket\n\
         try:\n    \
             socket.create_connection(('127.0.0.1', {port}), timeout=3).close()\n    \
             print('network: on')\n\
         except OSError as e:\n    \
             print('network: off', type(e).__name__)\n"
    )
}

#[tokio::test]
async fn confined_code_reaches_nothing_of_the_host() {
    if crate::support::skip_without(
        "bubblewrap (apt-get install bubblewrap) or Landlock",
        emulator::isolated(),
    ) {
        return;
    }
    let Some(secret) = Secret::plant("isolation-test") else {
        return;
    };
    let emulator = emulator_with(|_| {}).await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start_on(&client, SYSTEM).await;
    let pid = std::process::id();
    let code = confinement_probe(&secret.0, pid, emulator.addr().port());
    let text = all_text(&python(&client, &session, &code).await);
    assert_confined(&text, pid);
    still_serving(&client, &session).await;
}

#[tokio::test]
async fn network_follows_the_interpreters_network_mode() {
    if crate::support::skip_without(
        "bubblewrap (apt-get install bubblewrap) or Landlock",
        emulator::isolated(),
    ) {
        return;
    }
    let emulator = emulator_with(|_| {}).await;
    let config = crate::support::sdk_config(&emulator).await;
    let client = Client::new(&config);
    let public = public_interpreter(&config).await;
    let code = network_probe(emulator.addr().port());
    let system = start_on(&client, SYSTEM).await;
    let off = all_text(&python_on(&client, SYSTEM, &system, &code).await);
    assert!(off.contains("network: off"), "{off}");
    let session = start_on(&client, &public).await;
    let on = all_text(&python_on(&client, &public, &session, &code).await);
    assert!(on.contains("network: on"), "{on}");
    still_serving(&client, &system).await;
}

/// The emulator binary on a machine without bubblewrap (a PATH without `bwrap`):
/// `--isolation required` falls back to Landlock, says so, and sessions are
/// confined as under bubblewrap, with the network only for `PUBLIC` interpreters.
#[tokio::test]
async fn without_bubblewrap_landlock_confines_sessions() {
    let interpreter = host_python();
    let args = ["--python", &interpreter, "--isolation", "required", "--port", "0"];
    let binary = crate::support::Binary::start(&args, &[("PATH", "/nonexistent")]);
    let pid = binary.pid();
    if !binary.isolation().contains("landlock") {
        let ready = binary.ready();
        let (lines, (_, stderr)) = (binary.lines.clone(), binary.stop());
        if crate::support::skip_without("Landlock (Linux 5.13 or later)", ready) {
            return;
        }
        panic!("{lines:?}\n{stderr}");
    }
    assert!(binary.isolation().contains("bubblewrap not found"), "{}", binary.isolation());
    let config = binary.sdk_config().await;
    let port: u16 =
        binary.exports["AWS_ENDPOINT_URL"].rsplit(':').next().and_then(|p| p.parse().ok()).unwrap();
    let client = Client::new(&config);
    let secret = Secret::plant("landlock-test").unwrap();
    let session = start_on(&client, SYSTEM).await;
    let text = all_text(&python(&client, &session, &confinement_probe(&secret.0, pid, port)).await);
    let public = public_interpreter(&config).await;
    let public_session = start_on(&client, &public).await;
    let on = all_text(&python_on(&client, &public, &public_session, &network_probe(port)).await);
    still_serving(&client, &session).await;
    assert!(binary.stop().0.success());
    assert_confined(&text, pid);
    assert!(on.contains("network: on"), "{on}");
}

/// The real path of `python3` (a pyenv shim would need the host's environment).
fn host_python() -> String {
    let found = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    String::from_utf8(found.stdout).unwrap().trim().to_owned()
}

/// In every isolation mode a session is one machine, as on AgentCore: one writable
/// `/tmp` for its Python, its shell commands and its background tasks, which no
/// other session and not the host sees. Each mode in an emulator process of its own,
/// as the binary chooses its isolation once.
#[tokio::test]
async fn every_isolation_mode_gives_each_session_its_own_tmp() {
    let interpreter = host_python();
    for mode in ["bubblewrap", "landlock", "off"] {
        let args = ["--python", &interpreter, "--isolation", mode, "--port", "0"];
        let binary = crate::support::Binary::start(&args, &[]);
        if !binary.ready() {
            let (_, stderr) = binary.stop();
            crate::support::skip_without(&format!("{mode} isolation ({stderr})"), false);
            continue;
        }
        let client = Client::new(&binary.sdk_config().await);
        let (a, b) = (start_on(&client, SYSTEM).await, start_on(&client, SYSTEM).await);
        let file = format!("/tmp/emulator-tmp-{mode}-{}.txt", std::process::id());
        let wrote = python(&client, &a, &format!("open({file:?}, 'w').write('{mode}')")).await;
        assert_eq!(wrote.is_error(), Some(false), "{mode}: {}", all_text(&wrote));
        let command = ToolArguments::builder().command(format!("cat {file}")).build();
        let read = call_on(&client, &a, ToolName::ExecuteCommand, command).await;
        assert_eq!(read.content()[0].text(), Some(mode), "{mode}: {}", binary.isolation());
        let other =
            python(&client, &b, &format!("import os\nprint(os.path.exists({file:?}))")).await;
        assert_eq!(other.structured_content().and_then(|s| s.stdout()), Some("False"), "{mode}");
        assert!(!std::path::Path::new(&file).exists(), "{mode}: {file} is on the host");
        assert!(binary.stop().0.success(), "{mode}");
    }
}

async fn call_on(
    client: &Client, session: &str, name: ToolName, arguments: ToolArguments,
) -> CodeInterpreterResult {
    let mut output = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(session)
        .name(name)
        .arguments(arguments)
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
