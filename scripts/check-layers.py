#!/usr/bin/env python3
"""Checks that no crate of the workspace has an import circle between its modules.

cargo-modules (`cargo install cargo-modules --locked`; 0.27 for Rust 1.95) gives each
crate's graph of items and the "uses" edges between them: a function that names a
type, a `use` line, a re-export. This folds every item into the module that holds it
and looks for circles between modules. A circle is printed with one edge of each
step, so you can see which line to move.

    python3 scripts/check-layers.py            # every library of the workspace
    python3 scripts/check-layers.py bridge     # one
"""
import re
import subprocess
import sys
from collections import defaultdict

PACKAGES = ["messages", "agentcore-session", "sandbox", "emulator", "bridge", "common"]
NODE = re.compile(r'^\s*"([^"]+)" \[label="([^"|]*)\|')
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[label="uses"')


def graph(package):
    out = subprocess.run(
        ["cargo", "modules", "dependencies", "--lib", "-p", package,
         "--no-externs", "--no-sysroot", "--no-owns"],
        check=True, capture_output=True, text=True).stdout
    modules, items, edges = set(), set(), []
    for line in out.splitlines():
        if m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif m := NODE.match(line):
            kind = m.group(2).split()[-1]
            (modules if kind in ("mod", "crate") else items).add(m.group(1))
    return modules, items, edges


def module_of(path, modules, items):
    """The module that holds `path`: the path itself if it is a module, else the
    nearest prefix that is not an item (a module without a node of its own is
    still a module: cargo-modules leaves out modules that have no edges)."""
    if path in modules:
        return path
    parent = path.rsplit("::", 1)[0]
    while parent in items:
        parent = parent.rsplit("::", 1)[0]
    return parent


def circles(modules, items, edges):
    lifted, example = defaultdict(set), {}
    for source, target in edges:
        a, b = module_of(source, modules, items), module_of(target, modules, items)
        if a != b:
            lifted[a].add(b)
            example.setdefault((a, b), (source, target))
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(lifted[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(100000)
    for v in sorted(set(lifted) | modules):
        if v not in index:
            visit(v)
    return found, lifted, example


def main():
    status = 0
    for package in sys.argv[1:] or PACKAGES:
        modules, items, edges = graph(package)
        found, lifted, example = circles(modules, items, edges)
        if not found:
            print(f"{package}: no import circles")
            continue
        status = 1
        print(f"{package}: {len(found)} import circle(s)")
        for component in found:
            members = set(component)
            print("  between " + ", ".join(component))
            for a in component:
                for b in sorted(lifted[a] & members):
                    source, target = example[(a, b)]
                    print(f"    {a} -> {b}   ({source} uses {target})")
    sys.exit(status)


if __name__ == "__main__":
    main()
