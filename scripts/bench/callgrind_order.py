#!/usr/bin/env python3
"""Prints, one per line, the symbols of the profiled program's own binary that a run
executed, in the order callgrind first met them. Arguments: callgrind output files
(written with --demangle=no, so the names are the linker's); the symbols of later
files that earlier ones lacked are appended. See scripts/order-functions.sh."""

import re
import sys

NAMED = re.compile(r"(c?ob|c?fn|c?fi|c?fe)=\((\d+)\)(?: (.*))?$")


def executed(path):
    """The program's own functions in the order their cost records first appear."""
    objects, functions, order = {}, {}, []
    program, current_object = None, None
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if line.startswith("cmd: "):
                program = line[5:].split()[0]
                continue
            match = NAMED.match(line)
            if not match:
                continue
            kind, number, name = match.groups()
            table = objects if kind.endswith("ob") else functions if kind.endswith("fn") else None
            if table is not None and name:
                table[number] = name
            if kind == "ob":
                current_object = objects.get(number)
            elif kind == "fn" and current_object and program and current_object.endswith(program.lstrip(".")):
                order.append(functions[number])
    return order


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: callgrind_order.py CALLGRIND_OUT...")
    seen = set()
    for path in sys.argv[1:]:
        for name in executed(path):
            if name not in seen:
                seen.add(name)
                print(name)


if __name__ == "__main__":
    main()
