"""Drives the bridge with the anthropic SDK, unmodified: ANTHROPIC_BASE_URL and
ANTHROPIC_API_KEY point it at the bridge. Prints one JSON object of what it saw;
the Rust test asserts on it. The argument names the part to run: `messages`, `files`,
`client_tool`, `pause` (for a bridge started with --max-steps 1), `runs_once`,
`slow_stream`, or `programmatic`
(with SECOND_BASE_URL, a second bridge on the same AWS, and SHORT_WAIT_BASE_URL, one
whose code waits at most a second for a tool result)."""

import json
import sys
import time

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


CITY_PROMPT = ("Compare all 5 cities across weather, population, and cost of living. Which city "
               "has the best combination of warm weather, large metro area, and affordable rent? "
               "Rank them.")
# The client's own tools: the same data as example 07's, kept here in the client.
WEATHER = {"Seattle": (58, "Cloudy"), "Portland": (62, "Partly Cloudy"),
           "San Francisco": (65, "Foggy"), "Los Angeles": (78, "Sunny"), "Denver": (72, "Clear")}
METRO = {"Seattle": 4018762, "Portland": 2512859, "San Francisco": 4749008,
         "Los Angeles": 13200998, "Denver": 2963821}
RENT = {"Seattle": (172, 2100), "Portland": (130, 1650), "San Francisco": (190, 2800),
        "Los Angeles": (166, 2400), "Denver": (128, 1700)}
LOCAL_TOOLS = {
    "get_weather": lambda city: {"temp_f": WEATHER[city][0], "condition": WEATHER[city][1]},
    "get_population": lambda city: {"metro_population": METRO[city]},
    "get_cost_of_living": lambda city: {"index": RENT[city][0], "median_rent_1br": RENT[city][1]},
}


def city_tool(name, what):
    return {"name": name, "description": what + " of a city.",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                             "required": ["city"]},
            "allowed_callers": ["code_execution_20250825"]}


CITY_TOOLS = [TOOL_0825, city_tool("get_weather", "The weather"),
              city_tool("get_population", "The population"),
              city_tool("get_cost_of_living", "The cost of living")]


def ask_cities(on, **extra):
    return on.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=4096, tools=CITY_TOOLS, **extra)


def answer(reply, raises=()):
    """The client runs the tools the paused code called; results in one user message."""
    results = []
    for block in reply.content:
        if block.type != "tool_use":
            continue
        if block.name in raises:
            results.append({"type": "tool_result", "tool_use_id": block.id, "is_error": True,
                            "content": "%s is down" % block.name})
        else:
            results.append({"type": "tool_result", "tool_use_id": block.id,
                            "content": json.dumps(LOCAL_TOOLS[block.name](**block.input))})
    return results


def programmatic():
    import os
    second = anthropic.Anthropic(base_url=os.environ["SECOND_BASE_URL"])
    short_wait = anthropic.Anthropic(base_url=os.environ["SHORT_WAIT_BASE_URL"])
    # The five cities: every pause answered by the client, bridges taking turns.
    messages = [{"role": "user", "content": CITY_PROMPT}]
    raw = ask_cities(client, messages=messages)
    reply, pauses, calls, callers, served_by = raw.parse(), [], 0, set(), []
    while reply.stop_reason == "tool_use":
        uses = [b for b in reply.content if b.type == "tool_use"]
        pauses.append(len(uses))
        calls += len(uses)
        callers |= {(b.caller.type, b.caller.tool_id[:9]) for b in uses}
        messages = messages + [{"role": "assistant", "content": reply.content},
                               {"role": "user", "content": answer(reply)}]
        on = second if len(pauses) % 2 else client
        served_by.append("second" if on is second else "first")
        raw = ask_cities(on, messages=messages, container=reply.container.id)
        reply = raw.parse()
    seen["programmatic"] = {
        "pauses": pauses, "calls": calls, "callers": sorted(map(list, callers)),
        "served_by": served_by, "final": summary(reply),
        "calls_from_code": raw.headers.get("x-bridge-tool-calls-from-code"),
        "result_types": [b.type for b in reply.content],
    }
    # Rules the API enforces on the reply to a pause.
    first = ask_cities(client, messages=[{"role": "user", "content": CITY_PROMPT}]).parse()
    history = [{"role": "user", "content": CITY_PROMPT},
               {"role": "assistant", "content": first.content}]
    seen["programmatic_errors"] = {
        "no_container": error(lambda: client.messages.create(
            model="claude-sonnet-4-6", max_tokens=4096, tools=CITY_TOOLS,
            messages=history + [{"role": "user", "content": answer(first)}])),
        "unknown_call": error(lambda: client.messages.create(
            model="claude-sonnet-4-6", max_tokens=4096, tools=CITY_TOOLS,
            container=first.container.id, messages=history + [{"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_not_asked", "content": "{}"}]}])),
    }
    # A tool that fails in the client: the code gets ToolError.
    failed = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=4096, tools=CITY_TOOLS,
        container=first.container.id,
        messages=history + [{"role": "user", "content": answer(first, raises={"get_weather"})}])
    results = [b for b in failed.content if b.type == "code_execution_tool_result"]
    seen["programmatic_raised"] = {
        "stop_reason": failed.stop_reason,
        "return_code": results[0].content.return_code if results else None,
        "stderr": results[0].content.stderr if results else None,
    }
    # A pause answered too late: the call has expired.
    late = ask_cities(short_wait, messages=[{"role": "user", "content": CITY_PROMPT}]).parse()
    time.sleep(2.5)
    expired = short_wait.messages.create(
        model="claude-sonnet-4-6", max_tokens=4096, tools=CITY_TOOLS,
        container=late.container.id,
        messages=[{"role": "user", "content": CITY_PROMPT},
                  {"role": "assistant", "content": late.content},
                  {"role": "user", "content": answer(late)}])
    results = [b for b in expired.content if b.type == "code_execution_tool_result"]
    seen["programmatic_expired"] = {
        "content_type": results[0].content.type if results else None,
        "error_code": getattr(results[0].content, "error_code", None) if results else None,
    }


def runs_once():
    """A turn whose code appends to runs.log fails after the code ran (the test
    injects the failure); with the SDK's default retries, the code must still run
    exactly once. The paused turn is sent back until the model answers."""
    prompt = "Append a line to runs.log and count its lines"
    messages = [{"role": "user", "content": prompt}]
    container, pauses, request_ids = None, 0, []
    while True:
        raw = client.messages.with_raw_response.create(
            model="claude-sonnet-4-6", max_tokens=4096, messages=messages, tools=[TOOL_0825],
            **({"container": container} if container else {}))
        request_ids.append(raw.headers.get("request-id"))
        reply = raw.parse()
        container = reply.container.id
        if reply.stop_reason != "pause_turn":
            break
        pauses += 1
        messages = [messages[0], {"role": "assistant", "content": (
            messages[1]["content"] if len(messages) > 1 else []) + list(reply.content)}]
    seen["runs_once"] = {**summary(reply), "pauses": pauses, "request_ids": request_ids}


def slow_stream():
    """The SDK's text stream shows the model's first words while the command still
    runs: the time of the first text and of the end, from the request's start."""
    start = time.monotonic()
    first_text = None
    with client.messages.stream(
            model="claude-sonnet-4-6", max_tokens=4096, tools=[TOOL_0825],
            messages=[{"role": "user", "content": "Run a slow command and tell me what it prints"}]
    ) as stream:
        for _ in stream.text_stream:
            if first_text is None:
                first_text = time.monotonic() - start
        final = stream.get_final_message()
    seen["slow_stream"] = {**summary(final), "first_text_s": first_text,
                           "end_s": time.monotonic() - start}


SKILL_MD = b"""---
name: greeting
description: Greets people the nautical way. Use it whenever someone asks for a greeting.
---
# Greeting
Run `python3 scripts/greet.py NAME` (from this folder) and use what it prints.
"""
GREET_PY = b"import sys\nprint(f'Ahoy, {sys.argv[1]}!')\n"


def skills():
    """Custom skills: create, list, use in a container, add a version, delete."""
    betas = ["skills-2025-10-02"]
    created = client.beta.skills.create(
        display_name="Greeting", betas=betas,
        files=[("greeting/SKILL.md", SKILL_MD, "text/markdown"),
               ("greeting/scripts/greet.py", GREET_PY, "text/x-python")])
    listed = [s.id for s in client.beta.skills.list(betas=betas)]
    got = client.beta.skills.retrieve(created.id, betas=betas)
    used = client.beta.messages.create(
        model="claude-sonnet-4-6", max_tokens=4096, betas=["code-execution-2025-08-25", *betas],
        container={"skills": [{"type": "custom", "skill_id": created.id, "version": "latest"}]},
        messages=[{"role": "user", "content": "Greet Ada the way my greeting skill says"}],
        tools=[TOOL_0825])
    again = client.beta.skills.versions.create(
        created.id, betas=betas,
        files=[("greeting/SKILL.md", SKILL_MD, "text/markdown"),
               ("greeting/scripts/greet.py", GREET_PY, "text/x-python")])
    versions = [v.id for v in client.beta.skills.versions.list(created.id, betas=betas)]
    refused = error(lambda: client.beta.skills.delete(created.id, betas=betas))
    for version in versions:
        client.beta.skills.versions.delete(version, skill_id=created.id, betas=betas)
    deleted = client.beta.skills.delete(created.id, betas=betas)
    anthropic_skill = error(lambda: client.beta.messages.create(
        model="claude-sonnet-4-6", max_tokens=1024, betas=["code-execution-2025-08-25", *betas],
        container={"skills": [{"type": "anthropic", "skill_id": "pptx", "version": "latest"}]},
        messages=[{"role": "user", "content": "Make slides"}], tools=[TOOL_0825]))
    seen["skills"] = {
        "created": {"id": created.id, "display_name": created.display_name,
                    "latest_version_id": created.latest_version_id, "source": created.source.type},
        "listed": listed, "retrieved": got.id == created.id,
        "used": summary(used),
        "container_skills": [s.model_dump() for s in (used.container.skills or [])],
        "new_version": again.id, "versions": versions,
        "refused_delete": refused, "deleted": deleted.type, "anthropic_skill": anthropic_skill,
    }


def checkpoint(name, note=""):
    """Tells the test a point was reached (a file in FLEET_CHECKPOINTS holding `note`)
    and waits until it says go on (NAME.go), while it kills or restarts replicas."""
    import os
    folder = os.environ["FLEET_CHECKPOINTS"]
    with open(os.path.join(folder, name + ".tmp"), "w") as f:
        f.write(note)
    os.rename(os.path.join(folder, name + ".tmp"), os.path.join(folder, name))
    while not os.path.exists(os.path.join(folder, name + ".go")):
        time.sleep(0.05)


def fleet():
    """One of each kind of conversation through a load balancer in front of three
    replicas, noting which replica served each request (x-bridge-replica); the test
    kills, restarts and rolls replicas at the checkpoints."""
    served, containers = [], []

    def raw(call):
        response = call()
        served.append(response.headers.get("x-bridge-replica"))
        return response.parse()

    def keep(reply):
        if reply.container:
            containers.append(reply.container.id)
        return reply

    # A file uploaded through one replica, used through another, and what the code
    # wrote there downloaded through a third.
    uploaded = raw(lambda: client.beta.files.with_raw_response.upload(
        file=("data.csv", b"item,amount\napples,3\npears,4.5\nplums,2\n", "text/csv")))
    with_file = keep(raw(lambda: client.beta.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=4096, tools=[TOOL_0825],
        betas=["code-execution-2025-08-25", "files-api-2025-04-14"],
        messages=[{"role": "user", "content": [
            {"type": "container_upload", "file_id": uploaded.id},
            {"type": "text", "text": "Add up the amount column of data.csv and save it with a total row."}]}])))
    outputs = [item.file_id for block in with_file.content
               if block.type == "bash_code_execution_tool_result"
               for item in getattr(block.content, "content", [])]
    downloaded = client.beta.files.download(outputs[0]).text()
    # A container used again through another replica.
    first = keep(raw(lambda: client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=4096, tools=[TOOL_0825],
        messages=[{"role": "user", "content": PROMPT}])))
    reuse = keep(raw(lambda: client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=4096, tools=[TOOL_0825], container=first.container.id,
        messages=[{"role": "user", "content": "Show me the first line of stats.py"}])))
    # A skill created through one replica and used through another.
    skill = raw(lambda: client.beta.skills.with_raw_response.create(
        display_name="Greeting", betas=["skills-2025-10-02"],
        files=[("greeting/SKILL.md", SKILL_MD, "text/markdown"),
               ("greeting/scripts/greet.py", GREET_PY, "text/x-python")]))
    greeted = keep(raw(lambda: client.beta.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=4096, tools=[TOOL_0825],
        betas=["code-execution-2025-08-25", "skills-2025-10-02"],
        container={"skills": [{"type": "custom", "skill_id": skill.id, "version": "latest"}]},
        messages=[{"role": "user", "content": "Greet Ada the way my greeting skill says"}])))
    # Programmatic tool calling: five pauses, answered through the replicas in turn;
    # a replica is killed after the second, and restarted after the fourth.
    history = [{"role": "user", "content": CITY_PROMPT}]
    reply = keep(raw(lambda: ask_cities(client, messages=history)))
    pauses = 0
    while reply.stop_reason == "tool_use":
        pauses += 1
        if pauses == 3:
            checkpoint("killed")
        if pauses == 5:
            checkpoint("restarted")
        history = history + [{"role": "assistant", "content": reply.content},
                             {"role": "user", "content": answer(reply)}]
        reply = keep(raw(lambda: ask_cities(client, messages=history, container=reply.container.id)))
    # A stream that a rolling restart (every replica stopped and started again, one
    # after the other) must not cut.
    events = []
    with client.messages.stream(
            model="claude-sonnet-4-6", max_tokens=4096, tools=[TOOL_0825],
            messages=[{"role": "user", "content": "Run a slow command and tell me what it prints"}]
    ) as stream:
        for event in stream:
            events.append(event.type)
            if event.type == "content_block_start" and event.content_block.type == "server_tool_use":
                checkpoint("streaming", stream.response.headers.get("x-bridge-replica", ""))
        streamed = keep(stream.get_final_message())
    seen["fleet"] = {
        "downloaded": downloaded, "files_text": summary(with_file)["text"],
        "reuse": summary(reuse), "same_container": reuse.container.id == first.container.id,
        "greeted": summary(greeted)["text"], "pauses": pauses, "cities": summary(reply)["text"],
        "streamed": summary(streamed)["text"], "stream_ended": events[-1] if events else None,
        "served": served, "containers": sorted(set(containers)),
    }


PARTS = {"messages": [messages_api, errors], "skills": [skills], "fleet": [fleet], "files": [files], "client_tool": [client_tool],
         "pause": [lambda: seen.update(pause=pause_turn())], "programmatic": [programmatic],
         "runs_once": [runs_once], "slow_stream": [slow_stream]}
for part in PARTS[sys.argv[1]]:
    part()
print(json.dumps(seen))
