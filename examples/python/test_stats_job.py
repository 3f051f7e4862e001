"""Tests of `stats_job` that run offline, against the emulator (see conftest.py)."""

import boto3
import pytest

import stats_job


def test_summarize_computes_in_the_sandbox():
    assert stats_job.summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == {
        "mean": 5.5, "stdev": pytest.approx(2.8723, abs=1e-4)}


def test_summarize_stops_its_session():
    stats_job.summarize([1, 2])
    client = boto3.client("bedrock-agentcore")
    live = client.list_code_interpreter_sessions(
        codeInterpreterIdentifier=stats_job.SYSTEM_INTERPRETER, status="READY")["items"]
    assert live == []


def test_the_sandbox_has_the_preinstalled_packages():
    from bedrock_agentcore.tools.code_interpreter_client import code_session

    with code_session("us-west-2") as interpreter:
        result = interpreter.execute_code("import pandas, sklearn, bs4\nprint('imported')")
        text = [b["text"] for e in result["stream"] for b in e["result"]["content"]]
    assert text == ["imported"]
