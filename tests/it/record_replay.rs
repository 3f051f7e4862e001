//! Record and replay with a real example: emulator A (scripted) is the upstream of
//! emulator B (record mode); example 01 runs against B, unchanged, through the
//! environment variables any SDK reads. Emulator C then knows only B's recorded
//! directory, and example 01 against C gives the same answer and tool calls.

use std::path::Path;

use crate::support::{Run, run_example_env};
use emulator::Emulator;
use emulator::{RecordConfig, UpstreamAuth};

const EXAMPLE: &str = "01_converse_api_with_code_interpreter";

/// A's transcript for prompt P: same name as the embedded one (so it replaces it in A),
/// with a marker that no embedded transcript says.
const MARKED: &str = r#"
name = "mean-std"
[match]
first_user_message = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
tools = ["execute_python"]

[[turns]]
text = "Computing it in the sandbox."
[[turns.tool_calls]]
name = "execute_python"
[turns.tool_calls.input]
code = '''
import statistics as s
data = list(range(1, 11))
print(f"Mean: {s.mean(data)}")
print(f"Population Std Dev: {s.pstdev(data):.4f}")
print(f"Sample Std Dev: {s.stdev(data):.4f}")
'''

[[turns]]
text = "Recorded via upstream A: mean {mean}, population {pop}, sample {sample} {{ddof=1}}."
[turns.captures]
mean = 'Mean: ([0-9.]+)'
pop = 'Population Std Dev: ([0-9.]+)'
sample = 'Sample Std Dev: ([0-9.]+)'
"#;

async fn python_emulator(transcripts: Option<&Path>, record: Option<RecordConfig>) -> Emulator {
    let mut builder = Emulator::builder().python("python3").progress(false);
    if let Some(dir) = transcripts {
        builder = builder.transcripts_dir(dir);
    }
    if let Some(record) = record {
        builder = builder.record(record);
    }
    builder.start().await.expect("emulator starts")
}

/// Example 01 with `--json`, pointed at `emulator` the way a reader points it at AWS.
async fn run_01(emulator: &Emulator) -> Run {
    let env: Vec<(String, String)> =
        emulator.env_vars().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_example_env(EXAMPLE, &["--json"], None, &env)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_01_recorded_through_b_replays_on_c() {
    let a_dir = tempfile::tempdir().unwrap();
    std::fs::write(a_dir.path().join("marked.toml"), MARKED).unwrap();
    let a = python_emulator(Some(a_dir.path()), None).await;

    let recorded = tempfile::tempdir().unwrap();
    let record = RecordConfig {
        upstream: a.endpoint().to_owned(),
        agentcore_upstream: None,
        dir: recorded.path().to_owned(),
        region: a.region().to_owned(),
        auth: UpstreamAuth {
            credentials: Some(aws_credential_types::Credentials::new(
                a.access_key_id(),
                a.secret_access_key(),
                None,
                None,
                "test",
            )),
            bearer_token: None,
        },
        captures: false,
    };
    let b = python_emulator(None, Some(record)).await;
    let through_b = run_01(&b).await;
    through_b.assert_success();
    let through_b = through_b.json();
    let answer = through_b["answer"].as_str().unwrap();
    assert_eq!(
        answer,
        "Recorded via upstream A: mean 5.5, population 2.8723, sample 3.0277 {ddof=1}."
    );
    assert_eq!(b.live_sessions(), 0, "example 01 stopped its session on B");

    let files: Vec<_> =
        std::fs::read_dir(recorded.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("{{ddof=1}}"), "braces are escaped:\n{text}");

    // C: the embedded transcripts plus only B's recording, which outranks the embedded
    // `mean-std` for this conversation (it also names the API).
    drop(b);
    let c = python_emulator(Some(recorded.path()), None).await;
    let replayed = run_01(&c).await;
    replayed.assert_success();
    let replayed = replayed.json();
    assert_eq!(replayed["answer"], through_b["answer"]);
    assert_eq!(replayed["tool_calls"], through_b["tool_calls"]);
    assert_eq!(replayed["round_trips"], through_b["round_trips"]);
}
