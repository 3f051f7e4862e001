#!/usr/bin/env bash
# Profile-guided function layout for the release example binaries. See --help.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/order-functions.sh [--out FILE] [--help]

Runs each release example binary once under valgrind's callgrind, against the
emulator at $AWS_ENDPOINT_URL or, when that is unset, a standalone
target/release/emulator started for the purpose, and writes the functions the runs
executed, in the order they were first called, to FILE (default
$CARGO_TARGET_DIR/release/function-order.txt). Then relink with it:

  MIGRATION_FUNCTION_ORDER=FILE cargo build --release --examples

build.rs passes the file to the linker (LLD's --symbol-ordering-file), which puts
those functions next to each other. An example then keeps about 2 MB of its code
resident instead of about 6 MB, because the kernel maps code in 64 KiB neighbourhoods
of every page a run touches (see docs/PERFORMANCE.md). The names are the ones of this
build: write the file again after changing code, dependencies or the toolchain (names
it lists that a build lacks are skipped).

Needs valgrind, python3, and release builds of the examples and the emulator
(cargo build --release --examples -p code-interpreter-migration; cargo build
--release -p emulator).
USAGE
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/release/function-order.txt"
while [[ $# -gt 0 ]]; do
    case "$1" in
    --out)
        OUT="${2:?--out needs a file}"
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "unknown argument: $1 (see --help)" >&2
        exit 2
        ;;
    esac
    shift
done

command -v valgrind >/dev/null || {
    echo "valgrind is not installed (apt-get install valgrind)" >&2
    exit 1
}
EXAMPLES=(
    00_anthropic_code_execution
    01_converse_api_with_code_interpreter
    02_invoke_model_with_code_interpreter
    03_strands_agent_with_code_interpreter
    04_code_interpreter_highlevel_api
    06_invoke_model_with_caching
    07_programmatic_tool_calling
)
for name in "${EXAMPLES[@]}"; do
    [[ -x "$TARGET/release/examples/$name" ]] || {
        echo "$TARGET/release/examples/$name is missing: cargo build --release --examples -p code-interpreter-migration" >&2
        exit 1
    }
done

WORK="$(mktemp -d -t order-functions-XXXXXX)"
# shellcheck source=scripts/lib/emulator.sh
source "$ROOT/scripts/lib/emulator.sh"
trap 'stop_emulator; rm -rf "$WORK"' EXIT
if [[ -z "${AWS_ENDPOINT_URL:-}" ]]; then
    [[ -x "$TARGET/release/emulator" ]] || {
        echo "$TARGET/release/emulator is missing: cargo build --release -p emulator" >&2
        exit 1
    }
    start_emulator "$TARGET/release/emulator" "$WORK" || exit 1
    echo "order-functions: emulator at $EMULATOR_URL" >&2
fi

profiles=()
for name in "${EXAMPLES[@]}"; do
    echo "order-functions: profiling $name" >&2
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/$name.cg" \
        "$TARGET/release/examples/$name" >"$WORK/$name.log" 2>&1 || {
        echo "$name failed under valgrind:" >&2
        tail -20 "$WORK/$name.log" >&2
        exit 1
    }
    profiles+=("$WORK/$name.cg")
done
mkdir -p "$(dirname "$OUT")"
python3 "$ROOT/scripts/bench/callgrind_order.py" "${profiles[@]}" >"$OUT"
echo "order-functions: $(wc -l <"$OUT") functions in $OUT" >&2
echo "relink: MIGRATION_FUNCTION_ORDER=$OUT cargo build --release --examples -p code-interpreter-migration" >&2
