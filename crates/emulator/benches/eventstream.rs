//! Event-stream framing as the emulator writes it and the SDKs read it.
//!
//! - `encode`: the emulator's `event_frame` (JSON payload + three headers + CRCs).
//! - `decode_chunked`: one frame fed to `MessageFrameDecoder` in 16 KiB pieces, as it
//!   arrives from a socket. The time per byte must not grow with the frame (a
//!   re-copy of the buffered prefix on every piece would make 8 MiB cost 8x per byte
//!   what 1 MiB does); what remains is cache size (64 KiB fits in L2, 8 MiB does not).
//! - `decode_many`: a stream of small frames in one buffer (frames per second).
//!
//! ```text
//! cargo bench -p emulator --bench eventstream
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use bytes::{Buf, Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use emulator::event_frame;
use serde_json::json;

const SIZES: [usize; 4] = [1 << 10, 64 << 10, 1 << 20, 8 << 20];

fn label(size: usize) -> String {
    if size >= 1 << 20 { format!("{}MiB", size >> 20) } else { format!("{}KiB", size >> 10) }
}

fn result_payload(size: usize) -> serde_json::Value {
    let text = "x".repeat(size);
    json!({
        "content": [{"type": "text", "text": text}],
        "structuredContent": {"stdout": "", "stderr": "", "exitCode": 0, "executionTime": 1.0},
        "isError": false,
    })
}

/// Feeds `stream` to a decoder in `chunk`-byte pieces; returns the frames decoded.
fn decode_in_chunks(stream: &Bytes, chunk: usize) -> usize {
    let mut decoder = MessageFrameDecoder::new();
    // Reserved up front, as the SDK's receiver never moves buffered chunks (it keeps
    // them in a segmented buffer): what is timed is the decoder, not Vec growth.
    let mut buffer = BytesMut::with_capacity(stream.len());
    let mut rest = stream.clone();
    let mut frames = 0;
    while rest.has_remaining() {
        let take = rest.remaining().min(chunk);
        buffer.extend_from_slice(&rest.split_to(take));
        while let DecodedFrame::Complete(message) = decoder.decode_frame(&mut buffer).unwrap() {
            black_box(message.payload().len());
            frames += 1;
        }
    }
    frames
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in SIZES {
        let payload = result_payload(size);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label(size)), &payload, |b, p| {
            b.iter(|| event_frame("result", black_box(p)));
        });
    }
    group.finish();
}

fn decode_chunked(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_chunked");
    for size in SIZES {
        let frame = event_frame("result", &result_payload(size));
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label(size)), &frame, |b, f| {
            b.iter(|| assert_eq!(decode_in_chunks(f, 16 << 10), 1));
        });
    }
    group.finish();
}

fn decode_many(c: &mut Criterion) {
    let frame = event_frame("result", &result_payload(100));
    let count = 1000;
    let mut stream = BytesMut::new();
    for _ in 0..count {
        stream.extend_from_slice(&frame);
    }
    let stream = stream.freeze();
    let mut group = c.benchmark_group("decode_many");
    group.throughput(Throughput::Elements(count as u64));
    group.bench_function("1000_small_frames", |b| {
        b.iter(|| assert_eq!(decode_in_chunks(&stream, 16 << 10), count));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = encode, decode_chunked, decode_many
}
criterion_main!(benches);
