//! `--local`: the clients pointed at an emulator started inside this process.
//!
//! Only with the `local` feature (on by default) and on Linux or macOS, where the
//! emulator's sandbox runs; an AWS-only build (`--no-default-features`) has none of
//! this and does not compile the emulator.

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use emulator::Emulator;

use crate::config::{AnthropicEndpoint, Clients, CommonArgs, retry_config, timeout_config};
use crate::error::Error;

/// Starts the embedded emulator and builds every client against it.
pub(crate) async fn connect(args: &CommonArgs) -> Result<Clients, Error> {
    let emulator = Emulator::builder()
        .region(args.region.clone())
        .start()
        .await
        .map_err(|source| Error::Emulator(source.into()))?;
    tracing::debug!(endpoint = emulator.endpoint(), "using the embedded emulator");
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config(args.read_timeout))
        .endpoint_url(emulator.endpoint())
        .region(Region::new(emulator.region().to_owned()))
        .credentials_provider(Credentials::new(
            emulator.access_key_id(),
            emulator.secret_access_key(),
            None,
            None,
            "embedded-emulator",
        ))
        .load()
        .await;
    let anthropic = AnthropicEndpoint {
        base_url: emulator.endpoint().to_owned(),
        api_key: Some(emulator.api_key().to_owned()),
    };
    let mut clients = Clients::with_read_timeout(sdk_config, anthropic, args.read_timeout);
    clients.emulator = Some(emulator);
    Ok(clients)
}
