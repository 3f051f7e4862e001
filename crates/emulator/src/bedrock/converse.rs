//! `POST /model/{modelId}/converse` and `/converse-stream`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use super::converse_types::{ConverseRequest, ConverseResponse, Metrics, OutBlock, TokenUsage};
use super::{check_model, elapsed_ms, model_error, validation};
use crate::error::AwsError;
use crate::eventstream::{event_frame, stream_response};
use crate::model::{Reply, split_for_streaming};
use crate::record::ops as record;
use crate::state::AppState;

fn reply_for(state: &AppState, model_id: &str, body: &[u8]) -> Result<Reply, AwsError> {
    check_model(model_id)?;
    let request = ConverseRequest::parse(body).map_err(|e| validation(e.to_string()))?;
    let conversation = request.to_conversation(model_id).map_err(|e| validation(e.to_string()))?;
    state.model.respond(&conversation).map_err(model_error)
}

/// Converse: the whole reply as one JSON document.
pub async fn converse(
    State(state): State<Arc<AppState>>, Path(model_id): Path<String>, headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AwsError> {
    if let Some(recorder) = &state.recorder {
        return record::converse(recorder, &model_id, &headers, body).await;
    }
    let start = Instant::now();
    let reply = reply_for(&state, &model_id, &body)?;
    Ok(Json(ConverseResponse::new(&reply, elapsed_ms(start))).into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    usage: TokenUsage,
    metrics: Metrics,
}

/// The ConverseStream events of a reply, in order: messageStart, per block (contentBlockStart for
/// tool use only) contentBlockDelta* contentBlockStop, messageStop, metadata.
fn stream_frames(reply: &Reply, start: Instant) -> Vec<Bytes> {
    let mut frames = vec![event_frame("messageStart", &json!({"role": "assistant"}))];
    for (index, block) in super::converse_types::out_blocks(reply).iter().enumerate() {
        match block {
            OutBlock::Text(text) => {
                for piece in split_for_streaming(text) {
                    frames.push(event_frame(
                        "contentBlockDelta",
                        &json!({"contentBlockIndex": index, "delta": {"text": piece}}),
                    ));
                }
            }
            OutBlock::ToolUse(tu) => {
                frames.push(event_frame(
                    "contentBlockStart",
                    &json!({"contentBlockIndex": index,
                            "start": {"toolUse": {"toolUseId": tu.tool_use_id, "name": tu.name}}}),
                ));
                for piece in split_for_streaming(&tu.input.to_string()) {
                    frames.push(event_frame(
                        "contentBlockDelta",
                        &json!({"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}),
                    ));
                }
            }
        }
        frames.push(event_frame("contentBlockStop", &json!({"contentBlockIndex": index})));
    }
    frames.push(event_frame("messageStop", &json!({"stopReason": reply.stop_reason.as_str()})));
    frames.push(event_frame(
        "metadata",
        &Metadata {
            usage: TokenUsage::from(&reply.usage),
            metrics: Metrics { latency_ms: elapsed_ms(start) },
        },
    ));
    frames
}

/// ConverseStream: the same reply as an event stream. Errors found before the stream starts
/// are plain HTTP errors, as with the real service.
pub async fn converse_stream(
    State(state): State<Arc<AppState>>, Path(model_id): Path<String>, headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AwsError> {
    if let Some(recorder) = &state.recorder {
        return record::converse_stream(recorder, &model_id, &headers, body).await;
    }
    let start = Instant::now();
    let reply = reply_for(&state, &model_id, &body)?;
    let frames = stream_frames(&reply, start);
    Ok(stream_response(futures::stream::iter(frames), &[]))
}
