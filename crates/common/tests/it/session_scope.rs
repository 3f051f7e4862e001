//! `CodeInterpreterSession` and `with_session` against an in-process emulator:
//! the session is stopped on Ok, on Err and on panic.

use std::panic::AssertUnwindSafe;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use common::{CodeInterpreterSession, Error, FileContent, SessionConfig, with_session};
use emulator::Emulator;
use futures::FutureExt;

async fn setup() -> (Emulator, aws_sdk_bedrockagentcore::Client) {
    let emulator = Emulator::builder()
        .python("python3")
        .progress(false)
        .start()
        .await
        .expect("emulator starts");
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(Region::new(emulator.region().to_owned()))
        .credentials_provider(Credentials::new(
            emulator.access_key_id(),
            emulator.secret_access_key(),
            None,
            None,
            "test",
        ))
        .load()
        .await;
    (emulator, aws_sdk_bedrockagentcore::Client::new(&config))
}

#[tokio::test]
async fn stops_on_ok() {
    let (emulator, client) = setup().await;
    let result = with_session(&client, SessionConfig::named("ok"), async |session| {
        assert_eq!(emulator.live_sessions(), 1);
        session.execute_python("import time\ntime.sleep(0.2)\nprint(6 * 7)").await
    })
    .await
    .unwrap();
    assert_eq!(result.text.trim(), "42");
    assert_eq!(result.stdout.trim(), "42");
    assert_eq!(result.exit_code, Some(0));
    assert!(!result.is_error);
    // executionTime is seconds on the wire; the run took at least 0.2 s.
    let took = result.execution_time.unwrap();
    assert!((0.15..10.0).contains(&took.as_secs_f64()), "execution_time {took:?}");
    assert_eq!(emulator.live_sessions(), 0);
}

#[tokio::test]
async fn stops_on_err_and_returns_the_body_error() {
    let (emulator, client) = setup().await;
    let outcome: Result<(), Error> =
        with_session(&client, SessionConfig::named("err"), async |_session| {
            assert_eq!(emulator.live_sessions(), 1);
            Err(Error::TurnLimit { max_turns: 3 })
        })
        .await;
    assert!(matches!(outcome, Err(Error::TurnLimit { max_turns: 3 })));
    assert_eq!(emulator.live_sessions(), 0);
}

#[tokio::test]
async fn stops_on_panic_and_resumes_it() {
    let (emulator, client) = setup().await;
    let outcome = AssertUnwindSafe(with_session(
        &client,
        SessionConfig::named("panic"),
        async |_session| -> Result<(), Error> {
            assert_eq!(emulator.live_sessions(), 1);
            panic!("body panicked");
        },
    ))
    .catch_unwind()
    .await;
    let panic = outcome.expect_err("the panic resumes");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"body panicked"));
    assert_eq!(emulator.live_sessions(), 0);
}

#[tokio::test]
async fn failing_code_is_an_ok_result_with_is_error() {
    let (emulator, client) = setup().await;
    let session = CodeInterpreterSession::start(&client, SessionConfig::default()).await.unwrap();
    let result =
        session.execute_python("import sys\nprint('partial')\nsys.exit('boom')").await.unwrap();
    assert!(result.is_error);
    assert_ne!(result.exit_code, Some(0));
    assert!(result.stderr.contains("boom"), "{result:?}");
    assert!(result.text.contains("partial"), "{result:?}");
    session.stop().await.unwrap();
    assert_eq!(emulator.live_sessions(), 0);
}

#[tokio::test]
async fn a_bad_interpreter_id_is_an_sdk_error_with_its_source() {
    let (_emulator, client) = setup().await;
    let config =
        SessionConfig { interpreter_id: "nope-0123456789".into(), ..SessionConfig::default() };
    let err = CodeInterpreterSession::start(&client, config).await.unwrap_err();
    assert_eq!(err.to_string(), "StartCodeInterpreterSession failed");
    let chain = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&err));
    assert!(chain.contains("ResourceNotFound"), "{chain}");
}

#[tokio::test]
async fn dropping_an_unstopped_session_stops_it_in_the_background() {
    let (emulator, client) = setup().await;
    let session =
        CodeInterpreterSession::start(&client, SessionConfig::named("dropped")).await.unwrap();
    assert_eq!(emulator.live_sessions(), 1);
    drop(session);
    for _ in 0..50 {
        if emulator.live_sessions() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the best-effort stop did not happen");
}

#[tokio::test]
async fn files_round_trip() {
    let (_emulator, client) = setup().await;
    with_session(&client, SessionConfig::named("files"), async |session| {
        session
            .write_files([
                FileContent::Text { path: "data.txt".into(), text: "hello".into() },
                FileContent::Bytes { path: "raw.bin".into(), bytes: vec![0, 1, 254, 255] },
            ])
            .await?;
        let read = session.read_files(&["data.txt"]).await?;
        assert_eq!(read.files[0].text.as_deref(), Some("hello"));
        assert!(read.files[0].uri.ends_with("data.txt"));
        let bytes = session.execute_python("print(list(open('raw.bin', 'rb').read()))").await?;
        assert_eq!(bytes.text.trim(), "[0, 1, 254, 255]");
        session.execute_python("kept = 41").await?;
        let kept = session.execute_python("print(kept + 1)").await?;
        assert_eq!(kept.text.trim(), "42", "state persists between calls");
        let listed = session.list_files(".").await?;
        assert!(listed.links.iter().any(|link| link.name == "data.txt"));
        let ls = session.execute_command("ls").await?;
        assert!(ls.stdout.contains("data.txt"));
        session.remove_files(&["data.txt"]).await?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
}
