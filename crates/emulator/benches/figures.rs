//! Figures of the sandbox and the event-stream framing, printed as `FIGURE <key> <value>`
//! lines for `scripts/bench.sh` (which puts them in one table with the targets).
//!
//! Everything goes through the real `aws-sdk-bedrockagentcore` client over HTTP to an
//! emulator on 127.0.0.1, so a figure is what a caller sees, not a number from inside.
//!
//! ```text
//! cargo bench -p emulator --bench figures             # full run
//! cargo bench -p emulator --bench figures -- --quick  # fewer samples
//! ```
//!
//! Under `cargo test --benches` (no `--bench` argument) it only says how to run it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::types::{
    CodeInterpreterStreamOutput, ProgrammingLanguage, ToolArguments, ToolName,
};
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder, write_message_to};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::{Buf, Bytes, BytesMut};
use emulator::Emulator;

const SYSTEM: &str = "aws.codeinterpreter.v1";

struct Plan {
    starts: usize,
    execs: usize,
    concurrent: usize,
    sizes: Vec<u64>,
    size_reps: usize,
    frames: usize,
}

impl Plan {
    fn new(quick: bool) -> Self {
        const KB: u64 = 1 << 10;
        const MB: u64 = 1 << 20;
        if quick {
            Plan {
                starts: 25,
                execs: 100,
                concurrent: 100,
                sizes: vec![KB, 100 * KB, MB, 10 * MB, 100 * MB],
                size_reps: 1,
                frames: 20_000,
            }
        } else {
            Plan {
                starts: 60,
                execs: 400,
                concurrent: 100,
                sizes: vec![KB, 10 * KB, 100 * KB, MB, 10 * MB, 100 * MB],
                size_reps: 3,
                frames: 100_000,
            }
        }
    }
}

fn figure(key: &str, value: impl std::fmt::Display) {
    println!("FIGURE {key} {value}");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() - 1) as f64 * p).round() as usize;
    samples[index]
}

async fn client(emulator: &Emulator) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(Region::new(emulator.region().to_owned()))
        .credentials_provider(Credentials::new(
            emulator.access_key_id(),
            emulator.secret_access_key(),
            None,
            None,
            "bench",
        ))
        .load()
        .await;
    Client::new(&config)
}

async fn start(client: &Client) -> String {
    client
        .start_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_timeout_seconds(900)
        .send()
        .await
        .expect("StartCodeInterpreterSession")
        .session_id()
        .to_owned()
}

async fn stop(client: &Client, id: &str) {
    client
        .stop_code_interpreter_session()
        .code_interpreter_identifier(SYSTEM)
        .session_id(id)
        .send()
        .await
        .expect("StopCodeInterpreterSession");
}

/// Runs Python and returns the text content received.
async fn exec(client: &Client, id: &str, code: &str) -> Result<String, String> {
    let mut output = client
        .invoke_code_interpreter()
        .code_interpreter_identifier(SYSTEM)
        .session_id(id)
        .name(ToolName::ExecuteCode)
        .arguments(
            ToolArguments::builder().language(ProgrammingLanguage::Python).code(code).build(),
        )
        .send()
        .await
        .map_err(|err| format!("{err:?}"))?;
    let mut received = String::new();
    while let Some(event) = output.stream.recv().await.map_err(|e| format!("{e:?}"))? {
        if let CodeInterpreterStreamOutput::Result(result) = event {
            if result.is_error() == Some(true) {
                return Err(format!("{:?}", result.content()));
            }
            for text in result.content().iter().filter_map(|block| block.text()) {
                received.push_str(text);
            }
        }
    }
    Ok(received)
}

/// Session start through the SDK: back to back, and paced (one start every 100 ms,
/// which gives the interpreter pool time to refill, as between real conversations).
async fn session_start(client: &Client, plan: &Plan) {
    for (label, pause) in [("burst", Duration::ZERO), ("paced", Duration::from_millis(100))] {
        let mut starts = Vec::with_capacity(plan.starts);
        let mut stops = Vec::with_capacity(plan.starts);
        for _ in 0..plan.starts {
            tokio::time::sleep(pause).await;
            let t = Instant::now();
            let id = start(client).await;
            starts.push(ms(t.elapsed()));
            exec(client, &id, "x = 1").await.expect("trivial code");
            let t = Instant::now();
            stop(client, &id).await;
            stops.push(ms(t.elapsed()));
        }
        figure(
            &format!("session_start_{label}_p50_ms"),
            format!("{:.2}", percentile(&mut starts, 0.5)),
        );
        figure(
            &format!("session_start_{label}_p90_ms"),
            format!("{:.2}", percentile(&mut starts, 0.9)),
        );
        figure(
            &format!("session_stop_{label}_p50_ms"),
            format!("{:.2}", percentile(&mut stops, 0.5)),
        );
    }
}

/// A trivial `executeCode` round trip in one session.
async fn exec_round_trip(client: &Client, plan: &Plan) {
    let id = start(client).await;
    for _ in 0..10 {
        exec(client, &id, "x = 1").await.expect("warm-up");
    }
    let mut samples = Vec::with_capacity(plan.execs);
    for i in 0..plan.execs {
        let t = Instant::now();
        exec(client, &id, &format!("x = {i}")).await.expect("trivial code");
        samples.push(ms(t.elapsed()));
    }
    stop(client, &id).await;
    figure("exec_p50_ms", format!("{:.3}", percentile(&mut samples, 0.5)));
    figure("exec_p90_ms", format!("{:.3}", percentile(&mut samples, 0.9)));
}

/// Every process of the machine with its parent: (pid, ppid).
fn process_parents() -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the parenthesised command: state, ppid, ...
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse().ok());
        if let Some(ppid) = ppid {
            out.push((pid, ppid));
        }
    }
    out
}

/// One entry per interpreter of this process: the child that runs Python (directly,
/// or under bubblewrap, whose command line names it) and all its descendants, so
/// that bubblewrap's own processes count in a session's memory.
fn interpreter_trees() -> Vec<Vec<u32>> {
    let me = std::process::id();
    let parents = process_parents();
    let mut trees = Vec::new();
    for &(pid, ppid) in &parents {
        if ppid != me {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains("python") {
            continue;
        }
        let mut tree = vec![pid];
        let mut next = 0;
        while let Some(&parent) = tree.get(next) {
            tree.extend(parents.iter().filter(|p| p.1 == parent).map(|p| p.0));
            next += 1;
        }
        trees.push(tree);
    }
    trees
}

/// The value in kB of `key` in a `/proc/<pid>/...` file of `key: value kB` lines.
fn proc_kb(pid: u32, file: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Many sessions at once, each running code; then the memory of their interpreters.
async fn concurrent_sessions(client: &Client, plan: &Plan) {
    let before = interpreter_trees().len();
    let t = Instant::now();
    let started = futures::future::join_all((0..plan.concurrent).map(|_| {
        let client = client.clone();
        async move {
            let id = client
                .start_code_interpreter_session()
                .code_interpreter_identifier(SYSTEM)
                .send()
                .await
                .map_err(|err| format!("{err:?}"))?
                .session_id()
                .to_owned();
            let code = "import json, math\ndata = list(range(1000))\nprint(sum(data))";
            exec(&client, &id, code).await.map(|_| id)
        }
    }))
    .await;
    let elapsed = t.elapsed();
    let errors = started.iter().filter(|r| r.is_err()).count();
    if let Some(Err(first)) = started.iter().find(|r| r.is_err()) {
        eprintln!("first concurrent-session error: {first}");
    }
    let trees = interpreter_trees();
    let (mut rss, mut pss) = (0u64, 0u64);
    for &pid in trees.iter().flatten() {
        rss += proc_kb(pid, "status", "VmRSS");
        pss += proc_kb(pid, "smaps_rollup", "Pss");
    }
    let n = trees.len().max(1) as f64;
    figure("concurrent_sessions", plan.concurrent);
    figure("concurrent_errors", errors);
    figure("concurrent_start_exec_s", format!("{:.2}", elapsed.as_secs_f64()));
    figure("concurrent_interpreters", trees.len());
    figure("concurrent_processes", trees.iter().map(Vec::len).sum::<usize>());
    figure("concurrent_idle_before", before);
    figure("interp_rss_mb", format!("{:.1}", rss as f64 / 1024.0 / n));
    figure("interp_pss_mb", format!("{:.1}", pss as f64 / 1024.0 / n));
    let stops = futures::future::join_all(
        started.into_iter().flatten().map(|id| async move { stop(client, &id).await }),
    );
    stops.await;
}

/// `executeCode` time as the program's output grows (the reply is capped).
async fn output_series(client: &Client, plan: &Plan) {
    let id = start(client).await;
    exec(client, &id, "import sys").await.expect("warm-up");
    for &size in &plan.sizes {
        let code = format!(
            "import sys\nchunk = 'x' * 65536\nn = {size}\nfor _ in range(n // 65536):\n    sys.stdout.write(chunk)\nsys.stdout.write('x' * (n % 65536))"
        );
        let mut samples = Vec::new();
        let mut received = 0;
        for _ in 0..plan.size_reps {
            let t = Instant::now();
            received = exec(client, &id, &code).await.expect("output code").len();
            samples.push(ms(t.elapsed()));
        }
        let label =
            if size >= 1 << 20 { format!("{}MB", size >> 20) } else { format!("{}KB", size >> 10) };
        figure(&format!("output_{label}_ms"), format!("{:.2}", percentile(&mut samples, 0.5)));
        figure(&format!("output_{label}_received_kb"), received >> 10);
    }
    stop(client, &id).await;
}

/// The memory of one session's interpreter after `import numpy` (what a session of
/// the examples costs), and of a bare one.
async fn numpy_session(client: &Client) {
    let id = start(client).await;
    // Under bubblewrap the interpreter has its own PID namespace, so find it on the
    // host by its working directory, the session's.
    let cwd = exec(client, &id, "import os\nprint(os.getcwd())").await.expect("cwd");
    let pid = interpreter_trees()
        .into_iter()
        .flatten()
        .find(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd"))
                .is_ok_and(|dir| dir == std::path::Path::new(cwd.trim()))
        })
        .expect("the session's interpreter among the emulator's processes");
    figure("interp_bare_rss_mb", format!("{:.1}", proc_kb(pid, "status", "VmRSS") as f64 / 1024.0));
    exec(client, &id, "import numpy").await.expect("numpy");
    figure(
        "interp_numpy_rss_mb",
        format!("{:.1}", proc_kb(pid, "status", "VmRSS") as f64 / 1024.0),
    );
    figure(
        "interp_numpy_pss_mb",
        format!("{:.1}", proc_kb(pid, "smaps_rollup", "Pss") as f64 / 1024.0),
    );
    stop(client, &id).await;
}

fn result_frame(payload_len: usize) -> Bytes {
    let payload = vec![b'x'; payload_len];
    let message = Message::new(payload)
        .add_header(Header::new(":message-type", HeaderValue::String("event".into())))
        .add_header(Header::new(":event-type", HeaderValue::String("result".into())))
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())));
    let mut out = Vec::new();
    write_message_to(&message, &mut out).expect("encodes");
    Bytes::from(out)
}

/// Encoding and decoding throughput of the framing the emulator and SDKs use; large
/// frames arrive in 16 KiB pieces, as from a socket.
fn eventstream(plan: &Plan) {
    for (label, payload_len, count) in
        [("small", 200usize, plan.frames), ("large", 1 << 20, (plan.frames / 200).max(20))]
    {
        let frame = result_frame(payload_len);
        let payload = vec![b'x'; payload_len];
        // Encode.
        let t = Instant::now();
        let mut bytes = 0usize;
        for _ in 0..count {
            let message = Message::new(payload.clone())
                .add_header(Header::new(":event-type", HeaderValue::String("result".into())));
            let mut out = Vec::with_capacity(payload_len + 64);
            write_message_to(&message, &mut out).expect("encodes");
            bytes += out.len();
        }
        let encode = t.elapsed().as_secs_f64();
        // Decode from one stream delivered in 16 KiB chunks.
        let mut stream = BytesMut::with_capacity(frame.len() * count.min(200));
        let reps = count.min(200);
        for _ in 0..reps {
            stream.extend_from_slice(&frame);
        }
        let stream = stream.freeze();
        let rounds = count / reps;
        let t = Instant::now();
        let mut decoded = 0usize;
        for _ in 0..rounds {
            let mut decoder = MessageFrameDecoder::new();
            let mut buffer = BytesMut::new();
            let mut rest = stream.clone();
            while rest.has_remaining() || !buffer.is_empty() {
                let take = rest.remaining().min(16 << 10);
                buffer.extend_from_slice(&rest.split_to(take));
                while let DecodedFrame::Complete(_) =
                    decoder.decode_frame(&mut buffer).expect("decodes")
                {
                    decoded += 1;
                }
                if take == 0 {
                    break;
                }
            }
        }
        let decode = t.elapsed().as_secs_f64();
        assert_eq!(decoded, rounds * reps);
        let mb = |n: usize, secs: f64| n as f64 / secs / 1e6;
        figure(&format!("es_{label}_encode_frames_per_s"), format!("{:.0}", count as f64 / encode));
        figure(&format!("es_{label}_encode_mb_s"), format!("{:.0}", mb(bytes, encode)));
        figure(
            &format!("es_{label}_decode_frames_per_s"),
            format!("{:.0}", decoded as f64 / decode),
        );
        figure(
            &format!("es_{label}_decode_mb_s"),
            format!("{:.0}", mb(decoded * frame.len(), decode)),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("figures: run with `cargo bench -p emulator --bench figures [-- --quick]`");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: HashMap<&str, bool> = ["session", "exec", "concurrent", "output", "eventstream"]
        .into_iter()
        .map(|part| {
            let wanted = !args.iter().any(|a| a.starts_with("--only="))
                || args.iter().any(|a| {
                    a.strip_prefix("--only=").is_some_and(|list| list.split(',').any(|p| p == part))
                });
            (part, wanted)
        })
        .collect();
    let plan = Plan::new(quick);
    if only["eventstream"] {
        eventstream(&plan);
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let emulator = Emulator::builder().progress(false).start().await.expect("emulator starts");
        let client = client(&emulator).await;
        // The first session pays for pool start-up; not part of any figure.
        let id = start(&client).await;
        exec(&client, &id, "x = 1").await.expect("first call");
        stop(&client, &id).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        if only["session"] {
            session_start(&client, &plan).await;
        }
        if only["exec"] {
            exec_round_trip(&client, &plan).await;
        }
        if only["output"] {
            output_series(&client, &plan).await;
        }
        if only["concurrent"] {
            numpy_session(&client).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            concurrent_sessions(&client, &plan).await;
        }
        emulator.shutdown().await;
    });
}
