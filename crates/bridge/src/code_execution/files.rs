//! Files of a container, by any path.
//!
//! AgentCore's file tools (`readFiles`, `writeFiles`) take paths relative to the
//! session's working directory and refuse absolute ones ("Invalid file path:
//! potential path traversal detected"), while the model, used to the API's
//! container, writes `/tmp/report.py` as often as `report.py`. A relative path goes
//! straight through the file tools; an absolute one through a staging file in the
//! working directory and one shell command that moves it (no size limit of a
//! command line applies to the content).

use aws_sdk_bedrockagentcore::types::{InputContentBlock, ToolArguments, ToolName};

use crate::agentcore::{Container, Sessions};
use crate::error::ApiError;

/// The directory whose files come back to the client as file ids.
pub const OUTPUT_DIR: &str = "outputs";

/// Where files on their way to or from an absolute path wait.
const STAGING: &str = ".bridge-files";

/// `path` quoted for `sh`.
fn quoted(path: &str) -> String {
    format!("'{}'", path.replace('\'', r"'\''"))
}

fn staging_path() -> String {
    format!("{STAGING}/{}", crate::random_suffix())
}

async fn command(
    sessions: &Sessions, container: &Container, command: String,
) -> Result<bool, ApiError> {
    let arguments = ToolArguments::builder().command(command).build();
    let output = sessions.invoke(container, ToolName::ExecuteCommand, arguments).await?;
    Ok(!output.is_error && output.exit_code.unwrap_or(0) == 0)
}

/// The bytes of `path`, or `None` when it cannot be read.
pub async fn read(
    sessions: &Sessions, container: &Container, path: &str,
) -> Result<Option<Vec<u8>>, ApiError> {
    if !path.starts_with('/') {
        return read_relative(sessions, container, path).await;
    }
    let staged = staging_path();
    let copy = format!("mkdir -p {STAGING} && cp -- {} {}", quoted(path), quoted(&staged));
    if !command(sessions, container, copy).await? {
        return Ok(None);
    }
    let bytes = read_relative(sessions, container, &staged).await?;
    command(sessions, container, format!("rm -f -- {}", quoted(&staged))).await?;
    Ok(bytes)
}

async fn read_relative(
    sessions: &Sessions, container: &Container, path: &str,
) -> Result<Option<Vec<u8>>, ApiError> {
    let arguments = ToolArguments::builder().paths(path).build();
    let output = sessions.invoke(container, ToolName::ReadFiles, arguments).await?;
    Ok(if output.is_error { None } else { output.files.into_iter().next().map(|f| f.into_bytes()) })
}

/// Writes `bytes` to `path` (as text when it is UTF-8, else as a blob), creating its
/// directories; false when the container refused.
pub async fn write(
    sessions: &Sessions, container: &Container, path: &str, bytes: Vec<u8>,
) -> Result<bool, ApiError> {
    if !path.starts_with('/') {
        return write_relative(sessions, container, path, bytes).await;
    }
    let staged = staging_path();
    if !write_relative(sessions, container, &staged, bytes).await? {
        return Ok(false);
    }
    let (target, staged) = (quoted(path), quoted(&staged));
    let place = format!("mkdir -p -- \"$(dirname -- {target})\" && mv -f -- {staged} {target}");
    command(sessions, container, place).await
}

async fn write_relative(
    sessions: &Sessions, container: &Container, path: &str, bytes: Vec<u8>,
) -> Result<bool, ApiError> {
    let block = match String::from_utf8(bytes) {
        Ok(text) => InputContentBlock::builder().path(path).text(text).build(),
        Err(binary) => InputContentBlock::builder()
            .path(path)
            .blob(aws_smithy_types::Blob::new(binary.into_bytes()))
            .build(),
    };
    let Ok(block) = block else { return Ok(false) };
    let arguments = ToolArguments::builder().content(block).build();
    let output = sessions.invoke(container, ToolName::WriteFiles, arguments).await?;
    Ok(!output.is_error)
}

/// Writes `bytes` to `path` for the bridge's own purposes; a refusal is an error.
pub async fn put(
    sessions: &Sessions, container: &Container, path: &str, bytes: Vec<u8>,
) -> Result<(), ApiError> {
    if write(sessions, container, path, bytes).await? {
        Ok(())
    } else {
        Err(ApiError::api(format!("could not write {path} into the container")))
    }
}

/// The files in [`OUTPUT_DIR`], each with a signature (size and modification time)
/// that changes when the file does; empty when the directory does not exist.
/// Listed with one command: `listFiles` answers give no size or time.
pub async fn list_outputs(
    sessions: &Sessions, container: &Container,
) -> Result<Vec<(String, String)>, ApiError> {
    let script = format!(
        "import json, os\nfiles = [(e.name, '%d.%d' % (e.stat().st_size, e.stat().st_mtime_ns)) \
         for e in os.scandir({OUTPUT_DIR:?}) if e.is_file()]\nprint(json.dumps(files))"
    );
    let listing = format!("[ -d {OUTPUT_DIR} ] && python3 -c {} || echo []", quoted(&script));
    let arguments = ToolArguments::builder().command(listing).build();
    let output = sessions.invoke(container, ToolName::ExecuteCommand, arguments).await?;
    if output.is_error {
        return Ok(Vec::new());
    }
    Ok(serde_json::from_str(output.stdout.trim()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(quoted("/tmp/a b.py"), "'/tmp/a b.py'");
        assert_eq!(quoted("/tmp/it's"), r"'/tmp/it'\''s'");
    }
}
