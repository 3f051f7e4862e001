# Programmatic tool calling inside an AgentCore Code Interpreter session.
#
# The bridge writes the model's code and the client's tools into
# .bridge-ptc/<call>/ and starts this script as a background command:
#
#     python3 .bridge-ptc/runtime.py <call> <seconds a tool call may wait>
#
# Each client tool is an async function here. A call is recorded in status.json
# (rewritten atomically: write, then rename) as pending; the bridge reads that file,
# hands the calls to the client, and writes each result to results/<n>.json, which the
# waiting call picks up. When the code ends, status.json says so, with what it printed.
# Everything lives in the session, so any bridge replica can carry on a paused call.
import ast
import asyncio
import contextlib
import io
import json
import os
import sys
import time
import traceback

CALL = sys.argv[1]
WAIT_SECONDS = float(sys.argv[2])
HOME = os.path.join(".bridge-ptc", CALL)
RESULTS = os.path.join(HOME, "results")


class ToolError(Exception):
    """The client answered a tool call with is_error."""


class ToolCallExpired(Exception):
    """No result came for a tool call within its time."""


class Runtime:
    def __init__(self):
        self.calls = []
        self.answered = set()
        self.flush_scheduled = False
        self.expired = False

    def write_status(self, **extra):
        pending = [c for c in self.calls if c["n"] not in self.answered]
        status = {"pending": pending, "calls": len(self.calls), "done": False}
        status.update(extra)
        tmp = os.path.join(HOME, "status.json.tmp")
        with open(tmp, "w") as f:
            json.dump(status, f)
        os.replace(tmp, os.path.join(HOME, "status.json"))

    def flush(self):
        self.flush_scheduled = False
        self.write_status()

    async def call(self, name, tool_input):
        n = len(self.calls) + 1
        self.calls.append({"n": n, "name": name, "input": tool_input})
        # Calls made in the same turn of the event loop (asyncio.gather) are written
        # together, so the client gets them in one response.
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)
        path = os.path.join(RESULTS, "%d.json" % n)
        deadline = time.monotonic() + WAIT_SECONDS
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                self.expired = True
                raise ToolCallExpired(
                    "%s: no result within %g s" % (name, WAIT_SECONDS))
            await asyncio.sleep(0.02)
        with open(path) as f:
            result = json.load(f)
        self.answered.add(n)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)
        if result.get("is_error"):
            raise ToolError(result.get("content", ""))
        content = result.get("content", "")
        try:
            return json.loads(content)
        except (TypeError, ValueError):
            return content


def tool_function(runtime, spec):
    properties = list((spec.get("input_schema") or {}).get("properties") or {})

    async def call_tool(*args, **kwargs):
        tool_input = dict(zip(properties, args))
        tool_input.update(kwargs)
        return await runtime.call(spec["name"], tool_input)

    call_tool.__name__ = spec["name"]
    call_tool.__doc__ = spec.get("description")
    return call_tool


async def main():
    os.makedirs(RESULTS, exist_ok=True)
    runtime = Runtime()
    with open(os.path.join(HOME, "tools.json")) as f:
        tools = json.load(f)
    with open(os.path.join(HOME, "code.py")) as f:
        code = f.read()
    namespace = {"__name__": "__main__", "ToolError": ToolError}
    for spec in tools:
        namespace[spec["name"]] = tool_function(runtime, spec)
    runtime.write_status()
    out, err = io.StringIO(), io.StringIO()
    return_code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            compiled = compile(code, "<code>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            result = eval(compiled, namespace)
            if asyncio.iscoroutine(result):
                await result
        except BaseException:  # the code's own failure is its output, as in a notebook
            traceback.print_exc()
            return_code = 1
    runtime.write_status(done=True, return_code=return_code, stdout=out.getvalue(),
                         stderr=err.getvalue(), expired=runtime.expired)


asyncio.run(main())
