//! All nine Code Interpreter tools through the real SDK client: state kept between
//! calls, files byte for byte, paths confined to the session, background tasks,
//! expiry, and no process left behind.

use std::time::Duration;

use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::primitives::Blob;
use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterResult, CodeInterpreterStreamOutput, InputContentBlock, ProgrammingLanguage,
    ToolArguments, ToolName,
};

const SYSTEM: &str = "aws.codeinterpreter.v1";

async fn start(client: &Client, timeout: i32) -> String {
    client
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_timeout_seconds(timeout)
        .send()
        .await
        .expect("start")
        .session_id()
        .to_owned()
}

async fn stop(client: &Client, session: &str) {
    client
        .stop_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_id(session)
        .send()
        .await
        .expect("stop");
}

async fn call(
    client: &Client, session: &str, name: ToolName, args: ToolArguments,
) -> CodeInterpreterResult {
    let mut output = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(session)
        .name(name)
        .arguments(args)
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

async fn python(client: &Client, session: &str, code: &str) -> CodeInterpreterResult {
    let args = ToolArguments::builder().language(ProgrammingLanguage::Python).code(code).build();
    call(client, session, ToolName::ExecuteCode, args).await
}

fn stdout(result: &CodeInterpreterResult) -> String {
    result.structured_content().and_then(|s| s.stdout()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn python_state_persists_until_clear_context() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start(&client, 900).await;

    python(&client, &session, "def square(x):\n    return x * x\ncounter = 41").await;
    let result = python(&client, &session, "counter += 1\nprint(square(counter))").await;
    // Stripped, as AgentCore reports printed output.
    assert_eq!(stdout(&result), "1764");

    let args =
        ToolArguments::builder().code("print('counter' in globals())").clear_context(true).build();
    let result = call(&client, &session, ToolName::ExecuteCode, args).await;
    assert_eq!(stdout(&result), "False");

    let failed = python(&client, &session, "1 / 0").await;
    assert_eq!(failed.is_error(), Some(true));
    let structured = failed.structured_content().unwrap();
    assert_eq!(structured.exit_code(), Some(1));
    assert!(structured.stderr().unwrap().contains("ZeroDivisionError"));

    stop(&client, &session).await;
}

#[tokio::test]
async fn commands_files_and_binary_round_trip() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start(&client, 900).await;

    let payload: Vec<u8> = (0..=255u8).collect();
    let args = ToolArguments::builder()
        .content(
            InputContentBlock::builder()
                .path("data/bytes.bin")
                .blob(Blob::new(payload.clone()))
                .build()
                .unwrap(),
        )
        .content(InputContentBlock::builder().path("notes.txt").text("hello\n").build().unwrap())
        .build();
    let written = call(&client, &session, ToolName::WriteFiles, args).await;
    assert_eq!(written.is_error(), Some(false));
    // The captured wording (no structured content).
    assert_eq!(written.content()[0].text(), Some("Successfully wrote all 2 files"));
    assert!(written.structured_content().is_none());

    let read = call(
        &client,
        &session,
        ToolName::ReadFiles,
        ToolArguments::builder().paths("data/bytes.bin").paths("notes.txt").build(),
    )
    .await;
    let resources: Vec<_> = read.content().iter().filter_map(|c| c.resource()).collect();
    assert_eq!(resources.len(), 2);
    assert_eq!(resources[0].blob().unwrap().as_ref(), &payload[..]);
    assert_eq!(resources[1].text(), Some("hello\n"));
    // Absolute file URIs, as AgentCore writes them.
    assert_eq!(resources[0].uri(), Some("file:///data/bytes.bin"));
    assert_eq!(resources[1].uri(), Some("file:///notes.txt"));

    let command = call(
        &client,
        &session,
        ToolName::ExecuteCommand,
        ToolArguments::builder().command("wc -c < data/bytes.bin").build(),
    )
    .await;
    // Shell output comes as a terminal gives it, CR LF line ends included.
    assert_eq!(stdout(&command), "256\r\n");
    let failed = call(
        &client,
        &session,
        ToolName::ExecuteCommand,
        ToolArguments::builder().command("echo hello; echo oops >&2; exit 3").build(),
    )
    .await;
    // After a failing exit all of the output is in stderr, as AgentCore reports it.
    assert_eq!(failed.is_error(), Some(true));
    let structured = failed.structured_content().unwrap();
    assert_eq!((structured.stdout(), structured.stderr()), (Some(""), Some("hello\r\noops\r\n")));
    assert_eq!(structured.exit_code(), Some(3));

    let listed = call(
        &client,
        &session,
        ToolName::ListFiles,
        ToolArguments::builder().directory_path(".").build(),
    )
    .await;
    let names: Vec<_> = listed.content().iter().filter_map(|c| c.name()).collect();
    // A new session's working directory already holds `.ipython` and `log`.
    assert_eq!(names, [".ipython", "data", "log", "notes.txt"]);
    // As captured: "Directory" without a MIME type, "File" with one, no size.
    let data = &listed.content()[1];
    assert_eq!(data.uri(), Some("file:///data"));
    assert_eq!((data.description(), data.mime_type()), (Some("Directory"), None));
    let notes = &listed.content()[3];
    assert_eq!(notes.uri(), Some("file:///notes.txt"));
    assert_eq!(notes.description(), Some("File"));
    assert_eq!(notes.mime_type(), Some("text/plain"));
    assert_eq!(notes.size(), None);

    let removed = call(
        &client,
        &session,
        ToolName::RemoveFiles,
        ToolArguments::builder().paths("notes.txt").build(),
    )
    .await;
    assert_eq!(removed.is_error(), Some(false));
    assert_eq!(removed.content()[0].text(), Some("Successfully removed all 1 files"));
    let missing = call(
        &client,
        &session,
        ToolName::ReadFiles,
        ToolArguments::builder().paths("notes.txt").build(),
    )
    .await;
    assert_eq!(missing.is_error(), Some(true));
    assert_eq!(missing.content()[0].text(), Some("File notes.txt not found"));

    stop(&client, &session).await;
}

#[tokio::test]
async fn paths_outside_the_session_are_refused() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start(&client, 900).await;
    for path in ["../escape.txt", "/etc/passwd", "a/../../b"] {
        let result = call(
            &client,
            &session,
            ToolName::ReadFiles,
            ToolArguments::builder().paths(path).build(),
        )
        .await;
        assert_eq!(result.is_error(), Some(true), "{path}");
        // AgentCore takes relative paths only, and says why it refuses others.
        let text = result.content()[0].text().unwrap();
        assert_eq!(text, "Invalid file path: potential path traversal detected", "{path}");
    }
    stop(&client, &session).await;
}

#[tokio::test]
async fn background_tasks_run_and_stop() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start(&client, 900).await;

    let started = call(
        &client,
        &session,
        ToolName::StartCommandExecution,
        ToolArguments::builder().command("sleep 30; echo late").build(),
    )
    .await;
    let task = started.structured_content().unwrap();
    let task_id = task.task_id().unwrap().to_owned();
    // As captured: the id (a UUID) and "submitted" in the structured content only.
    assert_eq!(task.task_status().map(|s| s.as_str()), Some("submitted"));
    assert_eq!(started.content()[0].text(), Some("Successfully started a command execution task"));
    let get = |id: String| {
        let client = client.clone();
        let session = session.clone();
        async move {
            let args = ToolArguments::builder().task_id(id).build();
            call(&client, &session, ToolName::GetTask, args).await
        }
    };
    let running = get(task_id.clone()).await;
    assert_eq!(running.content()[0].text(), Some("Task is working"));

    let stop_task = |id: String| {
        let client = client.clone();
        let session = session.clone();
        async move {
            let args = ToolArguments::builder().task_id(id).build();
            call(&client, &session, ToolName::StopTask, args).await
        }
    };
    let stopped = stop_task(task_id.clone()).await;
    assert_eq!(stopped.is_error(), Some(false));
    assert_eq!(stopped.content()[0].text(), Some("Successfully canceled a command execution task"));
    let canceled = get(task_id).await;
    assert_eq!(
        canceled.structured_content().unwrap().task_status().map(|s| s.as_str()),
        Some("canceled")
    );

    let quick = call(
        &client,
        &session,
        ToolName::StartCommandExecution,
        ToolArguments::builder().command("echo done").build(),
    )
    .await;
    let quick_id = quick.structured_content().unwrap().task_id().unwrap().to_owned();
    let mut status = String::new();
    for _ in 0..50 {
        let got = call(
            &client,
            &session,
            ToolName::GetTask,
            ToolArguments::builder().task_id(&quick_id).build(),
        )
        .await;
        let structured = got.structured_content().unwrap();
        status = structured.task_status().unwrap().as_str().to_owned();
        if status == "completed" {
            assert_eq!(structured.stdout(), Some("done\r\n"));
            assert_eq!(structured.exit_code(), Some(0));
            assert!(structured.execution_time().is_some());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "completed");
    // A task that has ended cannot be stopped, in AgentCore's words.
    let late = stop_task(quick_id).await;
    assert_eq!(late.is_error(), Some(true));
    assert_eq!(
        late.content()[0].text(),
        Some("Task cannot be canceled (current status: TaskStatus.COMPLETED)")
    );
    stop(&client, &session).await;
}

#[tokio::test]
async fn malformed_calls_get_validation_errors() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start(&client, 900).await;
    let err = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(&session)
        .name(ToolName::ExecuteCode)
        .arguments(ToolArguments::builder().build())
        .send()
        .await
        .expect_err("missing code");
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(err.message().unwrap().contains("arguments.code"));
    // The session still works after a bad request.
    assert_eq!(stdout(&python(&client, &session, "print('ok')").await), "ok");
    stop(&client, &session).await;
}

#[tokio::test]
async fn an_expired_session_is_terminated_and_its_process_ends() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start(&client, 1).await;
    // Host pids (under bubblewrap the sandbox has its own PID namespace): the
    // processes working in the session directory.
    let dir = stdout(&python(&client, &session, "import os; print(os.getcwd())").await);
    let pids = pids_working_in(dir.trim());
    assert!(!pids.is_empty(), "the interpreter works in {dir}");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(emulator.live_sessions(), 0);
    let got = client
        .get_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_id(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().map(|s| s.as_str()), Some("TERMINATED"));
    let err = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(&session)
        .name(ToolName::ExecuteCode)
        .arguments(ToolArguments::builder().code("print(1)").build())
        .send()
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    for pid in pids {
        assert!(!process_alive(pid), "the interpreter process {pid} is gone");
    }
}

#[tokio::test]
async fn stop_leaves_no_process_behind() {
    let emulator = crate::support::emulator().await;
    let client = crate::support::agentcore(&emulator).await;
    let session = start(&client, 900).await;
    let pids = stdout(
        &python(
            &client,
            &session,
            "import os, subprocess\nchild = subprocess.Popen(['sleep', '60'])\nprint(os.getcwd())",
        )
        .await,
    );
    // The interpreter and its child, as host pids.
    let pids = pids_working_in(pids.trim());
    assert!(pids.len() >= 2, "{pids:?}");
    stop(&client, &session).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for pid in pids {
        assert!(!process_alive(pid), "process {pid} survived the stop");
    }
}

/// Host pids of the processes whose working directory is `dir`.
fn pids_working_in(dir: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_link(entry.path().join("cwd"))
            .is_ok_and(|cwd| cwd == std::path::Path::new(dir))
        {
            pids.push(pid);
        }
    }
    pids
}

/// True while `pid` names a process that is not a zombie.
fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
