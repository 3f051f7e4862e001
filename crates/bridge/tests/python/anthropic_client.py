"""Drives the bridge with the anthropic SDK, unmodified: ANTHROPIC_BASE_URL and
ANTHROPIC_API_KEY point it at the bridge. Prints one JSON object of what it saw;
the Rust test asserts on it."""

import json
import os

import anthropic

PROMPT = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
TOOL_0825 = {"type": "code_execution_20250825", "name": "code_execution"}
TOOL_0522 = {"type": "code_execution_20250522", "name": "code_execution"}
client = anthropic.Anthropic()
seen = {}


def summary(message):
    return {
        "types": [block.type for block in message.content],
        "text": "\n".join(b.text for b in message.content if b.type == "text"),
        "stop_reason": message.stop_reason,
        "container": message.container.id if message.container else None,
        "expires_at": str(message.container.expires_at) if message.container else None,
        "input_tokens": message.usage.input_tokens,
        "output_tokens": message.usage.output_tokens,
    }


def create(betas, tool, prompt=PROMPT, **extra):
    return client.beta.messages.create(
        model="claude-sonnet-4-6", betas=betas, max_tokens=4096,
        messages=[{"role": "user", "content": prompt}], tools=[tool], **extra)


def error(call):
    try:
        call()
    except anthropic.APIStatusError as err:
        return {"status": err.status_code, "class": type(err).__name__, "message": str(err)}
    return None


first = create(["code-execution-2025-08-25"], TOOL_0825)
seen["create_0825"] = summary(first)
with client.beta.messages.stream(
        model="claude-sonnet-4-6", betas=["code-execution-2025-08-25"], max_tokens=4096,
        messages=[{"role": "user", "content": PROMPT}], tools=[TOOL_0825]) as stream:
    streamed_text = "".join(stream.text_stream)
    seen["stream_0825"] = summary(stream.get_final_message())
    seen["stream_0825"]["streamed_text"] = streamed_text
seen["create_0522"] = summary(create(["code-execution-2025-05-22"], TOOL_0522))
# The file the first request wrote, seen from a second request in its container.
seen["reuse"] = summary(create(["code-execution-2025-08-25"], TOOL_0825,
                               prompt="Show me the first line of stats.py",
                               container=first.container.id))

seen["missing_beta"] = error(lambda: create([], TOOL_0825))
seen["unknown_model"] = error(lambda: client.beta.messages.create(
    model="claude-sonnet-4-5-20250929", betas=["code-execution-2025-08-25"], max_tokens=10,
    messages=[{"role": "user", "content": PROMPT}], tools=[TOOL_0825]))
seen["unknown_container"] = error(lambda: create(["code-execution-2025-08-25"], TOOL_0825,
                                                 container="container_not-a-real-one"))
seen["blank_text"] = error(lambda: create(["code-execution-2025-08-25"], TOOL_0825, prompt=[
    {"type": "text", "text": ""}]))
wrong = anthropic.Anthropic(api_key="sk-wrong")
seen["wrong_key"] = error(lambda: wrong.beta.messages.create(
    model="claude-sonnet-4-6", betas=["code-execution-2025-08-25"], max_tokens=10,
    messages=[{"role": "user", "content": PROMPT}], tools=[TOOL_0825]))
seen["models"] = [model.id for model in client.models.list()]
print(json.dumps(seen))
