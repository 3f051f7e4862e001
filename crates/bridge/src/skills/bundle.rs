//! The files of a skill as they are uploaded (multipart parts named by their paths,
//! or one zip), checked the way the API checks them: one top folder, a `SKILL.md` in
//! it whose front matter has a valid `name` and `description`, no path that climbs out.

use std::io::Read;

/// The most a skill's files may weigh, in all (the API's limit).
pub const MAX_BYTES: usize = 30 << 20;

/// A skill's files, checked, with what its `SKILL.md` says.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The top folder of every path.
    pub directory: String,
    /// `name` of `SKILL.md`.
    pub name: String,
    /// `description` of `SKILL.md`.
    pub description: String,
    /// Each file: its path below `directory`, and its bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Why an upload is not a skill (the message says what to change).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BundleError(pub String);

fn refuse<T>(message: impl Into<String>) -> Result<T, BundleError> {
    Err(BundleError(message.into()))
}

/// The entries of a zip archive, files only.
fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|err| BundleError(format!("files: the zip cannot be read: {err}")))?;
    let mut files = Vec::new();
    let mut total = 0usize;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|err| BundleError(format!("files: entry {i} of the zip: {err}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        let mut data = Vec::new();
        // Read at most what is still allowed, so a zip bomb stops at the limit.
        let room = (MAX_BYTES - total + 1) as u64;
        entry
            .by_ref()
            .take(room)
            .read_to_end(&mut data)
            .map_err(|err| BundleError(format!("files: {name} in the zip: {err}")))?;
        total += data.len();
        if total > MAX_BYTES {
            return refuse("files: the skill is larger than 30 MB");
        }
        files.push((name, data));
    }
    Ok(files)
}

/// `path` checked to be relative and within its folders.
fn clean(path: &str) -> Result<Vec<&str>, BundleError> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if path.starts_with('/') || parts.contains(&"..") || parts.is_empty() || path.contains('\\') {
        return refuse(format!("files: {path:?} is not a relative path inside the skill's folder"));
    }
    Ok(parts)
}

/// `name` and `description` of a `SKILL.md`'s YAML front matter.
pub fn front_matter(text: &str) -> Result<(String, String), BundleError> {
    let body = text.trim_start_matches('\u{feff}');
    let Some(rest) = body.strip_prefix("---") else {
        return refuse(
            "SKILL.md must start with YAML front matter between --- lines (name, description)",
        );
    };
    let Some((yaml, _)) = rest.split_once("\n---") else {
        return refuse("SKILL.md: the front matter has no closing --- line");
    };
    let value = |key: &str| {
        yaml.lines().find_map(|line| {
            let value = line.strip_prefix(key)?.strip_prefix(':')?.trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Some(unquoted.to_owned())
        })
    };
    let name = value("name").unwrap_or_default();
    let description = value("description").unwrap_or_default();
    let name_ok = (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !name_ok {
        return refuse(format!(
            "SKILL.md: name {name:?} must be 1 to 64 lowercase letters, digits and single hyphens"
        ));
    }
    if name.contains("anthropic") || name.contains("claude") {
        return refuse(format!(
            "SKILL.md: name {name:?} may not contain \"anthropic\" or \"claude\""
        ));
    }
    if description.is_empty() || description.chars().count() > 1024 || description.contains('<') {
        return refuse("SKILL.md: description must be 1 to 1024 characters, without XML tags");
    }
    Ok((name, description))
}

impl Bundle {
    /// The skill made of uploaded `parts` (path, bytes): several files whose paths
    /// start with the skill's folder, or one `.zip` of them.
    pub fn from_parts(parts: Vec<(String, Vec<u8>)>) -> Result<Bundle, BundleError> {
        let parts = match parts.as_slice() {
            [(name, bytes)] if name.to_ascii_lowercase().ends_with(".zip") => unzip(bytes)?,
            _ => parts,
        };
        if parts.is_empty() {
            return refuse("files: a skill needs its files (SKILL.md first among them)");
        }
        if parts.iter().map(|(_, b)| b.len()).sum::<usize>() > MAX_BYTES {
            return refuse("files: the skill is larger than 30 MB");
        }
        let mut directory: Option<String> = None;
        let mut files = Vec::with_capacity(parts.len());
        for (path, bytes) in parts {
            let pieces = clean(&path)?;
            let Some((top, rest)) = pieces.split_first() else {
                return refuse(format!("files: {path:?} names no file"));
            };
            if rest.is_empty() {
                return refuse(format!(
                    "files: {path:?} must be inside the skill's folder (e.g. my-skill/SKILL.md)"
                ));
            }
            match &directory {
                Some(dir) if dir != top => {
                    return refuse(format!(
                        "files: every path must start with the same folder ({dir}/, not {top}/)"
                    ));
                }
                Some(_) => {}
                None => directory = Some((*top).to_owned()),
            }
            files.push((rest.join("/"), bytes));
        }
        let directory = directory.unwrap_or_default();
        let Some((_, skill_md)) = files.iter().find(|(path, _)| path == "SKILL.md") else {
            return refuse(format!("files: {directory}/SKILL.md is missing"));
        };
        let (name, description) = front_matter(&String::from_utf8_lossy(skill_md))?;
        Ok(Bundle { directory, name, description, files })
    }
}
