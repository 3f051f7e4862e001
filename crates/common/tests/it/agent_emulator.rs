//! `Agent` against an in-process emulator: streamed text, one session for the
//! agent's life, and no session left behind, whether it ends well or not.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use common::agent::{Agent, AgentEvent, ExecutePython};
use common::{Clients, CommonArgs, Error};
use futures::FutureExt;

const SYSTEM: &str = "You are a careful assistant. Check every answer by running code.";

async fn local_clients() -> Clients {
    CommonArgs::offline().connect().await.unwrap()
}

fn live_sessions(clients: &Clients) -> usize {
    clients.emulator().unwrap().live_sessions()
}

#[tokio::test]
async fn streams_the_answer_and_keeps_one_session() {
    let clients = local_clients().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let mut agent = Agent::builder(&clients, common::DEFAULT_MODEL_ID)
        .system_prompt(SYSTEM)
        .tool(ExecutePython)
        .on_event(move |event| {
            let entry = match event {
                AgentEvent::Text(piece) => format!("text:{piece}"),
                AgentEvent::SessionStarted { .. } => "session".to_owned(),
                AgentEvent::ToolCall { number, name, .. } => format!("call:{number}:{name}"),
                AgentEvent::ToolResult { output, .. } => format!("result:{}", output.is_error),
                _ => "other".to_owned(),
            };
            sink.lock().unwrap().push(entry);
        })
        .build()
        .unwrap();
    assert_eq!(agent.session_id(), None, "no session before a tool call");
    assert_eq!(live_sessions(&clients), 0);

    let answer = agent.ask(common::STATS_PROMPT).await.unwrap();
    for number in ["5.5", "2.8723", "3.0277"] {
        assert!(answer.contains(number), "{answer}");
    }
    assert!(agent.session_id().is_some());
    assert_eq!(live_sessions(&clients), 1, "the session outlives the tool call");
    assert_eq!(agent.messages().len(), 4);

    let events = log.lock().unwrap().clone();
    // Text came in several pieces, and the final message is what streamed last.
    let streamed: String = events.iter().filter_map(|e| e.strip_prefix("text:")).collect();
    assert!(events.iter().filter(|e| e.starts_with("text:")).count() > 2);
    assert!(streamed.ends_with(&answer), "{streamed}");
    let calls: Vec<&String> = events.iter().filter(|e| !e.starts_with("text:")).collect();
    assert_eq!(calls, ["session", "call:1:execute_python", "result:false"]);

    let stats = agent.close().await.unwrap();
    assert_eq!(live_sessions(&clients), 0, "close stops the session");
    assert_eq!((stats.round_trips, stats.tool_calls, stats.sessions_started), (2, 1, 1));
    assert!(stats.usage.input_tokens > 0 && stats.usage.output_tokens > 0);
}

#[tokio::test]
async fn scope_closes_the_agent_after_an_error() {
    let clients = local_clients().await;
    let agent = Agent::builder(&clients, common::DEFAULT_MODEL_ID)
        .system_prompt(SYSTEM)
        .tool(ExecutePython)
        // The tool call starts the session; the second model call is over the limit.
        .max_turns(1)
        .build()
        .unwrap();
    let result = agent
        .scope(async |agent| {
            let err = agent.ask(common::STATS_PROMPT).await.unwrap_err();
            assert_eq!(live_sessions(&clients), 1);
            assert!(agent.messages().is_empty(), "a failed ask is rolled back");
            assert_eq!(agent.stats().sessions_started, 1);
            Err::<(), _>(err)
        })
        .await;
    assert!(matches!(result, Err(Error::TurnLimit { max_turns: 1 })), "{result:?}");
    assert_eq!(live_sessions(&clients), 0);
}

#[tokio::test]
async fn scope_closes_the_agent_after_a_panic() {
    let clients = local_clients().await;
    let agent = Agent::builder(&clients, common::DEFAULT_MODEL_ID)
        .system_prompt(SYSTEM)
        .tool(ExecutePython)
        .build()
        .unwrap();
    let outcome = AssertUnwindSafe(agent.scope(async |agent| {
        agent.ask(common::STATS_PROMPT).await?;
        assert_eq!(live_sessions(&clients), 1);
        if agent.stats().tool_calls == 1 {
            panic!("the body panics after the answer");
        }
        Ok::<_, Error>(())
    }))
    .catch_unwind()
    .await;
    assert!(outcome.is_err(), "the panic resumes");
    assert_eq!(live_sessions(&clients), 0);
}

#[tokio::test]
async fn a_failed_model_call_starts_no_session() {
    let clients = local_clients().await;
    let agent = Agent::builder(&clients, common::DEFAULT_MODEL_ID)
        .system_prompt(SYSTEM)
        .tool(ExecutePython)
        .build()
        .unwrap();
    let result = agent.scope(async |agent| agent.ask("A question no transcript knows").await).await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Sdk { operation: "ConverseStream", .. }), "{err:?}");
    assert_eq!(live_sessions(&clients), 0);
}
