#!/usr/bin/env python3
"""Checks that the README's two commands resolve the same crate features.

`cargo run --example ...` resolves features for the root package alone; `cargo test
--workspace` resolves them for every package of the workspace at once. Where a crate
gets other features in the second, cargo builds it again with a new hash: on a fresh
clone that was most of the AWS SDK built twice (two minutes on two cores). The root
package's dev-dependencies ask for the same features to prevent it; this script fails
when a dependency change makes the two drift apart, and names the crates.

    python3 scripts/check-features.py

It runs `cargo tree` only (no build), so it takes a second or two.
"""
import re
import subprocess
import sys

LINE = re.compile(r"^(\S+) (v\S+)(?: \([^)]*\))? \[(.*)\]$")


def features(*selection):
    out = subprocess.run(
        ["cargo", "tree", "--locked", "-e", "normal,dev,build", "--prefix", "none",
         "--no-dedupe", "-f", "{p} [{f}]", *selection],
        check=True, capture_output=True, text=True).stdout
    resolved = {}
    for line in out.splitlines():
        if m := LINE.match(line.strip()):
            resolved.setdefault((m.group(1), m.group(2)), set()).add(m.group(3))
    return resolved


def main():
    example = features()                  # what `cargo run --example` builds
    workspace = features("--workspace")   # what `cargo test --workspace` builds
    drift = []
    for crate, sets in sorted(example.items()):
        other = workspace.get(crate)
        if other is not None and other != sets:
            drift.append(f"  {crate[0]} {crate[1]}: examples [{' | '.join(sorted(sets))}]"
                         f", workspace [{' | '.join(sorted(other))}]")
    if drift:
        print("These crates get other features under `cargo test --workspace` than under "
              "`cargo run --example`, so the second command builds them again:")
        print("\n".join(drift))
        print("Ask for the workspace's features in the root Cargo.toml's "
              "dev-dependencies (see the comment there).")
        return 1
    print(f"features: the examples and the workspace agree on all {len(example)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
