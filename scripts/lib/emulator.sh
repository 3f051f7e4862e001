# shellcheck shell=bash
# Sourced by scripts that need a standalone emulator: start_emulator BINARY LOG_DIR
# starts it, waits for its set-up lines (READY, then the unset and export lines a user
# pastes), runs them here and sets EMULATOR_PID; stop_emulator stops it.

EMULATOR_PID=""

start_emulator() {
    local binary="$1" log_dir="$2" out
    out="$log_dir/emulator.out"
    "$binary" >"$out" 2>"$log_dir/emulator.err" &
    EMULATOR_PID=$!
    for _ in $(seq 1 600); do
        if grep -q '^# paste the lines above' "$out" 2>/dev/null; then break; fi
        if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
            cat "$log_dir/emulator.err" >&2
            return 1
        fi
        sleep 0.1
    done
    grep -q '^READY ' "$out" || {
        echo "the emulator did not print READY (see $log_dir/emulator.err)" >&2
        return 1
    }
    # What the README tells a user to paste: every line after READY.
    # shellcheck disable=SC1090
    source <(grep -v '^READY ' "$out")
    unset AWS_PROFILE MIGRATION_LOCAL MIGRATION_JSON MIGRATION_VERBOSE BEDROCK_MODEL_ID
    export EMULATOR_URL
    EMULATOR_URL="$(sed -n 's/^READY //p' "$out")"
}

stop_emulator() {
    if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill -TERM "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
    fi
    EMULATOR_PID=""
}
