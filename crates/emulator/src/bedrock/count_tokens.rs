//! `POST /model/{modelId}/count-tokens`: the input tokens of an InvokeModel body or a
//! Converse request, counted as the scripted model counts a prompt.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::converse_types::ConverseRequest;
use super::{model_error, validation};
use crate::error::AwsError;
use crate::model::catalog::{self, Refusal};
use crate::model::{Api, ModelService};
use crate::state::AppState;

/// The request body: `input` is a union of the two request kinds.
#[derive(Deserialize)]
struct CountTokensRequest {
    input: CountTokensInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum CountTokensInput {
    /// An InvokeModel body, base64 as every blob in JSON.
    InvokeModel { body: String },
    /// A Converse request's `messages`, `system`, `toolConfig`, ...
    Converse(Value),
}

/// CountTokens: `{"inputTokens": N}`.
pub async fn count_tokens(
    State(_state): State<Arc<AppState>>, Path(model_id): Path<String>, body: Bytes,
) -> Result<Json<Value>, AwsError> {
    catalog::check_count_tokens(&model_id).map_err(|refusal| match refusal {
        Refusal::Invalid(message) => validation(message),
        Refusal::NotFound(message) => {
            AwsError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
        }
    })?;
    let request: CountTokensRequest = serde_json::from_slice(&body).map_err(|err| {
        validation(format!("The request body is not valid: {err}; expected {{\"input\": {{\"invokeModel\": {{\"body\": ...}}}}}} or {{\"input\": {{\"converse\": {{...}}}}}}"))
    })?;
    let conversation = match request.input {
        CountTokensInput::InvokeModel { body } => {
            let body = BASE64.decode(body.as_bytes()).map_err(|err| {
                validation(format!("input.invokeModel.body is not base64: {err}"))
            })?;
            let parsed = crate::model::parse_request(&body).map_err(model_error)?;
            crate::model::to_conversation(&parsed, Api::InvokeModel, &model_id)
                .map_err(model_error)?
        }
        CountTokensInput::Converse(fields) => {
            let bytes = serde_json::to_vec(&fields).unwrap_or_default();
            let parsed = ConverseRequest::parse(&bytes).map_err(|e| validation(e.to_string()))?;
            parsed.to_conversation(&model_id).map_err(|e| validation(e.to_string()))?
        }
    };
    Ok(Json(json!({"inputTokens": ModelService::input_tokens(&conversation)})))
}
