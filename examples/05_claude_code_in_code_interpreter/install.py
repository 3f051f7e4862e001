# Step 1 of example 05, run in the code-interpreter sandbox: Node.js and Claude
# Code under /tmp/claude-code, each skipped when this session already has it.
# The caller prepends NODE_VERSION and NODE_DIST_URL, and reads the last line,
# "@@result " followed by a JSON object.
import json as _json


def _install_claude_code():
    import os
    import platform
    import shutil
    import subprocess
    import tarfile
    import tempfile
    import urllib.request

    base = "/tmp/claude-code"
    node_dir = base + "/node"
    bin_dir = node_dir + "/bin"
    claude = bin_dir + "/claude"
    notes = []

    def failed(stage, reason, url=""):
        return {"ok": False, "stage": stage, "reason": str(reason), "url": url, "notes": notes}

    if os.path.exists(bin_dir + "/node"):
        notes.append("Node.js already present in %s, download skipped" % node_dir)
    else:
        machine = platform.machine().lower()
        arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
        if arch is None:
            return failed("cpu", "there is no Node.js build for this CPU (%s)" % machine)
        name = "node-v%s-linux-%s" % (NODE_VERSION, arch)
        url = "%s/v%s/%s.tar.gz" % (NODE_DIST_URL.rstrip("/"), NODE_VERSION, name)
        # Downloaded to the session's temp dir: nothing lands in base unless it works.
        handle, archive = tempfile.mkstemp(suffix=".tar.gz")
        os.close(handle)
        try:
            with urllib.request.urlopen(url, timeout=120) as response, open(archive, "wb") as f:
                shutil.copyfileobj(response, f)
        except Exception as err:
            os.remove(archive)
            return failed("download", err, url)
        try:
            os.makedirs(base, exist_ok=True)
            with tarfile.open(archive) as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(base, filter="data")
                else:
                    tar.extractall(base)
            shutil.rmtree(node_dir, ignore_errors=True)
            os.rename("%s/%s" % (base, name), node_dir)
        except Exception as err:
            return failed("extract", err, url)
        finally:
            if os.path.exists(archive):
                os.remove(archive)
        notes.append("Node.js v%s (%s) installed in %s" % (NODE_VERSION, arch, node_dir))

    env = dict(os.environ)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["npm_config_cache"] = base + "/npm-cache"
    if os.path.exists(claude):
        notes.append("Claude Code already installed, npm install skipped")
    else:
        npm = [bin_dir + "/npm", "install", "--global", "--no-audit", "--no-fund",
               "@anthropic-ai/claude-code"]
        try:
            done = subprocess.run(npm, env=env, capture_output=True, text=True, timeout=480)
        except subprocess.TimeoutExpired:
            return failed("install", "npm install did not finish within 480 s")
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            return failed("install", " / ".join(tail) or "exit code %d" % done.returncode)
        notes.append("Claude Code installed with npm")
    try:
        version = subprocess.run([claude, "--version"], env=env, capture_output=True,
                                 text=True, timeout=60).stdout.strip()
    except Exception as err:
        return failed("version", err)
    return {"ok": True, "version": version, "notes": notes}


print("@@result " + _json.dumps(_install_claude_code()))
