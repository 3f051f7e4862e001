//! The bridge as a fleet: the unmodified anthropic SDK against haproxy in front of
//! three replicas (round robin, no stickiness) that share nothing but S3 (moto's
//! server) and AWS (an emulator). Every kind of conversation spans replicas; one
//! replica is killed mid-conversation and comes back; a rolling restart happens
//! under an open stream.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use aws_sdk_bedrockagentcore::types::CodeInterpreterSessionStatus;

use crate::fleet_harness::Fleet;
use crate::have_anthropic_sdk;

/// Waits until the script reaches checkpoint `name`; what it noted there.
async fn reached(
    folder: &Path, name: &str, script: &tokio::task::JoinHandle<serde_json::Value>,
) -> String {
    let path = folder.join(name);
    loop {
        if let Ok(note) = std::fs::read_to_string(&path) {
            return note;
        }
        assert!(!script.is_finished(), "the script ended before checkpoint {name}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn go(folder: &Path, name: &str) {
    std::fs::write(folder.join(format!("{name}.go")), "").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_span_replicas_and_survive_a_killed_replica_and_a_rolling_restart() {
    if !have_anthropic_sdk() {
        return;
    }
    let Some(mut fleet) = Fleet::start().await else { return };
    let checkpoints = tempfile::tempdir().unwrap();
    let folder = checkpoints.path().to_owned();
    let mut env = fleet.sdk_env();
    env.push(("FLEET_CHECKPOINTS", folder.display().to_string()));
    let script = tokio::task::spawn_blocking(move || crate::run_python("fleet", &env));

    // A crashed replica between two requests of a programmatic call: the next one
    // goes elsewhere (haproxy retries a refused connection on another server).
    reached(&folder, "killed", &script).await;
    fleet.kill(1);
    go(&folder, "killed");
    reached(&folder, "restarted", &script).await;
    fleet.start_replica(1);
    // Until haproxy's next health check the replica counts as down.
    tokio::time::sleep(Duration::from_millis(500)).await;
    go(&folder, "restarted");

    // Every replica stopped (SIGTERM) and started again, one after the other, the one
    // serving the open stream first: it finishes the stream before it exits.
    let serving = reached(&folder, "streaming", &script).await;
    go(&folder, "streaming");
    let first: usize = serving.strip_prefix("replica-").and_then(|n| n.parse().ok()).unwrap();
    for i in std::iter::once(first).chain((0..3).filter(|&i| i != first)) {
        let status = fleet.terminate(i);
        assert!(status.success(), "replica-{i} exited with {status}");
        fleet.start_replica(i);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let seen = script.await.unwrap();
    let run = &seen["fleet"];

    // Files: uploaded through one replica, read in the container through another,
    // the code's output downloaded through a third.
    assert!(run["files_text"].as_str().unwrap().contains("The 3 rows add up to 9.5"), "{run}");
    assert!(run["downloaded"].as_str().unwrap().ends_with("total,9.5\r\n"), "{run}");
    // A container used again: the second request saw the first one's file.
    assert_eq!(run["same_container"], true, "{run}");
    assert!(run["reuse"]["text"].as_str().unwrap().contains("`import numpy as np`"), "{run}");
    // A skill created through one replica, loaded by another.
    assert!(run["greeted"].as_str().unwrap().ends_with("Ahoy, Ada!"), "{run}");
    // Programmatic tool calling: five pauses, a replica killed after the second.
    assert_eq!(run["pauses"], 5, "{run}");
    assert!(run["cities"].as_str().unwrap().contains("1. Los Angeles (score"), "{run}");
    // The stream through the rolling restart ran to its end.
    assert!(run["streamed"].as_str().unwrap().ends_with("finished"), "{run}");
    assert_eq!(run["stream_ended"], "message_stop", "{run}");

    // Round robin spread the requests over all three replicas.
    let served: BTreeSet<&str> =
        run["served"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    assert_eq!(served, BTreeSet::from(["replica-0", "replica-1", "replica-2"]), "{run}");

    // Nothing leaked: the AgentCore sessions still running are the conversations'
    // containers (kept for reuse), none started by a request that was lost.
    let agentcore =
        aws_sdk_bedrockagentcore::Client::new(&fleet.emulator.sdk_config_builder().build());
    let containers: Vec<bridge::agentcore::Container> = run["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| bridge::agentcore::Container::from_id(id.as_str().unwrap()).unwrap())
        .collect();
    let interpreter = &containers[0].interpreter_id;
    let listed = agentcore
        .list_code_interpreter_sessions()
        .code_interpreter_identifier(interpreter)
        .status(CodeInterpreterSessionStatus::Ready)
        .send()
        .await
        .unwrap();
    let live: BTreeSet<&str> = listed.items().iter().map(|s| s.session_id()).collect();
    let ours: BTreeSet<&str> = containers.iter().map(|c| c.session_id.as_str()).collect();
    assert!(live.is_subset(&ours), "sessions nobody holds: {:?}", live.difference(&ours));
    assert_eq!(containers.len(), 5, "{run}");
}
