//! One-shot processes: `executeCommand` and JavaScript/TypeScript `executeCode`.
//!
//! Each call is a fresh process in its own group, in the session directory, with the
//! scrubbed environment and the session's limits; output goes to capped pipes (`capture::OutputPipe`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::capture::{OutputPipe, append_note};
use super::limits::{self, GroupGuard};
use crate::error::SandboxError;
use crate::types::ExecOutput;

/// Exit code reported for a call that ran out of time, as `timeout(1)` does.
pub(crate) const TIMEOUT_EXIT_CODE: i32 = 124;

/// JavaScript and TypeScript runtimes found on the host PATH.
#[derive(Debug, Clone, Default)]
pub(crate) struct Runtimes {
    pub node: Option<PathBuf>,
    pub deno: Option<PathBuf>,
}

impl Runtimes {
    /// Looked up once per process; PATH does not change under us.
    pub(crate) fn detect() -> &'static Runtimes {
        static RUNTIMES: OnceLock<Runtimes> = OnceLock::new();
        RUNTIMES.get_or_init(|| Runtimes {
            node: limits::find_on_path("node"),
            deno: limits::find_on_path("deno"),
        })
    }

    /// Directories to put on the sandbox PATH.
    pub(crate) fn bin_dirs(&self) -> Vec<PathBuf> {
        [&self.node, &self.deno]
            .into_iter()
            .flatten()
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .collect()
    }

    /// Program and arguments that run a JavaScript file, with an optional V8 heap cap.
    pub(crate) fn javascript(
        &self, file: &Path, heap_mb: Option<u64>,
    ) -> Result<(PathBuf, Vec<String>), SandboxError> {
        let node = self.node.clone().ok_or_else(|| SandboxError::Unsupported {
            what: "JavaScript needs Node.js (`node`) on PATH; it was not found".into(),
        })?;
        let mut args: Vec<String> =
            heap_mb.map(|mb| format!("--max-old-space-size={mb}")).into_iter().collect();
        args.push(file.to_string_lossy().into_owned());
        Ok((node, args))
    }

    /// Program and arguments that run a TypeScript file: deno, else node >= 22.6.
    pub(crate) fn typescript(
        &self, file: &Path, heap_mb: Option<u64>,
    ) -> Result<(PathBuf, Vec<String>), SandboxError> {
        let file = file.to_string_lossy().into_owned();
        let heap = heap_mb.map(|mb| format!("--max-old-space-size={mb}"));
        if let Some(deno) = &self.deno {
            let mut args = vec!["run".to_owned(), "--allow-all".into(), "--quiet".into()];
            args.extend(heap.map(|flag| format!("--v8-flags={flag}")));
            args.push(file);
            return Ok((deno.clone(), args));
        }
        if let Some(node) = &self.node
            && node_strips_types(node)
        {
            let mut args = vec!["--experimental-strip-types".to_owned(), "--no-warnings".into()];
            args.extend(heap);
            args.push(file);
            return Ok((node.clone(), args));
        }
        Err(SandboxError::Unsupported {
            what: "TypeScript needs deno or Node.js >= 22.6 on PATH; found neither".into(),
        })
    }
}

/// Whether this node understands `--experimental-strip-types` (22.6 and later).
fn node_strips_types(node: &Path) -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        let version = Command::new(node)
            .arg("--version")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .unwrap_or_default();
        parse_version(&version) >= Some((22, 6))
    })
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Everything a one-shot run needs from its session.
pub(crate) struct RunContext<'a> {
    pub cwd: &'a Path,
    pub env: &'a limits::SandboxEnv,
    pub limits: limits::Limits,
    pub capture_stem: PathBuf,
    pub timeout: Duration,
    pub output_limit: usize,
    /// stderr into the stdout pipe: one stream in the order written.
    pub merge_output: bool,
    /// Records the process group so shutdown can kill what it leaves behind.
    pub on_spawn: &'a (dyn Fn(u32) + Sync),
}

/// Runs `program args` to completion or timeout and collects capped output.
pub(crate) async fn run(
    wrapped: super::isolation::Wrapped, ctx: RunContext<'_>,
) -> Result<ExecOutput, SandboxError> {
    let out_pipe = OutputPipe::create(ctx.capture_stem.with_extension("out"), ctx.output_limit)?;
    let err_pipe = OutputPipe::create(ctx.capture_stem.with_extension("err"), ctx.output_limit)?;
    let program = wrapped.program.clone();
    let mut command = wrapped.supervised().command();
    let errors = if ctx.merge_output { out_pipe.writer()? } else { err_pipe.writer()? };
    command.current_dir(ctx.cwd).stdin(Stdio::null()).stdout(out_pipe.writer()?).stderr(errors);
    ctx.env.apply(&mut command);
    limits::apply_limits(&mut command, ctx.limits);
    let started = Instant::now();
    let mut child = limits::spawn(command)
        .await
        .map_err(|source| SandboxError::Spawn { program: program.display().to_string(), source })?;
    let pgid = child.id();
    (ctx.on_spawn)(pgid);
    super::watchdog::watch(pgid, ctx.limits.max_processes);
    let guard = GroupGuard::new(pgid);
    let waited = tokio::task::spawn_blocking(move || child.wait());
    let (exit_code, timed_out) = match tokio::time::timeout(ctx.timeout, waited).await {
        Ok(Ok(Ok(status))) => {
            guard.disarm();
            (limits::exit_code(status), false)
        }
        Ok(Ok(Err(err))) => return Err(SandboxError::io("waiting for a command", err)),
        Ok(Err(join)) => {
            return Err(SandboxError::Protocol {
                message: "the command wait task failed".into(),
                source: Some(Box::new(join)),
            });
        }
        Err(_elapsed) => {
            // Dropping the guard kills the group; the blocking wait then reaps the leader.
            drop(guard);
            (TIMEOUT_EXIT_CODE, true)
        }
    };
    let execution_time = started.elapsed();
    let (stdout, mut stderr) = tokio::join!(out_pipe.finish(), err_pipe.finish());
    if let Some(limit) = super::watchdog::tripped(pgid) {
        append_note(
            &mut stderr.text,
            &format!(
                "Process limit exceeded: the command started more than {limit} processes, so all of them were killed"
            ),
        );
    }
    if timed_out {
        append_note(
            &mut stderr.text,
            &format!("Execution timed out after {}", crate::util::format_secs(ctx.timeout)),
        );
    }
    Ok(ExecOutput {
        stdout: stdout.text,
        stderr: stderr.text,
        exit_code,
        execution_time,
        timed_out,
        truncated: stdout.truncated || stderr.truncated,
    })
}
