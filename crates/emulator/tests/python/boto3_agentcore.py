"""Drives the emulator with boto3, as the Python sample set would.

Reads the endpoint and credentials from the environment (AWS_ENDPOINT_URL etc.),
prints one line per check, exits non-zero on the first failure.
"""

import base64
import sys

import boto3

SYSTEM = "aws.codeinterpreter.v1"


def results(response):
    for event in response["stream"]:
        if "result" in event:
            yield event["result"]


def main():
    client = boto3.client("bedrock-agentcore")
    started = client.start_code_interpreter_session(
        codeInterpreterIdentifier=SYSTEM, name="boto3-check", sessionTimeoutSeconds=900
    )
    session = started["sessionId"]
    print("started", session)
    try:
        response = client.invoke_code_interpreter(
            codeInterpreterIdentifier=SYSTEM,
            sessionId=session,
            name="executeCode",
            arguments={"language": "python", "code": "print(sum(range(10)))"},
        )
        texts = [c["text"] for r in results(response) for c in r["content"] if c["type"] == "text"]
        assert texts == ["45"], texts  # stripped, as AgentCore reports it
        print("executeCode ok")

        payload = bytes(range(256))
        client.invoke_code_interpreter(
            codeInterpreterIdentifier=SYSTEM,
            sessionId=session,
            name="writeFiles",
            arguments={"content": [{"path": "bytes.bin", "blob": payload}]},
        )
        response = client.invoke_code_interpreter(
            codeInterpreterIdentifier=SYSTEM,
            sessionId=session,
            name="readFiles",
            arguments={"paths": ["bytes.bin"]},
        )
        blocks = [c for r in results(response) for c in r["content"]]
        resource = blocks[0]["resource"]
        data = resource.get("blob")
        if isinstance(data, str):
            data = base64.b64decode(data)
        assert data == payload, "binary round trip differs"
        print("binary round trip ok")

        # The Python SDK's execute_code + download_file: start a call, leave its
        # stream unread, ask for the file it writes. Calls apply in arrival order.
        client.invoke_code_interpreter(
            codeInterpreterIdentifier=SYSTEM,
            sessionId=session,
            name="executeCode",
            arguments={
                "language": "python",
                "code": "import time\ntime.sleep(0.3)\nopen('late.txt', 'w').write('late')",
            },
        )
        response = client.invoke_code_interpreter(
            codeInterpreterIdentifier=SYSTEM,
            sessionId=session,
            name="readFiles",
            arguments={"paths": ["late.txt"]},
        )
        blocks = [c for r in results(response) for c in r["content"]]
        assert blocks and blocks[0].get("resource", {}).get("text") == "late", blocks
        print("arrival order ok")

        # botocore checks minimums only; the service refuses the maximum.
        try:
            client.start_code_interpreter_session(
                codeInterpreterIdentifier=SYSTEM, sessionTimeoutSeconds=28801
            )
            raise AssertionError("a timeout over 28800 s was accepted")
        except client.exceptions.ValidationException as err:
            message = err.response["Error"]["Message"]
            assert "Member must have value less than or equal to 28800" in message, message
            print("validation ok")

        try:
            client.get_code_interpreter_session(codeInterpreterIdentifier=SYSTEM, sessionId="NOSUCH")
        except client.exceptions.ResourceNotFoundException:
            print("not found ok")
    finally:
        client.stop_code_interpreter_session(codeInterpreterIdentifier=SYSTEM, sessionId=session)
        print("stopped", session)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        print("FAILED:", err, file=sys.stderr)
        sys.exit(1)
