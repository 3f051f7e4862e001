//! Confinement from the Linux kernel alone, for machines without bubblewrap.
//!
//! Each sandbox process gets, between `fork` and `exec`:
//!
//! - a Landlock domain (through the `landlock` crate): the system's directories
//!   readable and executable, the host's home directories and `/tmp` out of reach
//!   (except the interpreter's own prefix), only the session's directories writable,
//!   TCP `bind`/`connect` denied unless the interpreter's network mode is `PUBLIC`,
//!   no signals to processes outside the domain (the emulator included), and of
//!   `/proc` only the process's own directory (`/proc/self`), so the emulator's
//!   environment and command line stay out of reach;
//! - a network namespace of its own when the network is off, so UDP and raw
//!   sockets have no route out either;
//! - a mount namespace in which the session's `tmp` directory is `/tmp`, so a
//!   session's processes share one `/tmp` that no other session sees (also used
//!   alone, without Landlock, when isolation is off);
//!
//! the namespaces inside a user namespace when the emulator does not run as root.
//!
//! The ruleset is built in the emulator; the child only enters it, with
//! async-signal-safe system calls.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use landlock::{
    ABI, Access, AccessFs, AccessNet, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope,
};

use super::mounts::Mounts;

/// The Landlock rights this module was written and tested against; older kernels
/// enforce the subset they know (the crate's best-effort mode).
const TARGET: ABI = ABI::V6;

/// Kernel confinement that works on this machine (probed once).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Kernel {
    /// The kernel's Landlock ABI version; 0 for a kernel confinement without
    /// Landlock (the private `/tmp` alone, see [`Kernel::probe_private_tmp`]).
    abi: i32,
    /// Namespaces need a user namespace around them (the emulator is not root).
    user_namespace: bool,
    /// A process without network gets a network namespace of its own.
    net_namespace: bool,
    /// A process gets a mount namespace with the session's `tmp` over `/tmp`.
    mount_namespace: bool,
    /// Top-level directories (and deeper ones beside hidden paths) shown read-only.
    visible: Vec<PathBuf>,
}

impl Kernel {
    /// Landlock if the kernel has it and a confined `/bin/true` runs; with network
    /// and mount namespaces when they can be created too.
    pub(crate) fn probe(hidden: &[PathBuf]) -> Option<Kernel> {
        let abi = landlock_abi();
        if abi < 1 {
            tracing::debug!(abi, "Landlock is not available in this kernel");
            return None;
        }
        let visible = visible_dirs(Path::new("/"), hidden);
        for (net_namespace, mount_namespace) in
            [(true, true), (true, false), (false, true), (false, false)]
        {
            let kernel = Kernel {
                abi,
                user_namespace: needs_user_namespace(),
                net_namespace,
                mount_namespace,
                visible: visible.clone(),
            };
            if kernel.runs_true() {
                return Some(kernel);
            }
        }
        tracing::debug!("a Landlock-confined /bin/true did not run here");
        None
    }

    /// No confinement, only a mount namespace for the session's `/tmp`, if the
    /// kernel lets this process create one.
    pub(crate) fn probe_private_tmp() -> Option<Kernel> {
        let kernel = Kernel {
            abi: 0,
            user_namespace: needs_user_namespace(),
            net_namespace: false,
            mount_namespace: true,
            visible: Vec::new(),
        };
        kernel.runs_true().then_some(kernel).or_else(|| {
            tracing::debug!("no mount namespace here: sessions share the host's /tmp");
            None
        })
    }

    /// Whether processes get the session's `tmp` mounted over `/tmp`.
    pub(crate) fn mounts_tmp(&self) -> bool {
        self.mount_namespace
    }

    fn runs_true(&self) -> bool {
        let root = crate::paths::process_root();
        let _ = std::fs::create_dir_all(&root);
        let Ok(tmp) = tempfile::tempdir_in(root) else {
            return false;
        };
        let mounts = Mounts { tmp: Some(tmp.path().to_path_buf()), ..Mounts::default() };
        let Ok(confinement) = self.confinement(&mounts) else {
            return false;
        };
        let mut command = Command::new("/bin/true");
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        confinement.install(&mut command);
        command.status().is_ok_and(|status| status.success())
    }

    /// What processes get, for the `# sandbox isolation:` line.
    pub(crate) fn describe(&self) -> String {
        let tmp = if self.mount_namespace { "each session's own" } else { "the host's, shared" };
        if self.abi < 1 {
            return format!(
                "none (plain processes with rlimits: host files readable, network on; /tmp {tmp})"
            );
        }
        let network =
            if self.net_namespace { "own network namespace" } else { "TCP denied by Landlock" };
        let tmp = if self.mount_namespace { "/tmp the session's own" } else { "/tmp hidden" };
        format!(
            "landlock (kernel ABI {}; bubblewrap not found: system read-only, home hidden, {tmp}, \
             only the session's directories writable, {network} unless PUBLIC)",
            self.abi
        )
    }

    /// The confinement of one process that may read `mounts.read_only` and write
    /// `mounts.writable` (and `mounts.tmp`, as `/tmp`), ready to install on its
    /// `Command`.
    pub(crate) fn confinement(&self, mounts: &Mounts) -> io::Result<Confinement> {
        let landlock = self.abi >= 1;
        let ruleset =
            if landlock { Some(self.ruleset(mounts).map_err(io::Error::other)?) } else { None };
        let tmp = match &mounts.tmp {
            Some(dir) if self.mount_namespace && !dir.starts_with("/tmp") => {
                Some(TmpMount::new(dir, mounts)?)
            }
            _ => None,
        };
        let mut unshare = 0;
        if landlock && !mounts.network && self.net_namespace {
            unshare |= libc::CLONE_NEWNET;
        }
        if tmp.is_some() {
            unshare |= libc::CLONE_NEWNS;
        }
        let id_maps = (unshare != 0 && self.user_namespace).then(|| {
            unshare |= libc::CLONE_NEWUSER;
            IdMaps::identity()
        });
        Ok(Confinement {
            ruleset,
            own_proc: (AccessFs::ReadFile | AccessFs::ReadDir).bits(),
            unshare,
            id_maps,
            tmp,
        })
    }

    fn ruleset(&self, mounts: &Mounts) -> Result<OwnedFd, landlock::RulesetError> {
        let read = AccessFs::from_read(TARGET);
        let all = AccessFs::from_all(TARGET);
        let mut ruleset = Ruleset::default().handle_access(all)?.scope(Scope::from_all(TARGET))?;
        if !mounts.network {
            ruleset = ruleset.handle_access(AccessNet::from_all(TARGET))?;
        }
        let mut created = ruleset.create()?;
        // Reached through `/tmp`, the session's `tmp` is the root of its own mount:
        // only a rule on that directory itself covers it there.
        let tmp = mounts.tmp.iter().filter(|_| self.mount_namespace);
        let grants = self
            .visible
            .iter()
            .chain(&mounts.read_only)
            .map(|dir| (dir.as_path(), read))
            .chain(std::iter::once((
                Path::new("/dev"),
                read | AccessFs::WriteFile | AccessFs::IoctlDev,
            )))
            .chain(mounts.writable.iter().chain(tmp).map(|dir| (dir.as_path(), all)));
        for (dir, access) in grants {
            // A directory that is gone (an uninstalled runtime) grants nothing.
            let Ok(fd) = PathFd::new(dir) else { continue };
            created = created.add_rule(PathBeneath::new(fd, access))?;
        }
        Option::<OwnedFd>::from(created).ok_or(landlock::RulesetError::CreateRuleset(
            landlock::CreateRulesetError::MissingHandledAccess,
        ))
    }
}

/// Namespaces need a user namespace around them unless the emulator runs as root.
fn needs_user_namespace() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() != 0 }
}

/// The kernel's Landlock ABI version, or a value below 1 without Landlock.
fn landlock_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute and size 0 this only queries the version.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    i32::try_from(version).unwrap_or(-1)
}

/// Every entry under `dir` except `hidden` paths, descending only into the
/// directories that contain a hidden path, so a hidden home inside a visible tree
/// stays hidden.
fn visible_dirs(dir: &Path, hidden: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // `/dev` gets a rule of its own; `/proc` only `/proc/self`, added by the child.
        if hidden.contains(&path) || path == Path::new("/dev") || path == Path::new("/proc") {
            continue;
        }
        if hidden.iter().any(|h| h.starts_with(&path)) {
            out.extend(visible_dirs(&path, hidden));
        } else {
            out.push(path);
        }
    }
    out
}

/// `/proc/self/{setgroups,uid_map,gid_map}` contents, formatted before the fork.
#[derive(Debug)]
struct IdMaps {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl IdMaps {
    fn identity() -> IdMaps {
        // SAFETY: getuid and getgid have no preconditions.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        IdMaps {
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }
}

/// One process's confinement: entered in the child between `fork` and `exec`.
#[derive(Debug)]
pub(crate) struct Confinement {
    /// The Landlock domain; `None` for the private `/tmp` alone.
    ruleset: Option<OwnedFd>,
    /// Landlock rights on the child's own `/proc/<pid>`.
    own_proc: u64,
    unshare: libc::c_int,
    id_maps: Option<IdMaps>,
    /// The session's `tmp` directory, bind-mounted over `/tmp`.
    tmp: Option<TmpMount>,
}

/// The session's `tmp` over `/tmp`, and what of the host's `/tmp` the process still
/// needs there (a Python installed under `/tmp`, say): each of those is bound into
/// the session's `tmp` first, at its own path, and comes along with it.
#[derive(Debug)]
struct TmpMount {
    dir: CString,
    /// (host path, where it goes in the session's `tmp` before that covers `/tmp`).
    keep: Vec<(CString, CString)>,
}

impl TmpMount {
    /// Prepares the mount of `dir` for a process that uses `mounts`; makes the
    /// mount points of the kept paths. Runs in the emulator, before the fork.
    fn new(dir: &Path, mounts: &Mounts) -> io::Result<TmpMount> {
        let c_path = |path: &Path| {
            CString::new(path.as_os_str().as_encoded_bytes()).map_err(io::Error::other)
        };
        let mut keep: Vec<&PathBuf> = mounts
            .read_only
            .iter()
            .chain(&mounts.writable)
            .filter(|path| path.starts_with("/tmp") && path.is_dir())
            .collect();
        keep.sort();
        keep.dedup();
        // A path inside another kept one comes along with it.
        let outer: Vec<&PathBuf> = keep
            .iter()
            .filter(|path| !keep.iter().any(|other| other != *path && path.starts_with(other)))
            .copied()
            .collect();
        let mut pairs = Vec::with_capacity(outer.len());
        for path in outer {
            let Ok(inside) = path.strip_prefix("/tmp") else { continue };
            let target = dir.join(inside);
            std::fs::create_dir_all(&target)?;
            pairs.push((c_path(path)?, c_path(&target)?));
        }
        Ok(TmpMount { dir: c_path(dir)?, keep: pairs })
    }
}

impl Confinement {
    /// Makes `command`'s child enter this confinement before it runs anything.
    pub(crate) fn install(self, command: &mut Command) {
        // SAFETY: `enter` makes only async-signal-safe system calls (unshare, open,
        // write, close, mount, prctl, landlock_restrict_self) on data prepared
        // before the fork, and allocates nothing.
        unsafe {
            command.pre_exec(move || self.enter());
        }
    }

    fn enter(&self) -> io::Result<()> {
        // SAFETY: plain system calls on valid arguments; see `install`.
        unsafe {
            if self.unshare != 0 && libc::unshare(self.unshare) != 0 {
                return Err(io::Error::last_os_error());
            }
            if let Some(maps) = &self.id_maps {
                // Kernels before 3.19 have no setgroups file; nothing to deny there.
                let _ = write_proc(c"/proc/self/setgroups", b"deny");
                write_proc(c"/proc/self/uid_map", &maps.uid_map)?;
                write_proc(c"/proc/self/gid_map", &maps.gid_map)?;
            }
            if let Some(tmp) = &self.tmp {
                let none = std::ptr::null::<libc::c_char>();
                let bind = |from: &CStr, to: &CStr| {
                    let flags = libc::MS_BIND | libc::MS_REC;
                    libc::mount(from.as_ptr(), to.as_ptr(), none, flags, std::ptr::null())
                };
                // Nothing mounted here may propagate back to the host's namespace.
                let private = libc::MS_REC | libc::MS_PRIVATE;
                if libc::mount(none, c"/".as_ptr(), none, private, std::ptr::null()) != 0 {
                    return Err(io::Error::last_os_error());
                }
                for (host, inside) in &tmp.keep {
                    if bind(host, inside) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                if bind(&tmp.dir, c"/tmp") != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            let Some(ruleset) = &self.ruleset else {
                return Ok(());
            };
            // `/proc/self` resolves to the child's own directory only now.
            let own = libc::open(
                c"/proc/self".as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            );
            if own >= 0 {
                let rule = PathBeneathAttr { allowed_access: self.own_proc, parent_fd: own };
                let added = libc::syscall(
                    libc::SYS_landlock_add_rule,
                    ruleset.as_raw_fd(),
                    LANDLOCK_RULE_PATH_BENEATH,
                    &raw const rule,
                    0u32,
                );
                libc::close(own);
                if added != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// `struct landlock_path_beneath_attr` of the kernel's UAPI (packed).
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// `LANDLOCK_RULE_PATH_BENEATH`.
const LANDLOCK_RULE_PATH_BENEATH: libc::c_int = 1;

/// Writes `data` to a `/proc` file in one `write`, as those files require.
fn write_proc(path: &CStr, data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated and `data` is a valid buffer; the descriptor
    // is closed on every path.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let written = libc::write(fd, data.as_ptr().cast(), data.len());
        let result =
            if written == data.len() as isize { Ok(()) } else { Err(io::Error::last_os_error()) };
        libc::close(fd);
        result
    }
}
