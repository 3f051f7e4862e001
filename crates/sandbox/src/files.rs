//! File operations inside a session directory, and the path rules that keep them there.
//!
//! Paths are relative to the session directory; an absolute path is accepted only if it
//! lies inside it. Paths are normalised lexically (a `..` that climbs out is refused),
//! then every existing prefix that is a symlink is resolved and must stay inside too.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::error::SandboxError;
use crate::types::{FileData, FileEntry};

/// The two spellings of a session directory: as created and canonical.
#[derive(Debug, Clone)]
pub(crate) struct SessionRoot {
    pub given: PathBuf,
    pub canonical: PathBuf,
}

impl SessionRoot {
    /// Resolves a client path to an absolute path inside the session directory.
    pub(crate) fn resolve(&self, input: &str) -> Result<PathBuf, SandboxError> {
        let outside = || SandboxError::PathOutsideSession { path: input.to_owned() };
        let raw = Path::new(input);
        let relative = if raw.is_absolute() {
            let normalized = normalize(raw).ok_or_else(outside)?;
            match normalized
                .strip_prefix(&self.canonical)
                .or_else(|_| normalized.strip_prefix(&self.given))
            {
                Ok(rest) => rest.to_path_buf(),
                Err(_) => return Err(outside()),
            }
        } else {
            normalize(raw).ok_or_else(outside)?
        };
        let mut current = self.canonical.clone();
        for component in relative.components() {
            current.push(component);
            match fs::symlink_metadata(&current) {
                Ok(meta) if meta.file_type().is_symlink() => match fs::canonicalize(&current) {
                    Ok(target) if target.starts_with(&self.canonical) => {}
                    // Dangling or escaping: refuse, a write would follow it outside.
                    _ => return Err(outside()),
                },
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Ok(self.canonical.join(relative))
    }

    /// The path relative to the session directory, for listings.
    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.canonical).unwrap_or(path).to_string_lossy().into_owned()
    }
}

/// Lexical normalisation: drops `.`, applies `..`; `None` if `..` climbs above the start.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Prefix(_) => return None,
            Component::RootDir => out.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    return None;
                }
                out.pop();
                depth -= 1;
            }
            Component::Normal(part) => {
                out.push(part);
                depth += 1;
            }
        }
    }
    Some(out)
}

fn not_found_or(path: &str, context: &str, err: io::Error) -> SandboxError {
    if err.kind() == io::ErrorKind::NotFound {
        SandboxError::NotFound { path: path.to_owned() }
    } else {
        SandboxError::io(format!("{context} {path}"), err)
    }
}

pub(crate) fn write_files(
    root: &SessionRoot, files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<String>, SandboxError> {
    // Validate everything first so a bad path does not leave a half-done write.
    let mut resolved = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let target = root.resolve(&path)?;
        if target == root.canonical || path.ends_with('/') {
            return Err(SandboxError::InvalidPath { path, reason: "is a directory".into() });
        }
        resolved.push((path, target, bytes));
    }
    let mut written = Vec::with_capacity(resolved.len());
    for (path, target, bytes) in resolved {
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|err| SandboxError::io(format!("creating the parent of {path}"), err))?;
        }
        fs::write(&target, &bytes)
            .map_err(|err| SandboxError::io(format!("writing {path}"), err))?;
        written.push(path);
    }
    Ok(written)
}

pub(crate) fn read_files(
    root: &SessionRoot, paths: &[String],
) -> Result<Vec<FileData>, SandboxError> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let target = root.resolve(path)?;
        let meta = fs::metadata(&target).map_err(|err| not_found_or(path, "reading", err))?;
        if meta.is_dir() {
            return Err(SandboxError::InvalidPath {
                path: path.clone(),
                reason: "is a directory".into(),
            });
        }
        let bytes = fs::read(&target).map_err(|err| not_found_or(path, "reading", err))?;
        let is_text = is_text(&bytes);
        out.push(FileData {
            path: path.clone(),
            mime_type: mime_type(&target, is_text).to_owned(),
            bytes,
            is_text,
        });
    }
    Ok(out)
}

pub(crate) fn list_files(root: &SessionRoot, dir: &str) -> Result<Vec<FileEntry>, SandboxError> {
    let target = root.resolve(dir)?;
    let meta = fs::metadata(&target).map_err(|err| not_found_or(dir, "listing", err))?;
    if !meta.is_dir() {
        return Ok(vec![entry(root, &target, &meta)]);
    }
    let reader = fs::read_dir(&target).map_err(|err| not_found_or(dir, "listing", err))?;
    let mut entries = Vec::new();
    for item in reader {
        let item = item.map_err(|err| SandboxError::io(format!("listing {dir}"), err))?;
        let path = item.path();
        // Follow symlinks for the type and size; fall back to the link itself if dangling.
        let meta = match fs::metadata(&path).or_else(|_| fs::symlink_metadata(&path)) {
            Ok(meta) => meta,
            Err(_) => continue,
        };
        entries.push(entry(root, &path, &meta));
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

fn entry(root: &SessionRoot, path: &Path, meta: &fs::Metadata) -> FileEntry {
    let is_dir = meta.is_dir();
    FileEntry {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        path: root.relative(path),
        is_dir,
        size: if is_dir { 0 } else { meta.len() },
        mime_type: (!is_dir).then(|| mime_for_listing(path).to_owned()),
    }
}

pub(crate) fn remove_files(
    root: &SessionRoot, paths: &[String],
) -> Result<Vec<String>, SandboxError> {
    let mut resolved = Vec::with_capacity(paths.len());
    for path in paths {
        let target = root.resolve(path)?;
        if target == root.canonical {
            return Err(SandboxError::InvalidPath {
                path: path.clone(),
                reason: "the session directory itself cannot be removed".into(),
            });
        }
        let meta =
            fs::symlink_metadata(&target).map_err(|err| not_found_or(path, "removing", err))?;
        resolved.push((path, target, meta.is_dir()));
    }
    let mut removed = Vec::with_capacity(resolved.len());
    for (path, target, is_dir) in resolved {
        let result = if is_dir { fs::remove_dir_all(&target) } else { fs::remove_file(&target) };
        result.map_err(|err| not_found_or(path, "removing", err))?;
        removed.push(path.clone());
    }
    Ok(removed)
}

/// Valid UTF-8 without NUL bytes.
pub(crate) fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

fn known_mime(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "py" => "text/x-python",
        "js" | "mjs" | "cjs" => "text/javascript",
        "ts" => "text/x-typescript",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        _ => return None,
    })
}

/// MIME type by extension; unknown extensions fall back on the content.
pub(crate) fn mime_type(path: &Path, is_text: bool) -> &'static str {
    known_mime(path).unwrap_or(if is_text { "text/plain" } else { "application/octet-stream" })
}

/// Listings do not read file contents, so unknown extensions are octet-stream.
fn mime_for_listing(path: &Path) -> &'static str {
    known_mime(path).unwrap_or("application/octet-stream")
}
