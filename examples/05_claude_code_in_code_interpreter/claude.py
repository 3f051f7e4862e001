# Step 2 of example 05, run in the code-interpreter sandbox: Claude Code on one
# prompt, with Bedrock as its model provider. The caller prepends PROMPT, MODEL,
# REGION and TIMEOUT_SECS, and reads the last line, "@@result " and a JSON object.
import json as _json


def _run_claude_code():
    import os
    import subprocess

    bin_dir = "/tmp/claude-code/node/bin"
    workspace = "/tmp/workspace"
    home = "/tmp/claude-home"
    os.makedirs(workspace, exist_ok=True)
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "ANTHROPIC_MODEL": MODEL,
        "AWS_REGION": REGION,
        "HOME": home,
    })
    command = [bin_dir + "/claude", "-p", PROMPT, "--output-format", "text",
               "--allowedTools", "Edit", "Write", "Bash(*)"]
    try:
        done = subprocess.run(command, cwd=workspace, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=TIMEOUT_SECS)
    except subprocess.TimeoutExpired as err:
        partial = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        return {"ok": False, "reason": "no answer within %d s" % TIMEOUT_SECS, "stdout": partial}
    except OSError as err:
        return {"ok": False, "reason": str(err)}
    return {"ok": done.returncode == 0, "exit_code": done.returncode,
            "stdout": done.stdout, "stderr": done.stderr}


print("@@result " + _json.dumps(_run_claude_code()))
