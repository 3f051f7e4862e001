"""pytest fixtures that run your AgentCore code against the offline emulator.

Copy this file next to your tests. It starts one `agentcore-emulator` for the test
session (the binary from the releases, `cargo install --path crates/emulator`, or
set AGENTCORE_EMULATOR to its path), reads the lines it prints, and gives every
test the environment that points boto3, the AgentCore SDK and strands at it.
"""

import os
import subprocess

import pytest

# What the emulator's printed `unset` line clears: settings of your shell that
# would send boto3 to AWS or make it sign differently.
OVERRIDES = [
    "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE",
    "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS",
]


@pytest.fixture(scope="session")
def agentcore_emulator():
    """A running emulator: the variables it exports (endpoint, keys, region)."""
    binary = os.environ.get("AGENTCORE_EMULATOR", "agentcore-emulator")
    process = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    exports = {}
    for line in process.stdout:
        if line.startswith("export "):
            name, _, value = line[len("export "):].strip().partition("=")
            exports[name] = value
        if line.startswith("# paste the lines above"):
            break
    if "AWS_ENDPOINT_URL" not in exports:
        process.kill()
        pytest.fail(f"{binary} did not start (see its stderr above)")
    yield exports
    process.terminate()  # ends every session it still has
    process.wait(timeout=30)


@pytest.fixture(autouse=True)
def aws_environment(agentcore_emulator, monkeypatch):
    """Every test talks to the emulator, whatever AWS settings the shell has."""
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    for name, value in agentcore_emulator.items():
        monkeypatch.setenv(name, value)
