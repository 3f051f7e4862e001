"""A Python team's own AgentCore code, run the way the README sets it up: in a shell
that pasted the emulator's printed lines, with whatever AWS variables the user had.

Each part uses a client nobody in this project wrote: boto3 (Converse, InvokeModel,
the AgentCore data plane), the AgentCore SDK's CodeInterpreter helper, and a strands
agent. It prints one line per part that passed and exits non-zero on the first
failure. Parts can be chosen with arguments (default: all).
"""

import json
import sys

import boto3

SYSTEM = "aws.codeinterpreter.v1"
MODEL = "global.anthropic.claude-sonnet-4-6"
PROMPT = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
CODE_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string", "description": "Python code to run"}},
    "required": ["code"],
}


def run_code(client, session, code):
    """Runs code in the session; returns everything it printed."""
    response = client.invoke_code_interpreter(
        codeInterpreterIdentifier=SYSTEM,
        sessionId=session,
        name="executeCode",
        arguments={"language": "python", "code": code},
    )
    texts = []
    for event in response["stream"]:
        for block in event.get("result", {}).get("content", []):
            if block["type"] == "text":
                texts.append(block["text"])
    return "".join(texts)


def with_session(body):
    client = boto3.client("bedrock-agentcore")
    session = client.start_code_interpreter_session(
        codeInterpreterIdentifier=SYSTEM, name="user-setup", sessionTimeoutSeconds=900
    )["sessionId"]
    try:
        return body(client, session)
    finally:
        client.stop_code_interpreter_session(codeInterpreterIdentifier=SYSTEM, sessionId=session)


def converse(client, session):
    runtime = boto3.client("bedrock-runtime")
    messages = [{"role": "user", "content": [{"text": PROMPT}]}]
    tools = {"tools": [{"toolSpec": {"name": "execute_python", "description": "Run Python",
                                     "inputSchema": {"json": CODE_SCHEMA}}}]}
    for _ in range(5):
        reply = runtime.converse(modelId=MODEL, messages=messages, toolConfig=tools)
        message = reply["output"]["message"]
        messages.append(message)
        if reply["stopReason"] != "tool_use":
            return "".join(b.get("text", "") for b in message["content"])
        results = []
        for block in message["content"]:
            if "toolUse" in block:
                output = run_code(client, session, block["toolUse"]["input"]["code"])
                results.append({"toolResult": {"toolUseId": block["toolUse"]["toolUseId"],
                                               "content": [{"text": output}]}})
        messages.append({"role": "user", "content": results})
    raise AssertionError("no final answer in 5 calls")


def invoke_model(client, session):
    runtime = boto3.client("bedrock-runtime")
    messages = [{"role": "user", "content": PROMPT}]
    tools = [{"name": "execute_python", "description": "Run Python", "input_schema": CODE_SCHEMA}]
    for _ in range(5):
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 2048,
                "messages": messages, "tools": tools}
        reply = json.loads(runtime.invoke_model(modelId=MODEL, body=json.dumps(body))["body"].read())
        messages.append({"role": "assistant", "content": reply["content"]})
        if reply["stop_reason"] != "tool_use":
            return "".join(b.get("text", "") for b in reply["content"])
        results = [{"type": "tool_result", "tool_use_id": b["id"],
                    "content": run_code(client, session, b["input"]["code"])}
                   for b in reply["content"] if b["type"] == "tool_use"]
        messages.append({"role": "user", "content": results})
    raise AssertionError("no final answer in 5 calls")


def part_boto3():
    answer = with_session(converse)
    assert "5.5" in answer and "2.87" in answer, answer
    print("boto3 converse ok")
    answer = with_session(invoke_model)
    assert "5.5" in answer and "3.02" in answer, answer
    print("boto3 invoke_model ok")

    def state_and_files(client, session):
        run_code(client, session, "x = 41")
        assert run_code(client, session, "print(x + 1)").strip() == "42"
        # /tmp is the session's own, shared by its Python and its shell commands.
        run_code(client, session, "open('/tmp/from-python.txt', 'w').write('hello')")
        response = client.invoke_code_interpreter(
            codeInterpreterIdentifier=SYSTEM, sessionId=session, name="executeCommand",
            arguments={"command": "cat /tmp/from-python.txt"})
        printed = [b["text"] for e in response["stream"]
                   for b in e.get("result", {}).get("content", []) if b["type"] == "text"]
        assert "".join(printed) == "hello", printed

    with_session(state_and_files)
    print("boto3 agentcore ok")


def part_agentcore_sdk():
    from bedrock_agentcore.tools.code_interpreter_client import CodeInterpreter, code_session

    client = CodeInterpreter("us-west-2")
    client.start(name="sdk-check")
    try:
        client.upload_file("data/values.csv", "x\n1\n2\n3\n", description="three values")
        client.execute_code("import pandas as pd\nprint(pd.read_csv('data/values.csv').x.sum())")
        assert client.download_file("data/values.csv") == "x\n1\n2\n3\n"
        listed = client.invoke("listFiles", {"directoryPath": "data"})
        names = [b.get("name") for e in listed["stream"] for b in e["result"]["content"]]
        assert names == ["values.csv"], names
        result = client.execute_code("print(6 * 7)")
        printed = [b["text"] for e in result["stream"] for b in e["result"]["content"]
                   if b["type"] == "text"]
        assert printed == ["42"], printed  # AgentCore strips the output
    finally:
        assert client.stop()
    with code_session("us-west-2") as scoped:
        scoped.execute_command("echo scoped > /tmp/scoped.txt")
    print("bedrock_agentcore ok")


def part_strands():
    from bedrock_agentcore.tools.code_interpreter_client import CodeInterpreter
    from strands import Agent, tool

    @tool
    def execute_python(code: str) -> str:
        """Run Python code in a sandbox and return what it printed.

        Args:
            code: Python code to run.
        """
        interpreter = CodeInterpreter("us-west-2")
        interpreter.start()
        try:
            result = interpreter.execute_code(code)
            return "".join(b.get("text", "") for e in result["stream"]
                           for b in e["result"]["content"])
        finally:
            interpreter.stop()

    agent = Agent(
        system_prompt="You validate your answers by running code with execute_python.",
        tools=[execute_python],
        model=MODEL,
        callback_handler=None,
    )
    answer = str(agent(PROMPT))
    assert "5.5" in answer, answer
    print("strands ok")


PARTS = {"boto3": part_boto3, "agentcore_sdk": part_agentcore_sdk, "strands": part_strands}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(PARTS):
        PARTS[name]()
