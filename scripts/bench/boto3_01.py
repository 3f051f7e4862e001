"""Example 01's conversation driven through boto3, the baseline of scripts/bench.sh.

The same steps as examples/01_converse_api_with_code_interpreter.rs: start a session,
Converse with the execute_python tool, run each tool call with executeCode, Converse
with the results until the model answers, stop the session. Endpoint and credentials
come from the environment (the emulator's `export` lines). Prints the final answer
only, so the run costs what the loop costs and nothing more.
"""

import sys

import boto3

MODEL = "global.anthropic.claude-sonnet-4-6"
INTERPRETER = "aws.codeinterpreter.v1"
PROMPT = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
TOOL = {
    "toolSpec": {
        "name": "execute_python",
        "description": (
            "Run Python code in a secure sandbox and get back what it prints. Use it for "
            "calculations, data analysis, or to check a result. numpy, pandas and "
            "matplotlib are available."
        ),
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"code": {"type": "string", "description": "The Python code to run"}},
                "required": ["code"],
            }
        },
    }
}
MAX_TURNS = 10


def run_code(agentcore, session_id, code):
    response = agentcore.invoke_code_interpreter(
        codeInterpreterIdentifier=INTERPRETER,
        sessionId=session_id,
        name="executeCode",
        arguments={"language": "python", "code": code},
    )
    texts, failed = [], False
    for event in response["stream"]:
        result = event.get("result")
        if result is None:
            continue
        failed = failed or result.get("isError", False)
        texts.extend(c["text"] for c in result.get("content", []) if c.get("type") == "text")
    return "\n".join(texts), failed


def main():
    agentcore = boto3.client("bedrock-agentcore")
    bedrock = boto3.client("bedrock-runtime")
    session_id = agentcore.start_code_interpreter_session(
        codeInterpreterIdentifier=INTERPRETER, name="converse-session", sessionTimeoutSeconds=900
    )["sessionId"]
    try:
        messages = [{"role": "user", "content": [{"text": PROMPT}]}]
        for _ in range(MAX_TURNS):
            response = bedrock.converse(
                modelId=MODEL,
                messages=messages,
                toolConfig={"tools": [TOOL]},
                inferenceConfig={"maxTokens": 4096},
            )
            message = response["output"]["message"]
            messages.append(message)
            if response["stopReason"] != "tool_use":
                print("\n".join(b["text"] for b in message["content"] if "text" in b))
                return 0
            results = []
            for block in message["content"]:
                use = block.get("toolUse")
                if use is None:
                    continue
                text, failed = run_code(agentcore, session_id, use["input"]["code"])
                results.append(
                    {
                        "toolResult": {
                            "toolUseId": use["toolUseId"],
                            "content": [{"text": text}],
                            "status": "error" if failed else "success",
                        }
                    }
                )
            messages.append({"role": "user", "content": results})
        print("turn limit reached", file=sys.stderr)
        return 1
    finally:
        agentcore.stop_code_interpreter_session(
            codeInterpreterIdentifier=INTERPRETER, sessionId=session_id
        )


if __name__ == "__main__":
    sys.exit(main())
