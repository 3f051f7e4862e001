//! Sending a request to an upstream endpoint, signed with SigV4 or a bearer token.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::{HeaderMap, Method};

use super::error::RecordError;

/// How outgoing requests authenticate.
#[derive(Debug, Clone, Default)]
pub struct UpstreamAuth {
    /// Explicit credentials; `None` takes them from the default AWS chain (environment,
    /// profile, SSO, instance role), resolved when record mode starts.
    pub credentials: Option<Credentials>,
    /// A Bedrock API key (`Authorization: Bearer`), used for model calls instead of
    /// SigV4. AgentCore calls are always signed.
    pub bearer_token: Option<String>,
}

/// The auth after resolution.
#[derive(Debug, Clone)]
pub struct ResolvedAuth {
    credentials: Option<SharedCredentialsProvider>,
    bearer_token: Option<String>,
}

impl UpstreamAuth {
    pub(crate) async fn resolve(&self, region: &str) -> Result<ResolvedAuth, RecordError> {
        let credentials = match &self.credentials {
            Some(creds) => Some(SharedCredentialsProvider::new(creds.clone())),
            None => {
                let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .region(aws_config::Region::new(region.to_owned()))
                    .load()
                    .await;
                config.credentials_provider()
            }
        };
        if credentials.is_none() && self.bearer_token.is_none() {
            return Err(RecordError::Credentials(
                "give --record-access-key-id/--record-secret-access-key, a bearer token, or \
                 configure the default AWS chain"
                    .into(),
            ));
        }
        Ok(ResolvedAuth { credentials, bearer_token: self.bearer_token.clone() })
    }
}

/// One upstream service: base URL, signing name and region.
#[derive(Debug)]
pub struct Upstream {
    base: reqwest::Url,
    service: &'static str,
    region: String,
    auth: ResolvedAuth,
    client: reqwest::Client,
}

/// What the upstream answered.
#[derive(Debug)]
pub struct UpstreamResponse {
    pub status: http::StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Upstream {
    pub(crate) fn new(
        url: &str, service: &'static str, region: &str, auth: ResolvedAuth,
    ) -> Result<Self, RecordError> {
        let base = reqwest::Url::parse(url.trim_end_matches('/')).map_err(|err| {
            RecordError::Credentials(format!("the upstream URL {url:?} is not valid: {err}"))
        })?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(900))
            .build()
            .map_err(|source| RecordError::Url { url: url.to_owned(), source })?;
        Ok(Self { base, service, region: region.to_owned(), auth, client })
    }

    /// `host[:port]` as the Host header carries it.
    fn host(&self) -> String {
        let host = self.base.host_str().unwrap_or_default();
        match self.base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// Sends `method path_and_query` with the given headers and body, signed, and
    /// returns the whole response. `path_and_query` is already percent-encoded.
    pub async fn send(
        &self, method: Method, path_and_query: &str, headers: &[(&str, String)], body: Bytes,
    ) -> Result<reqwest::Response, String> {
        let url = format!("{}{}", self.base.as_str().trim_end_matches('/'), path_and_query);
        let host = self.host();
        let mut all: Vec<(String, String)> = vec![("host".into(), host)];
        all.extend(headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), value.clone())));
        let bearer = self.auth.bearer_token.as_ref().filter(|_| self.service == "bedrock");
        if let Some(token) = bearer {
            all.push(("authorization".into(), format!("Bearer {token}")));
        } else {
            self.sign(&method, &url, &mut all, &body).await?;
        }
        let mut request = self.client.request(method, &url).body(body);
        for (name, value) in &all {
            if name != "host" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        request
            .send()
            .await
            .map_err(|err| format!("the upstream {} did not answer: {err}", self.base))
    }

    /// Sends and reads the whole body.
    pub async fn send_buffered(
        &self, method: Method, path_and_query: &str, headers: &[(&str, String)], body: Bytes,
    ) -> Result<UpstreamResponse, String> {
        let response = self.send(method, path_and_query, headers, body).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|err| format!("reading the upstream response failed: {err}"))?;
        Ok(UpstreamResponse { status, headers, body })
    }

    async fn sign(
        &self, method: &Method, url: &str, headers: &mut Vec<(String, String)>, body: &[u8],
    ) -> Result<(), String> {
        let Some(provider) = &self.auth.credentials else {
            return Err("no upstream credentials to sign with".into());
        };
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|err| format!("the upstream credentials could not be loaded: {err}"))?;
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|err| format!("signing failed: {err}"))?
            .into();
        let signable = SignableRequest::new(
            method.as_str(),
            url,
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|err| format!("signing failed: {err}"))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|err| format!("signing failed: {err}"))?.into_parts();
        for (name, value) in instructions.headers() {
            headers.push((name.to_owned(), value.to_owned()));
        }
        Ok(())
    }
}
