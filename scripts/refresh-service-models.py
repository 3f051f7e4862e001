#!/usr/bin/env python3
"""Refreshes the AWS service models the emulator validates requests against.

The models are the JSON service descriptions that ship with botocore (the same
files boto3 and the AWS CLI build their requests from). For each service the
emulator serves over REST-JSON, this keeps the operations it answers and every
shape they reach, drops the documentation strings, and writes one file to
crates/emulator/service-models/. Run it after upgrading botocore:

    pip install --upgrade botocore && python3 scripts/refresh-service-models.py
"""

import gzip
import json
import os
import sys

import botocore

# Service name (botocore's folder) -> operations the emulator serves.
SERVICES = {
    "bedrock-agentcore": [
        "StartCodeInterpreterSession",
        "StopCodeInterpreterSession",
        "GetCodeInterpreterSession",
        "ListCodeInterpreterSessions",
        "InvokeCodeInterpreter",
    ],
    "bedrock-agentcore-control": [
        "CreateCodeInterpreter",
        "GetCodeInterpreter",
        "ListCodeInterpreters",
        "DeleteCodeInterpreter",
    ],
    "bedrock-runtime": [
        "Converse",
        "ConverseStream",
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "CountTokens",
    ],
}

# Shape keys the validator reads; everything else (documentation, examples,
# deprecation notes) is dropped.
KEEP = {
    "type", "required", "members", "member", "key", "value", "shape", "min", "max",
    "pattern", "enum", "location", "locationName", "union", "payload", "streaming",
    "eventstream", "idempotencyToken", "sensitive", "timestampFormat",
}


def latest_model(data_dir, service):
    versions = sorted(os.listdir(os.path.join(data_dir, service)))
    path = os.path.join(data_dir, service, versions[-1], "service-2.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def slim(shape):
    """A shape (or a member reference) without the keys the validator ignores."""
    out = {k: v for k, v in shape.items() if k in KEEP}
    if "members" in out:
        out["members"] = {name: slim(ref) for name, ref in out["members"].items()}
    for key in ("member", "key", "value"):
        if key in out:
            out[key] = slim(out[key])
    return out


def reachable(shapes, roots):
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        refs = list(shape.get("members", {}).values())
        refs += [shape[k] for k in ("member", "key", "value") if k in shape]
        todo.extend(ref["shape"] for ref in refs)
    return seen


def main():
    data_dir = os.path.join(os.path.dirname(botocore.__file__), "data")
    out_dir = os.path.join(os.path.dirname(__file__), "..", "crates", "emulator", "service-models")
    for service, operations in SERVICES.items():
        model = latest_model(data_dir, service)
        ops = {}
        for name in operations:
            op = model["operations"][name]
            ops[name] = {"http": op["http"], "input": op["input"]}
        roots = [op["input"]["shape"] for op in ops.values()]
        shapes = {name: slim(model["shapes"][name]) for name in sorted(reachable(model["shapes"], roots))}
        out = {
            "source": f"botocore {botocore.__version__}, data/{service} {model['metadata']['apiVersion']}",
            "metadata": {k: model["metadata"][k] for k in ("apiVersion", "endpointPrefix", "protocol")},
            "operations": ops,
            "shapes": shapes,
        }
        path = os.path.join(out_dir, f"{service}.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(out, handle, indent=1, sort_keys=True)
            handle.write("\n")
        print(f"{path}: {len(ops)} operations, {len(shapes)} shapes", file=sys.stderr)


if __name__ == "__main__":
    main()
