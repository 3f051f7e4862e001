//! Example 04 (Code Interpreter without a model), run offline as a reader would.

use crate::support::{assert_transcript, run_example, run_example_env, session_id};

const EXAMPLE: &str = "04_code_interpreter_highlevel_api";

#[test]
fn default_code_prints_the_statistics() {
    let run = run_example(EXAMPLE, &["--local"], None);
    run.assert_success();
    let out = &run.stdout;
    assert!(out.contains("--- Executing code via AgentCore Code Interpreter ---"));
    assert!(out.contains("Data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"));
    assert!(out.contains("Mean: 5.5\n"));
    assert!(out.contains("Standard Deviation: 2.8723\n"));
    assert!(out.contains("Population Std Dev: 2.8723\n"));
    assert!(out.contains("Sample Std Dev:     3.0277\n"));
    session_id(out);
    assert_transcript("04.txt", out);
}

#[test]
fn json_output_is_one_object() {
    let run = run_example(EXAMPLE, &["--local", "--json"], None);
    run.assert_success();
    let report = run.json();
    assert_eq!(report["example"], "04");
    assert_eq!(report["sessions_started"], 1);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["is_error"], false);
    assert_eq!(report["language"], "python");
    assert!(!report["session_id"].as_str().unwrap().is_empty());
    assert!(report["wall_ms"].as_u64().is_some());
    let output = report["output"].as_str().unwrap();
    assert!(output.contains("Mean: 5.5"), "{output}");
    assert!(output.contains("Sample Std Dev:     3.0277"), "{output}");
}

#[test]
fn code_from_stdin() {
    let code = "total = sum(range(1, 11))\nprint(f'total={total}')\n";
    let run = run_example(EXAMPLE, &["--local", "--code-file", "-"], Some(code));
    run.assert_success();
    assert!(run.stdout.contains("total=55\n"), "{}", run.stdout);
    session_id(&run.stdout);
}

#[test]
fn code_from_a_file_and_another_language() {
    let has_node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if crate::support::skip_without("node on PATH (the emulator runs JavaScript with it)", has_node)
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("example-04-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hello.js");
    std::fs::write(&file, "console.log(['a', 'b'].join('+'));\n").unwrap();
    let run = run_example(
        EXAMPLE,
        &["--local", "--language", "javascript", "--code-file", file.to_str().unwrap()],
        None,
    );
    std::fs::remove_dir_all(&dir).ok();
    run.assert_success();
    assert!(run.stdout.contains("a+b\n"), "{}", run.stdout);
}

#[test]
fn a_missing_code_file_is_a_clear_error() {
    let run = run_example(EXAMPLE, &["--local", "--code-file", "/no/such/dir/code.py"], None);
    assert!(!run.success());
    assert!(
        run.stderr.contains("could not read --code-file /no/such/dir/code.py"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("No such file"), "{}", run.stderr);
    // It fails before a session starts.
    assert!(!run.stdout.contains("[Session started"), "{}", run.stdout);
}

#[test]
fn failing_code_exits_non_zero_after_stopping_the_session() {
    let run = run_example(EXAMPLE, &["--local", "--code-file", "-"], Some("1 / 0\n"));
    assert!(!run.success());
    assert!(run.stdout.contains("ZeroDivisionError"), "{}", run.stdout);
    session_id(&run.stdout);
    assert!(run.stderr.contains("the code failed (exit code"), "{}", run.stderr);
}

#[test]
fn without_credentials_the_error_names_both_ways_out() {
    let nowhere = "/nonexistent/aws-config";
    let run = run_example_env(
        EXAMPLE,
        &[],
        None,
        &[
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_SESSION_TOKEN", ""),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", ""),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", ""),
            ("AWS_CONFIG_FILE", nowhere),
            ("AWS_SHARED_CREDENTIALS_FILE", nowhere),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    assert!(!run.success());
    assert!(run.stderr.contains("no AWS credentials found"), "{}", run.stderr);
    assert!(run.stderr.contains("aws configure, AWS_PROFILE or SSO"), "{}", run.stderr);
    assert!(run.stderr.contains("add --local"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
#[cfg(unix)]
fn ctrl_c_stops_the_session_and_exits_non_zero() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let mut child = Command::new(crate::support::example_binary(EXAMPLE))
        .args(["--local", "--code-file", "-"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = "import time\ntime.sleep(60)\n";
    child.stdin.take().unwrap().write_all(code.as_bytes()).unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("--- Executing") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no output");
    }
    // Let the executeCode call reach the sandbox, then press Ctrl-C.
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the example ignored Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("interrupted by Ctrl-C (the session was stopped)"), "{stderr}");
}
