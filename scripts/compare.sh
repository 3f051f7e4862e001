#!/usr/bin/env bash
# Runs the eight examples side by side and prints one table of what each measured.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/compare.sh [--local | --aws] [--with-05] [--json] [--only "01 02 ..."]
                          [--timeout SECS] [--keep DIR]

Builds the examples and the bridge once (cargo build --locked), runs each with --json,
and prints one table: approach, mean and standard deviations as stated in the answer,
model round trips, tool calls, sessions started, input/output/cached tokens, wall time,
and a check against the expected numbers (mean 5.5, population sd 2.8723, sample sd
3.0277; 06 checks its three answers, 07 checks that a ranking of the five cities exists,
and with --compare its traditional run is a row of its own).

Two rows go through the bridge binary (crates/bridge), started here: offline on its
embedded emulator, or with --aws on Bedrock + AgentCore (no Anthropic key needed).
00b is example 00 unchanged (no --local); 07b is example 07's task with the tools kept
in the client (programmatic tool calling), beside 07 (tools pre-loaded into the
sandbox) and 07t (the traditional way). For 07b "trips" are requests to the bridge.

  --local         offline, against each example's embedded emulator (the default)
  --aws           against AWS with the default credential chain (AWS_REGION, AWS_PROFILE
                  are honoured); 00 needs ANTHROPIC_API_KEY and is skipped without it
  --with-05       include 05 against AWS (it creates and deletes an IAM role and a custom
                  code interpreter); offline 05 always runs
  --json          print one JSON document instead of the table
  --only LIST     run only these examples, e.g. --only "01 02"
  --timeout SECS  limit per example run (default 300 offline, 900 against AWS)
  --keep DIR      keep every run's stdout/stderr/exit code in DIR
  -h, --help      this text

Exits non-zero when any check fails.
EOF
}

mode=local
with_05=false
json=false
only="00 01 02 03 04 05 06 07"
timeout_secs=""
keep=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --local) mode=local ;;
    --aws) mode=aws ;;
    --with-05) with_05=true ;;
    --json) json=true ;;
    --only) only="${2:?--only needs a list}"; shift ;;
    --timeout) timeout_secs="${2:?--timeout needs seconds}"; shift ;;
    --keep) keep="${2:?--keep needs a directory}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "$timeout_secs" ]]; then
  if [[ "$mode" == local ]]; then timeout_secs=300; else timeout_secs=900; fi
fi

if [[ -n "$keep" ]]; then
  mkdir -p "$keep"
  out="$(cd "$keep" && pwd)"
  rm -f "$out"/*.json "$out"/*.rc "$out"/*.stderr "$out"/*.skip
else
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi

echo "compare.sh: building the examples and the bridge (cargo build --locked)" >&2
cargo build --examples --locked --quiet >&2
cargo build -p bridge --locked --quiet >&2
bin="${CARGO_TARGET_DIR:-$root/target}/debug/examples"

name_of() {
  case "$1" in
    00) echo 00_anthropic_code_execution ;;
    01) echo 01_converse_api_with_code_interpreter ;;
    02) echo 02_invoke_model_with_code_interpreter ;;
    03) echo 03_strands_agent_with_code_interpreter ;;
    04) echo 04_code_interpreter_highlevel_api ;;
    05) echo 05_claude_code_in_code_interpreter ;;
    06) echo 06_invoke_model_with_caching ;;
    07) echo 07_programmatic_tool_calling ;;
    *) return 1 ;;
  esac
}

# run STEM ARGS...: one example run, its stdout in STEM.json, stderr and exit code beside.
run() {
  local stem="$1"; shift
  local rc=0
  if command -v timeout >/dev/null; then
    timeout --kill-after=10 "$timeout_secs" "$@" >"$stem.json" 2>"$stem.stderr" </dev/null || rc=$?
  else
    "$@" >"$stem.json" 2>"$stem.stderr" </dev/null || rc=$?
  fi
  echo "$rc" >"$stem.rc"
}

# The id `05 setup --json` printed.
interpreter_id() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("code_interpreter_id",""))' "$1" 2>/dev/null || true
}

for ex in $only; do
  name="$(name_of "$ex")" || { echo "compare.sh: no example $ex" >&2; exit 2; }
  exe="$bin/$name"
  echo "compare.sh: running $ex ($mode)" >&2
  flags=(--json)
  [[ "$mode" == local ]] && flags+=(--local)
  case "$ex" in
    00)
      if [[ "$mode" == aws && -z "${ANTHROPIC_API_KEY:-}" ]]; then
        echo "skipped: no ANTHROPIC_API_KEY" >"$out/00.skip"
        continue
      fi
      ;;
    05)
      if [[ "$mode" == local ]]; then
        # Offline the sandbox has no internet; a closed local port makes the Node.js
        # download fail at once instead of waiting for a timeout.
        run "$out/05" "$exe" "${flags[@]}" --node-dist-url http://127.0.0.1:9/dist
      elif [[ "$with_05" == true ]]; then
        run "$out/05-setup" "$exe" "${flags[@]}" setup
        id="$(interpreter_id "$out/05-setup.json")"
        if [[ -n "$id" ]]; then
          run "$out/05-run" "$exe" "${flags[@]}" run "$id" \
            "Write a Python script that prints the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], then run it"
        fi
        # Teardown always runs, whatever setup and run did.
        run "$out/05-teardown" "$exe" "${flags[@]}" teardown
      else
        echo "skipped: creates IAM resources (add --with-05)" >"$out/05.skip"
      fi
      continue
      ;;
    07) flags+=(--compare) ;;
  esac
  run "$out/$ex" "$exe" "${flags[@]}"
done

# Through the bridge binary: 00b, example 00 as a user's unchanged Anthropic code, and
# 07b, example 07's task with the tools kept in the client (programmatic tool calling).
if [[ " $only " == *" 00 "* || " $only " == *" 07 "* ]]; then
  bridge_flags=()
  [[ "$mode" == local ]] && bridge_flags+=(--local)
  "${CARGO_TARGET_DIR:-$root/target}/debug/bridge" "${bridge_flags[@]}" \
    >"$out/bridge.stdout" 2>"$out/bridge.stderr" </dev/null &
  bridge_pid=$!
  for _ in $(seq 1 600); do
    grep -q '^export ANTHROPIC_API_KEY=' "$out/bridge.stdout" 2>/dev/null && break
    kill -0 "$bridge_pid" 2>/dev/null || break
    sleep 0.1
  done
  base_url="$(sed -n 's/^export ANTHROPIC_BASE_URL=//p' "$out/bridge.stdout")"
  api_key="$(sed -n 's/^export ANTHROPIC_API_KEY=//p' "$out/bridge.stdout")"
  for pair in "00b:00_anthropic_code_execution" "07b:07b_programmatic_tool_calling_via_bridge"; do
    stem="${pair%%:*}"
    [[ " $only " == *" ${stem:0:2} "* ]] || continue
    echo "compare.sh: running $stem through the bridge ($mode)" >&2
    if [[ -n "$base_url" && -n "$api_key" ]]; then
      ANTHROPIC_BASE_URL="$base_url" ANTHROPIC_API_KEY="$api_key" \
        run "$out/$stem" "$bin/${pair#*:}" --json
    else
      cp "$out/bridge.stderr" "$out/$stem.stderr"
      echo 1 >"$out/$stem.rc"
    fi
  done
  kill -TERM "$bridge_pid" 2>/dev/null || true
  wait "$bridge_pid" 2>/dev/null || true
fi

report_flags=()
[[ "$json" == true ]] && report_flags+=(--json)
python3 "$root/scripts/compare_report.py" table "$out" "${report_flags[@]}"
