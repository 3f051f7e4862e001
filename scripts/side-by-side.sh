#!/usr/bin/env bash
# Prints a Python example of the migration set next to its Rust counterpart, in two
# columns, one section per step: the lines before "Step 1", then each "Step N"
# (a comment in either language), then what follows the last step.
#
# Usage: scripts/side-by-side.sh NN PYTHON_DIR [WIDTH]
#   NN          example number, 00 to 07
#   PYTHON_DIR  a checkout's folder holding NN_*.py (the Python set)
#   WIDTH       total width (default: the terminal's, else 160)
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
nn=$1
python_dir=$2
width=${3:-$(tput cols 2>/dev/null || echo 160)}
root=$(cd "$(dirname "$0")/.." && pwd)

python_file=$(ls "$python_dir"/"$nn"_*.py 2>/dev/null | head -1 || true)
rust_file=$(ls "$root"/examples/"$nn"_*.rs 2>/dev/null | head -1 || true)
[[ -n $python_file ]] || { echo "error: no ${nn}_*.py in $python_dir" >&2; exit 1; }
[[ -n $rust_file ]] || { echo "error: no examples/${nn}_*.rs (05 is a directory: compare its files by hand)" >&2; exit 1; }

python3 - "$python_file" "$rust_file" "$width" <<'PY'
import re, sys, textwrap

python_file, rust_file, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
column = (width - 3) // 2
step = re.compile(r'^\s*(#|//)\s*Step (\d+)')

def sections(path):
    """{key: lines}, keys in order: 'before', '1', '2', ..."""
    out, key = {'before': []}, 'before'
    for line in open(path, encoding='utf-8').read().splitlines():
        found = step.match(line)
        if found:
            key = found.group(2)
            out.setdefault(key, [])
        out[key].append(line.expandtabs(4))
    return out

left, right = sections(python_file), sections(rust_file)
keys = ['before'] + sorted({k for k in list(left) + list(right) if k != 'before'}, key=int)
def cell(text):
    return textwrap.wrap(text, column, drop_whitespace=False, replace_whitespace=False) or ['']
print(f"{python_file.rsplit('/', 1)[-1]:<{column}} | {rust_file.rsplit('/', 1)[-1]}")
for key in keys:
    title = 'Before the steps' if key == 'before' else f'Step {key}'
    print(f"{('== ' + title + ' '):=<{column}}=|={'':=<{column}}")
    a = [c for line in left.get(key, []) for c in cell(line)]
    b = [c for line in right.get(key, []) for c in cell(line)]
    for i in range(max(len(a), len(b))):
        l = a[i] if i < len(a) else ''
        r = b[i] if i < len(b) else ''
        print(f"{l:<{column}} | {r}")
PY
