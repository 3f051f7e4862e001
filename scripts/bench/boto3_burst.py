"""A burst of session starts through boto3, as a test suite's set-up makes them.

Measures, against the emulator the environment points at (its printed lines):

- boto3's floor: the wall time of a call the emulator answers at once
  (GetCodeInterpreterSession of a live session), i.e. what boto3 itself costs;
- N StartCodeInterpreterSession calls back to back, each one's time over that floor;
- the first executeCode of each of those sessions (its interpreter may still be
  starting), and each stop.

Prints one JSON object of figures (milliseconds) for scripts/bench.sh.
"""

import json
import statistics
import sys
import time

import boto3

SYSTEM = "aws.codeinterpreter.v1"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000


def main():
    starts = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    client = boto3.client("bedrock-agentcore")
    start = lambda: client.start_code_interpreter_session(  # noqa: E731
        codeInterpreterIdentifier=SYSTEM, sessionTimeoutSeconds=900)["sessionId"]
    stop = lambda sid: client.stop_code_interpreter_session(  # noqa: E731
        codeInterpreterIdentifier=SYSTEM, sessionId=sid)

    # Warm boto3 (endpoint resolution, connection) and measure its floor.
    probe = start()
    floor = [timed(lambda: client.get_code_interpreter_session(
        codeInterpreterIdentifier=SYSTEM, sessionId=probe))[1] for _ in range(50)]
    stop(probe)
    floor_ms = statistics.median(floor)
    # Let the interpreter pool refill after the warm-up, as between test runs.
    time.sleep(2)

    sessions, start_ms = [], []
    for _ in range(starts):
        sid, ms = timed(start)
        sessions.append(sid)
        start_ms.append(ms)
    first_exec_ms, stop_ms = [], []
    for sid in sessions:
        _, ms = timed(lambda: list(client.invoke_code_interpreter(
            codeInterpreterIdentifier=SYSTEM, sessionId=sid, name="executeCode",
            arguments={"language": "python", "code": "x = 1"})["stream"]))
        first_exec_ms.append(ms)
    for sid in sessions:
        stop_ms.append(timed(lambda: stop(sid))[1])

    over = [ms - floor_ms for ms in start_ms]
    print(json.dumps({
        "boto3_floor_ms": round(floor_ms, 2),
        "burst_starts": starts,
        "burst_start_over_floor_p50_ms": round(percentile(over, 0.5), 2),
        "burst_start_over_floor_p90_ms": round(percentile(over, 0.9), 2),
        "burst_start_over_floor_max_ms": round(max(over), 2),
        "burst_first_exec_p50_ms": round(percentile(first_exec_ms, 0.5), 2),
        "burst_first_exec_p90_ms": round(percentile(first_exec_ms, 0.9), 2),
        "burst_stop_p50_ms": round(percentile(stop_ms, 0.5), 2),
    }))


if __name__ == "__main__":
    main()
