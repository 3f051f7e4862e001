//! Why record mode could not start or write.

use std::path::PathBuf;

/// Why record mode could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error("could not create the record directory {}", path.display())]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the upstream URL {url:?} is not valid")]
    Url {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("no upstream credentials: {0}")]
    Credentials(String),
    #[error("could not write the transcript {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
