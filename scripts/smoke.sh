#!/usr/bin/env bash
# The smoke run against a real AWS account (CI: .github/workflows/smoke.yml).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/smoke.sh [--require-aws] [--with-05] [--only "01 02 ..."] [--timeout SECS]
                        [--keep DIR]

Runs the examples against AWS and checks their numbers, in this order:
  1. credentials: the default chain must resolve (environment, profile, SSO, OIDC role);
     without credentials it prints why and exits 0 (skipped), or 1 with --require-aws;
  2. model access: one tiny Converse call to each model id the examples use;
  3. every example with a time limit, checked by scripts/compare.sh --aws (00 only when
     ANTHROPIC_API_KEY is set; 05's setup, run and teardown only with --with-05);
  4. cleanup: READY sessions on aws.codeinterpreter.v1 that the examples started during
     this run are listed and stopped; finding any fails the run (an example leaked it).
     This step runs on every exit path, Ctrl-C included.

The checks use `smoke`, a small Rust helper of this workspace (crates/smoke), so the
machine needs only Rust, Python 3's standard library and this repository: no AWS CLI,
no boto3.

  --require-aws   fail instead of skipping when there are no credentials
  --with-05       also run example 05 (creates and deletes an IAM role and a custom
                  code interpreter)
  --only LIST     run only these examples
  --timeout SECS  limit per example run (default 600)
  --keep DIR      keep every run's output in DIR
  -h, --help      this text

Region, profile and models come from AWS_REGION (default us-west-2), AWS_PROFILE and
BEDROCK_MODEL_ID, as for the examples.
EOF
}

require_aws=false
compare_args=(--aws)
timeout_secs=600
while [[ $# -gt 0 ]]; do
  case "$1" in
    --require-aws) require_aws=true ;;
    --with-05) compare_args+=(--with-05) ;;
    --only) compare_args+=(--only "${2:?--only needs a list}"); shift ;;
    --timeout) timeout_secs="${2:?--timeout needs seconds}"; shift ;;
    --keep) compare_args+=(--keep "${2:?--keep needs a directory}"); shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "smoke.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
compare_args+=(--timeout "$timeout_secs")

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

echo "== building the smoke helper and the examples"
cargo build --locked --quiet -p smoke
cargo build --locked --quiet --examples
smoke="${CARGO_TARGET_DIR:-$root/target}/debug/smoke"

echo "== credentials"
rc=0
"$smoke" credentials || rc=$?
if [[ $rc -eq 3 ]]; then
  if [[ "$require_aws" == true ]]; then
    echo "smoke.sh: no AWS credentials, and --require-aws was given" >&2
    exit 1
  fi
  echo "smoke.sh: SKIPPED: no AWS credentials (configure the default chain, or run offline: scripts/compare.sh)"
  exit 0
elif [[ $rc -ne 0 ]]; then
  echo "smoke.sh: the credentials do not work (see above)" >&2
  exit 1
fi

echo "== model access"
"$smoke" model-access

started="$(date +%s)"
cleanup() {
  local status=$?
  echo "== cleanup: READY sessions started by this run"
  if ! "$smoke" sessions --stop --since "$started"; then
    echo "smoke.sh: sessions were left READY (stopped now); an example did not stop its session" >&2
    status=1
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== examples"
"$root/scripts/compare.sh" "${compare_args[@]}"
