"""Drives the bridge with the anthropic SDK, unmodified: ANTHROPIC_BASE_URL and
ANTHROPIC_API_KEY point it at the bridge. Prints one JSON object of what it saw;
the Rust test asserts on it. The argument names the part to run: `messages`, `files`,
`client_tool`, or `pause` (for a bridge started with --max-steps 1)."""

import json
import sys

import anthropic

PROMPT = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
TOOL_0825 = {"type": "code_execution_20250825", "name": "code_execution"}
TOOL_0522 = {"type": "code_execution_20250522", "name": "code_execution"}
TOOL_0120 = {"type": "code_execution_20260120", "name": "code_execution"}
GET_TEMPERATURE = {
    "name": "get_temperature", "description": "The temperature in a city, in Celsius.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                     "required": ["city"]}}
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


def pause_turn():
    """Sends the paused turn back as it came until the model answers, as the API's
    documentation says to."""
    messages = [{"role": "user", "content": PROMPT}]
    container, pauses = None, 0
    while True:
        reply = client.messages.create(
            model="claude-sonnet-4-6", max_tokens=4096, messages=messages, tools=[TOOL_0825],
            **({"container": container} if container else {}))
        container = reply.container.id
        if reply.stop_reason != "pause_turn":
            return {**summary(reply), "pauses": pauses}
        pauses += 1
        messages = [messages[0], {"role": "assistant", "content": (
            messages[1]["content"] if len(messages) > 1 else []) + list(reply.content)}]


def messages_api():
    first = create(["code-execution-2025-08-25"], TOOL_0825)
    seen["create_0825"] = summary(first)
    with client.beta.messages.stream(
            model="claude-sonnet-4-6", betas=["code-execution-2025-08-25"], max_tokens=4096,
            messages=[{"role": "user", "content": PROMPT}], tools=[TOOL_0825]) as stream:
        streamed_text = "".join(stream.text_stream)
        seen["stream_0825"] = summary(stream.get_final_message())
        seen["stream_0825"]["streamed_text"] = streamed_text
    seen["create_0522"] = summary(create(["code-execution-2025-05-22"], TOOL_0522))
    # The tool is generally available: the plain client, no beta header, a newer version.
    seen["ga_0120"] = summary(client.messages.create(
        model="claude-sonnet-4-6", max_tokens=4096, messages=[{"role": "user", "content": PROMPT}],
        tools=[TOOL_0120]))
    # The file the first request wrote, seen from a second request in its container.
    seen["reuse"] = summary(create(["code-execution-2025-08-25"], TOOL_0825,
                                   prompt="Show me the first line of stats.py",
                                   container=first.container.id))

    # Token counting, with and without the tool.
    count = lambda **tools: client.messages.count_tokens(
        model="claude-sonnet-4-6", messages=[{"role": "user", "content": PROMPT}],
        **tools).input_tokens
    seen["count_tokens"] = {"plain": count(), "with_tool": count(tools=[TOOL_0825])}


def files():
    # Files: upload, put into the container, get back what the code wrote.
    uploaded = client.beta.files.upload(
        file=("data.csv", b"item,amount\napples,3\npears,4.5\nplums,2\n", "text/csv"))
    with_file = create(["code-execution-2025-08-25", "files-api-2025-04-14"], TOOL_0825, prompt=[
        {"type": "container_upload", "file_id": uploaded.id},
        {"type": "text", "text": "Add up the amount column of data.csv and save it with a total row."}])
    outputs = [item.file_id for block in with_file.content
               if block.type == "bash_code_execution_tool_result"
               for item in getattr(block.content, "content", [])]
    written = client.beta.files.retrieve_metadata(outputs[0]) if outputs else None
    seen["files"] = {
        "uploaded": {"id": uploaded.id, "filename": uploaded.filename,
                     "size_bytes": uploaded.size_bytes, "downloadable": uploaded.downloadable},
        "reply": summary(with_file),
        "outputs": outputs,
        "written": written and {"filename": written.filename, "mime_type": written.mime_type,
                                "downloadable": written.downloadable},
        "downloaded": client.beta.files.download(outputs[0]).text() if outputs else None,
        "listed": [f.id for f in client.beta.files.list()],
        "download_upload": error(lambda: client.beta.files.download(uploaded.id)),
        "deleted": client.beta.files.delete(uploaded.id).type,
        "after_delete": error(lambda: client.beta.files.retrieve_metadata(uploaded.id)),
        "unknown_upload": error(lambda: create(["code-execution-2025-08-25"], TOOL_0825, prompt=[
            {"type": "container_upload", "file_id": uploaded.id},
            {"type": "text", "text": "Add up the amount column of data.csv"}])),
    }


def client_tool():
    # A client tool beside the code execution tool comes back to the client.
    ask = [{"role": "user", "content": "What is the temperature in Paris? Use get_temperature."}]
    asked = client.messages.create(model="claude-sonnet-4-6", max_tokens=1024, messages=ask,
                                   tools=[TOOL_0825, GET_TEMPERATURE])
    call = next(b for b in asked.content if b.type == "tool_use")
    answered = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=1024, tools=[TOOL_0825, GET_TEMPERATURE],
        messages=ask + [{"role": "assistant", "content": asked.content},
                        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id,
                                                      "content": json.dumps({"celsius": 18})}]}])
    seen["client_tool"] = {"asked": summary(asked), "call": {"name": call.name, "input": call.input},
                           "answered": summary(answered)}


def errors():
    seen["unknown_model"] = error(lambda: client.beta.messages.create(
        model="claude-sonnet-4-5-20250929", betas=["code-execution-2025-08-25"], max_tokens=10,
        messages=[{"role": "user", "content": PROMPT}], tools=[TOOL_0825]))
    seen["unknown_container"] = error(lambda: create(["code-execution-2025-08-25"], TOOL_0825,
                                                     container="container_not-a-real-one"))
    seen["blank_text"] = error(lambda: create(["code-execution-2025-08-25"], TOOL_0825, prompt=[
        {"type": "text", "text": ""}]))
    seen["unknown_server_tool"] = error(lambda: create([], {"type": "web_search_20250305",
                                                            "name": "web_search"}))
    wrong = anthropic.Anthropic(api_key="sk-wrong")
    seen["wrong_key"] = error(lambda: wrong.beta.messages.create(
        model="claude-sonnet-4-6", betas=["code-execution-2025-08-25"], max_tokens=10,
        messages=[{"role": "user", "content": PROMPT}], tools=[TOOL_0825]))
    seen["models"] = [model.id for model in client.models.list()]


PARTS = {"messages": [messages_api, errors], "files": [files], "client_tool": [client_tool],
         "pause": [lambda: seen.update(pause=pause_turn())]}
for part in PARTS[sys.argv[1]]:
    part()
print(json.dumps(seen))
