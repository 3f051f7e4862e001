#!/usr/bin/env python3
"""Checks and tabulates the `--json` reports of the examples (standard library only).

    compare_report.py table DIR [--json]   one table of every report in DIR
    compare_report.py check FILE...        the verdict for one example's report(s)

DIR holds what scripts/compare.sh wrote for each example NN: `NN.json` (stdout of
`--json`), `NN.stderr` and `NN.rc` (exit code); example 05 against AWS has one triple
per subcommand (`05-setup`, `05-run`, `05-teardown`), and `NN.skip` says why an example
was not run. Exit status: 0 when every check passes (skips included), 1 otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

MEAN, POPULATION, SAMPLE = 5.5, 2.8723, 3.0277
CITIES = ("Seattle", "Portland", "San Francisco", "Los Angeles", "Denver")

APPROACHES = {
    "00": "Anthropic API, server-side tool",
    "00b": "00 unchanged, through the bridge",
    "01": "Converse + Code Interpreter",
    "02": "InvokeModel + Code Interpreter",
    "03": "Agent (one call)",
    "04": "Code Interpreter, no model",
    "05": "Claude Code in a custom CI",
    "06": "InvokeModel + prompt caching",
    "07": "Programmatic tool calling",
    "07t": "07 the traditional way",
    "07b": "07 with the tools in the client (bridge)",
}

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\d])")


def numbers(text: str) -> list[tuple[str, float]]:
    """Every decimal number written in the text, as written and as a value."""
    return [(m.group(0), float(m.group(0))) for m in NUMBER.finditer(text or "")]


def find(text: str, expected: float, tolerance: float) -> str | None:
    """The number of the text closest to `expected` within `tolerance`, as written."""
    best = None
    for written, value in numbers(text):
        gap = abs(value - expected)
        if gap <= tolerance and (best is None or gap < best[0]):
            best = (gap, written)
    return best[1] if best else None


def stats(text: str) -> dict:
    """Mean, population and sample standard deviation as the text states them."""
    return {
        "mean": find(text, MEAN, 0.005),
        "population_std": find(text, POPULATION, 0.0051),
        "sample_std": find(text, SAMPLE, 0.0051),
    }


def check_stats(found: dict) -> tuple[bool, str]:
    """Passes when the mean and at least one standard deviation are stated."""
    missing = [k for k in ("mean",) if not found["mean"]]
    if not (found["population_std"] or found["sample_std"]):
        missing.append("a standard deviation")
    if missing:
        return False, "missing " + " and ".join(missing)
    return True, "mean and std match"


def check_ranking(answer: str) -> tuple[bool, str]:
    """Example 07: every city named and an ordered ranking (1. ... or Rank 1 ...)."""
    absent = [c for c in CITIES if c not in (answer or "")]
    ordered = re.search(r"(?m)(^\s*(\*\*)?1[.)]|Rank 1|#1\b|1st)", answer or "")
    if absent:
        return False, "no ranking: missing " + ", ".join(absent)
    if not ordered:
        return False, "cities named but not ranked"
    return True, "ranking of all 5 cities"


def check_calls(calls: list) -> tuple[bool, str]:
    """Example 06: the mean, a standard deviation, then median 4.5 and mode 5."""
    if len(calls) != 3:
        return False, f"{len(calls)} calls instead of 3"
    answers = [c.get("answer") or "" for c in calls]
    problems = []
    if not find(answers[0], MEAN, 0.005):
        problems.append("call 1 has no mean 5.5")
    second = stats(answers[1])
    if not (second["population_std"] or second["sample_std"]):
        problems.append("call 2 has no standard deviation")
    if not find(answers[2], 4.5, 0.005):
        problems.append("call 3 has no median 4.5")
    if not re.search(r"(?i)mode[^0-9]{0,40}5\b|\b5\b[^.]{0,40}mode", answers[2]):
        problems.append("call 3 has no mode 5")
    if problems:
        return False, "; ".join(problems)
    return True, "3 answers match"


def load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def failure(stem: Path, what: str) -> str:
    """Why a run failed: its exit code and the last line of its stderr."""
    rc = stem.with_suffix(".rc")
    err = stem.with_suffix(".stderr")
    code = rc.read_text().strip() if rc.exists() else "?"
    last = ""
    if err.exists():
        lines = [line for line in err.read_text(errors="replace").splitlines() if line.strip()]
        last = lines[-1][:100] if lines else ""
    if code == "124":
        return f"{what}: timed out"
    return f"{what}: exit {code}" + (f" ({last})" if last else "")


def usage_of(report: dict) -> dict:
    usage = report.get("usage") or {}
    return {k: usage.get(k) for k in (
        "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")}


def row(example: str, report: dict, passed: bool, note: str, text: str = "") -> dict:
    return {
        "example": example,
        "approach": APPROACHES.get(example, example),
        **stats(text),
        "round_trips": report.get("round_trips"),
        "tool_calls": report.get("tool_calls"),
        "sessions_started": report.get("sessions_started"),
        "usage": usage_of(report),
        "wall_ms": report.get("wall_ms"),
        "status": "pass" if passed else "FAIL",
        "check": note,
    }


def skipped(example: str, reason: str) -> dict:
    r = row(example, {}, True, reason)
    r["status"] = "skip"
    return r


def rows_for(example: str, directory: Path) -> list[dict]:
    """The table rows of one example (07 with --compare gives two)."""
    skip = directory / f"{example}.skip"
    if skip.exists():
        return [skipped(example, skip.read_text().strip())]
    if example == "05" and (directory / "05-setup.rc").exists():
        return [five_against_aws(directory)]
    stem = directory / example
    report = load(stem.with_suffix(".json"))
    rc = stem.with_suffix(".rc")
    ok_exit = rc.exists() and rc.read_text().strip() == "0"
    if report is None or not ok_exit:
        return [row(example, report or {}, False, failure(stem, "run failed"))]
    return verdict(example, report)


def verdict(example: str, report: dict) -> list[dict]:
    """Checks one report against what its example must answer."""
    if example == "04":
        text = report.get("output") or ""
        return [row(example, report, *check_stats(stats(text)), text)]
    if example == "05":
        return [five(report)]
    if example == "06":
        calls = report.get("calls") or []
        text = "\n".join(c.get("answer") or "" for c in calls)
        return [row(example, report, *check_calls(calls), text)]
    if example == "07b":
        return [row(example, report, *check_ranking(report.get("answer") or ""))]
    if example == "07":
        answer = report.get("answer") or ""
        rows = [row(example, report, *check_ranking(answer))]
        traditional = report.get("traditional")
        if isinstance(traditional, dict):
            t = dict(traditional, sessions_started=0)
            rows.append(row("07t", t, *check_ranking(traditional.get("answer") or "")))
            rows[-1]["sessions_started"] = None
        return rows
    answer = report.get("answer") or ""
    return [row(example, report, *check_stats(stats(answer)), answer)]


def five(report: dict) -> dict:
    """Example 05 offline: setup and teardown succeed, the session is stopped; the sandbox
    cannot download Node.js without the internet, which the run reports as a step."""
    steps = {s.get("step"): s.get("status") for s in report.get("steps") or []}
    needed = ("role", "code_interpreter", "delete_code_interpreter", "delete_role")
    bad = [s for s in needed if steps.get(s) != "ok"]
    if bad:
        return row("05", report, False, "steps not ok: " + ", ".join(bad))
    if steps.get("claude") == "ok":
        text = report.get("claude_output") or ""
        return row("05", report, *check_stats(stats(text)), text)
    note = "setup+teardown ok; Claude Code not run (no internet)"
    return row("05", report, True, note)


def five_against_aws(directory: Path) -> dict:
    """Example 05 against AWS: setup, run and teardown, each its own process."""
    parts = {}
    for sub in ("setup", "run", "teardown"):
        stem = directory / f"05-{sub}"
        rc = stem.with_suffix(".rc")
        report = load(stem.with_suffix(".json"))
        if report is None or not rc.exists() or rc.read_text().strip() != "0":
            return row("05", report or {}, False, failure(stem, f"{sub} failed"))
        parts[sub] = report
    run = parts["run"]
    text = run.get("claude_output") or ""
    wall = sum(p.get("wall_ms") or 0 for p in parts.values())
    merged = dict(run, wall_ms=wall)
    return row("05", merged, *check_stats(stats(text)), text)


def cell(value) -> str:
    return "-" if value is None or value == "" else str(value)


def render(rows: list[dict]) -> str:
    headers = ["#", "approach", "mean", "pop sd", "sample sd", "trips", "tools",
               "sessions", "in tok", "out tok", "cached r/w", "wall ms", "check"]
    lines = []
    for r in rows:
        u = r["usage"]
        cached = "-"
        if u.get("cache_read_input_tokens") is not None:
            cached = f"{u['cache_read_input_tokens']}/{u.get('cache_write_input_tokens') or 0}"
        lines.append([
            r["example"], r["approach"], cell(r["mean"]), cell(r["population_std"]),
            cell(r["sample_std"]), cell(r["round_trips"]), cell(r["tool_calls"]),
            cell(r["sessions_started"]), cell(u.get("input_tokens")),
            cell(u.get("output_tokens")), cached, cell(r["wall_ms"]),
            f"{r['status']}: {r['check']}",
        ])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    numeric = set(range(2, 12))

    def fmt(values):
        return "  ".join(
            v.rjust(widths[i]) if i in numeric else v.ljust(widths[i])
            for i, v in enumerate(values)).rstrip()

    out = [fmt(headers), fmt(["-" * w for w in widths])]
    out.extend(fmt(line) for line in lines)
    return "\n".join(out)


def examples_in(directory: Path) -> list[str]:
    found = set()
    for path in directory.iterdir():
        match = re.match(r"^(\d\d[a-z]?)(?:-\w+)?\.(json|rc|skip)$", path.name)
        if match:
            found.add(match.group(1))
    return sorted(found)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    command = argv[1]
    if command == "table" and len(argv) >= 3:
        directory = Path(argv[2])
        rows = [r for ex in examples_in(directory) for r in rows_for(ex, directory)]
        failed = any(r["status"] == "FAIL" for r in rows)
        if "--json" in argv[3:]:
            document = {"expected": {"mean": MEAN, "population_std": POPULATION,
                                     "sample_std": SAMPLE},
                        "passed": not failed, "rows": rows}
            print(json.dumps(document, indent=2))
        else:
            print(render(rows))
            passed = sum(r["status"] == "pass" for r in rows)
            skips = sum(r["status"] == "skip" for r in rows)
            fails = sum(r["status"] == "FAIL" for r in rows)
            print(f"\n{passed} passed, {fails} failed" + (f", {skips} skipped" if skips else ""))
        return 1 if failed else 0
    if command == "check" and len(argv) >= 3:
        failed = False
        for name in argv[2:]:
            stem = Path(name).with_suffix("")
            example = stem.name.split("-")[0]
            for r in rows_for(example, stem.parent):
                print(f"{r['example']}: {r['status']}: {r['check']}")
                failed = failed or r["status"] == "FAIL"
        return 1 if failed else 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
