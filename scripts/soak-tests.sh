#!/usr/bin/env bash
# Runs the whole test suite N times in a row (default 10) while a CPU hog keeps
# every core busy, to flush out races that a quiet machine hides. Prints one line
# per run and a closing "N passed, M failed"; exits non-zero if any run failed.
#
#   scripts/soak-tests.sh [RUNS]        # logs in $SOAK_LOG_DIR (default: a temp dir)
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-10}"
log_dir="${SOAK_LOG_DIR:-$(mktemp -d -t soak-XXXXXX)}"
mkdir -p "$log_dir"

echo "building the tests once (logs in $log_dir)"
cargo test --workspace --locked --no-run >"$log_dir/build.log" 2>&1 || {
  tail -20 "$log_dir/build.log" >&2
  exit 1
}

# One busy loop per core, for the length of the runs only.
hogs=()
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT

passed=0
failed=0
for run in $(seq "$runs"); do
  start=$(date +%s)
  if cargo test --workspace --locked >"$log_dir/run-$run.log" 2>&1; then
    passed=$((passed + 1))
    result=green
  else
    failed=$((failed + 1))
    result="RED (see $log_dir/run-$run.log)"
  fi
  echo "run $run: $result in $(($(date +%s) - start)) s, load $(cut -d' ' -f1 /proc/loadavg)"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
