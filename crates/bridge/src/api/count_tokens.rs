//! `POST /v1/messages/count_tokens`: Bedrock's CountTokens on the body the bridge
//! would send, so the code execution tool counts as the client tools it becomes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use messages::MessagesRequest;
use serde_json::json;

use super::answer;
use crate::Bridge;
use crate::error::ApiError;
use crate::turn::{history, plan};

/// `POST /v1/messages/count_tokens`.
pub async fn count_tokens(State(bridge): State<Arc<Bridge>>, body: Bytes) -> Response {
    answer(
        async {
            let invalid = |err: serde_json::Error| {
                ApiError::invalid_request(format!("the request body is invalid: {err}"))
            };
            // A count has no max_tokens; Bedrock's body needs one, and does not count it.
            let mut fields: serde_json::Value = serde_json::from_slice(&body).map_err(invalid)?;
            if let Some(fields) = fields.as_object_mut() {
                fields.entry("max_tokens").or_insert(json!(1));
                // Counting never continues a container.
                fields.remove("container");
            }
            let request: MessagesRequest = serde_json::from_value(fields).map_err(invalid)?;
            let planned = plan::plan(&bridge, request, &[]).await?;
            let body = plan::with_messages(&planned.body, history::for_bedrock(&planned.messages));
            let tokens = bridge.bedrock.count_tokens(&planned.model_id, &body).await?;
            Ok(Json(json!({"input_tokens": tokens})).into_response())
        }
        .await,
    )
}
