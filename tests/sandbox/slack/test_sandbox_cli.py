"""``saleshome sandbox slack`` in the foreground: one JSON ready line, a working API, clean stops.

Follows the Slack API docs "Using the Slack Web API" (``auth.test`` with a bot token through
slack-sdk's ``WebClient(base_url=...)``).  Until the command is registered on the ``sandbox``
group, the same command function runs as ``python -m saleshome.sandbox.slack.cli``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import typer
from slack_sdk import WebClient

from saleshome.cli import app

READY_KEYS = {"api_url", "bot_token", "admin_token", "viewer_url", "teams"}


def _command(*args: str) -> list[str]:
    group = typer.main.get_command(app)
    sandbox = getattr(group, "commands", {}).get("sandbox")
    if sandbox is not None and "slack" in getattr(sandbox, "commands", {}):
        return [sys.executable, "-c", "from saleshome.cli import main; main()", "sandbox", "slack", *args]
    return [sys.executable, "-m", "saleshome.sandbox.slack.cli", *args]


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen(
        _command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until ready (the pytest timeout bounds it)
    if not line:
        proc.kill()
        raise AssertionError(proc.stderr.read() if proc.stderr else "no output")
    return proc, json.loads(line)


@pytest.fixture(scope="module")
def running() -> Iterator[dict[str, object]]:
    proc, ready = _start("--port", "0", "--seed", "5", "--time-scale", "50")
    try:
        yield ready
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def test_ready_line_gives_a_working_sandbox(running: dict[str, object]) -> None:
    assert set(running) >= READY_KEYS
    api_url = str(running["api_url"])
    assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/api/")
    assert str(running["bot_token"]).startswith("xoxb-") and str(running["admin_token"]).startswith("xoxp-")
    teams = running["teams"]
    assert isinstance(teams, list) and len(teams) >= 2 and all(str(t["id"]).startswith("T") for t in teams)
    assert running["time_scale"] == 50
    client = WebClient(token=str(running["bot_token"]), base_url=api_url)
    assert client.auth_test()["ok"] is True
    channels = client.conversations_list(team_id=teams[0]["id"])["channels"]
    sales = next(c["id"] for c in channels if c["name"] == "sales")
    assert client.chat_postMessage(channel=sales, text="from the CLI test")["ok"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_it_cleanly(sig: signal.Signals) -> None:
    proc, ready = _start("--seed", "2")
    assert ready["viewer_url"]
    proc.send_signal(sig)
    assert proc.wait(timeout=20) == 0
