//! A minimal client of the Anthropic Messages API (`POST {base}/v1/messages`), for
//! examples 00 and 07b: plain reqwest and this crate's serde types.

use serde::Deserialize;

use crate::config::{AnthropicEndpoint, Clients, CommonArgs};
use crate::error::Error;
use messages::{MessagesRequest, MessagesResponse};

/// Where an example's Messages requests go: with `--local` the in-process bridge on
/// the embedded emulator (running as long as this value lives), otherwise the API
/// that `ANTHROPIC_BASE_URL` and `ANTHROPIC_API_KEY` name, as the official SDKs find it.
#[derive(Debug)]
pub struct AnthropicApi {
    /// The base URL and key.
    pub endpoint: AnthropicEndpoint,
    http: reqwest::Client,
    _local: Option<Clients>,
}

impl AnthropicApi {
    /// Connects as `args` say; fails at once, saying what to set, without a key.
    pub async fn connect(args: &CommonArgs) -> Result<Self, Error> {
        let local = if args.local { Some(args.connect().await?) } else { None };
        crate::config::init_tracing(args.verbose);
        let endpoint =
            local.as_ref().map_or_else(AnthropicEndpoint::from_env, |c| c.anthropic.clone());
        if endpoint.api_key.is_none() {
            return Err(Error::NoAnthropicKey);
        }
        // A turn with code execution can take minutes.
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(600))
            .build()
            .map_err(|source| Error::Http { url: endpoint.base_url.clone(), source })?;
        Ok(Self { endpoint, http, _local: local })
    }

    /// One Messages request with these betas; see [`create_message`].
    pub async fn create_message(
        &self, betas: &[&str], request: &MessagesRequest,
    ) -> Result<MessagesResponse, Error> {
        create_message(&self.http, &self.endpoint, betas, request).await
    }
}

/// The API version header value the examples send.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

/// Sends one Messages request with the given beta features and returns the parsed
/// response; an error body becomes [`Error::AnthropicApi`].
pub async fn create_message(
    http: &reqwest::Client, endpoint: &AnthropicEndpoint, betas: &[&str], request: &MessagesRequest,
) -> Result<MessagesResponse, Error> {
    let key = endpoint.api_key.as_deref().ok_or(Error::NoAnthropicKey)?;
    let url = format!("{}/v1/messages", endpoint.base_url.trim_end_matches('/'));
    let http_error = |source| Error::Http { url: url.clone(), source };
    let mut call = http
        .post(&url)
        .header("x-api-key", key)
        .header("anthropic-version", ANTHROPIC_VERSION)
        .json(request);
    if !betas.is_empty() {
        call = call.header("anthropic-beta", betas.join(","));
    }
    let response = call.send().await.map_err(http_error)?;
    let status = response.status();
    let body = response.bytes().await.map_err(http_error)?;
    if !status.is_success() {
        let (kind, message) = match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(parsed) => (parsed.error.kind, parsed.error.message),
            Err(_) => (
                "unknown_error".to_owned(),
                String::from_utf8_lossy(&body).chars().take(500).collect(),
            ),
        };
        // The API answers an unknown or retired model with 404 `not_found_error`
        // and the message `model: <name>`.
        if kind == "not_found_error" && message.starts_with("model:") {
            return Err(Error::AnthropicModelUnavailable { message });
        }
        return Err(Error::AnthropicApi { status: status.as_u16(), kind, message });
    }
    serde_json::from_slice(&body).map_err(Error::json("read the Messages response"))
}
