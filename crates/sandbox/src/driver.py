# Persistent Python driver for one code-interpreter session.
#
# The emulator starts this script once per session and sends it JSON lines on its
# original stdin; it answers with one JSON line per request on its original stdout.
# Both are private duplicates: fd 0 is pointed at /dev/null, and fds 1 and 2 are
# pointed at the emulator's capture pipes during each call, so prints and the output
# of child processes (os.system, subprocess) reach the emulator. Keep the imports
# light: start-up time is part of every session start.
import builtins
import json
import linecache
import os
import sys
import time
import traceback


def _fresh_globals():
    return {"__name__": "__main__", "__doc__": None, "__builtins__": builtins}


class Driver:
    def __init__(self):
        self.requests = os.fdopen(os.dup(0), "rb")
        self.responses = os.fdopen(os.dup(1), "wb")
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.close(devnull)
        self.globals = _fresh_globals()
        self.cwd = os.getcwd()
        self.cells = 0
        sys.argv = [""]
        # Modules next to the user's files should be importable, as in a notebook.
        sys.path[0] = ""

    def send(self, obj):
        self.responses.write(json.dumps(obj).encode() + b"\n")
        self.responses.flush()

    def serve(self):
        self.send({"ready": True, "pid": os.getpid()})
        for line in self.requests:
            try:
                req = json.loads(line)
                op = req.get("op")
                if op == "exec":
                    self.send(self.execute(req))
                elif op == "warm":
                    self.send({"ok": True, "loaded": _preload(req.get("modules") or [])})
                elif op == "init":
                    self.init(req)
                    self.send({"ok": True})
                else:
                    self.send({"error": "unknown op %r" % (op,)})
            except Exception as exc:  # a broken request must not kill the session
                self.send({"error": "%s: %s" % (type(exc).__name__, exc)})

    def init(self, req):
        os.environ.update(req.get("env") or {})
        self.cwd = req["cwd"]
        os.chdir(self.cwd)

    def execute(self, req):
        if req.get("clear"):
            self.globals = _fresh_globals()
            try:
                os.chdir(self.cwd)
            except OSError:
                pass
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        out_fd = os.open(req["stdout"], flags, 0o600)
        err_fd = os.open(req["stderr"], flags, 0o600)
        saved_streams = (sys.stdout, sys.stderr)
        _flush(sys.stdout, sys.stderr)
        saved_out, saved_err = os.dup(1), os.dup(2)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.close(out_fd)
        os.close(err_fd)
        start = time.perf_counter()
        try:
            exit_code = self.run_code(req.get("code") or "")
        finally:
            duration_ms = (time.perf_counter() - start) * 1000.0
            _flush(sys.stdout, sys.stderr)
            sys.stdout, sys.stderr = saved_streams
            _flush(sys.stdout, sys.stderr)
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
        return {"exit_code": exit_code, "duration_ms": duration_ms}

    def run_code(self, code):
        self.cells += 1
        filename = "<cell-%d>" % self.cells
        # Register the source so tracebacks can show the offending lines.
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        try:
            # A trailing expression is evaluated but not shown: AgentCore returns what
            # the code printed, not a notebook's value of the last line.
            body = compile(code, filename, "exec")
        except SyntaxError as exc:
            traceback.print_exception(type(exc), exc, None)
            return 1
        try:
            exec(body, self.globals)
            return 0
        except SystemExit as exc:
            return _exit_code(exc.code)
        except BaseException as exc:
            # Drop the driver's own frame so the traceback starts in user code.
            tb = exc.__traceback__.tb_next if exc.__traceback__ else None
            traceback.print_exception(type(exc), exc, tb)
            return 1


def _preload(names):
    # Importing binds nothing in the user's namespace; it only fills sys.modules, so
    # a later `import numpy` in a cell is a dictionary lookup.
    loaded = []
    for name in names:
        try:
            __import__(name)
            loaded.append(name)
        except Exception:
            pass
    return loaded


def _exit_code(code):
    if code is None:
        return 0
    if isinstance(code, bool):
        return int(code)
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _flush(*streams):
    for stream in streams:
        try:
            stream.flush()
        except Exception:
            pass


if __name__ == "__main__":
    Driver().serve()
