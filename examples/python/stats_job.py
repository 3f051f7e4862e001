"""The code under test: a job that computes statistics in a Code Interpreter session.

It is ordinary AgentCore code, written for AWS; nothing in it knows about the
emulator. `test_stats_job.py` runs it offline.
"""

import json

import boto3

SYSTEM_INTERPRETER = "aws.codeinterpreter.v1"

CODE = """
import json, statistics
values = json.load(open('values.json'))
print(json.dumps({"mean": statistics.mean(values), "stdev": statistics.pstdev(values)}))
"""


def summarize(values):
    """Mean and population standard deviation of `values`, computed in the sandbox."""
    client = boto3.client("bedrock-agentcore")
    session = client.start_code_interpreter_session(
        codeInterpreterIdentifier=SYSTEM_INTERPRETER, sessionTimeoutSeconds=300
    )["sessionId"]
    try:
        invoke = lambda name, arguments: client.invoke_code_interpreter(  # noqa: E731
            codeInterpreterIdentifier=SYSTEM_INTERPRETER, sessionId=session,
            name=name, arguments=arguments)
        invoke("writeFiles", {"content": [{"path": "values.json", "text": json.dumps(values)}]})
        response = invoke("executeCode", {"language": "python", "code": CODE})
        for event in response["stream"]:
            if "result" in event:
                result = event["result"]
                if result.get("isError"):
                    raise RuntimeError(result["structuredContent"]["stderr"])
                return json.loads(result["structuredContent"]["stdout"])
        raise RuntimeError("no result")
    finally:
        client.stop_code_interpreter_session(
            codeInterpreterIdentifier=SYSTEM_INTERPRETER, sessionId=session)
