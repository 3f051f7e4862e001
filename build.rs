//! Link settings of the example binaries' release builds on Linux with glibc.
//!
//! - Relative relocations are packed (`-z pack-relative-relocs`, `DT_RELR`): a
//!   position-independent example binary with the AWS SDK otherwise carries close to
//!   a megabyte of relocation records that the dynamic loader reads at every start.
//!   Used when this machine's C toolchain and C library support it.
//! - With `MIGRATION_FUNCTION_ORDER=<file>` (written by `scripts/order-functions.sh`),
//!   the functions a run executes are laid out together (`--symbol-ordering-file`,
//!   which needs LLD, Rust's default linker on x86_64 Linux). The kernel maps code in
//!   64 KiB neighbourhoods of each page touched, so scattered hot code makes most of
//!   the binary resident; packed together, only a fraction of it is.

use std::io::Write;
use std::process::{Command, Stdio};

/// Path of a function order file for the examples' release link.
const ORDER_VAR: &str = "MIGRATION_FUNCTION_ORDER";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed={ORDER_VAR}");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    let native = var("TARGET") == var("HOST");
    if !(linux_gnu && native && var("PROFILE") == "release") {
        return;
    }
    if links_with_relr(&var("OUT_DIR")) {
        println!("cargo::rustc-link-arg-examples=-Wl,-z,pack-relative-relocs");
    }
    let order = var(ORDER_VAR);
    if !order.is_empty() {
        let Ok(order) = std::fs::canonicalize(&order) else {
            eprintln!(
                "{ORDER_VAR}={order}: no such file; write it with scripts/order-functions.sh or unset {ORDER_VAR}"
            );
            std::process::exit(1);
        };
        println!("cargo::rerun-if-changed={}", order.display());
        println!(
            "cargo::rustc-link-arg-examples=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Names the order file lists but this build lacks (another example's, or
        // ones renamed since it was written) are skipped without a warning each.
        println!("cargo::rustc-link-arg-examples=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether `cc` links a trivial program with `-z pack-relative-relocs`.
fn links_with_relr(out_dir: &str) -> bool {
    let output = std::path::Path::new(out_dir).join("relr-probe");
    let child = Command::new("cc")
        .args(["-x", "c", "-", "-o"])
        .arg(&output)
        .arg("-Wl,-z,pack-relative-relocs")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"int main(void) { return 0; }\n");
    }
    let linked = child.wait().is_ok_and(|status| status.success());
    // The program must also start: the C library has to know DT_RELR.
    linked
        && Command::new(&output)
            .status()
            .is_ok_and(|status| status.success())
}
