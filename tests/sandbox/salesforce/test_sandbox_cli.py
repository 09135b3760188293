"""``saleshome sandbox salesforce`` in the foreground and ``saleshome sandbox simulate`` against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from saleshome.sandbox.salesforce.server import SandboxInfo
from tests.fixtures.sandboxes import sandbox_session as https_session

from .conftest import client

CALLBACK = "https://127.0.0.1:9/oauth/callback"
READY_KEYS = {"instance_url", "token_url", "client_id", "client_secret", "username", "password", "refresh_token",
              "ca_file", "org_id", "api_version"}


def _saleshome(*args: str) -> list[str]:
    return [sys.executable, "-c", "from saleshome.cli import main; main()", *args]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    state = tmp_path_factory.mktemp("sf-state")
    proc = subprocess.Popen(
        _saleshome("sandbox", "salesforce", "--port", "0", "--seed", "5", "--opportunities", "300",
                   "--state-dir", str(state), "--callback-url", CALLBACK, "--callback-url", CALLBACK + "/2"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until ready (the pytest timeout bounds it)
        assert line, proc.stderr.read() if proc.stderr else "no output"
        yield proc, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def test_ready_line_gives_a_working_org(running: tuple[subprocess.Popen[str], dict[str, str]]) -> None:
    _, ready = running
    assert set(ready) >= READY_KEYS
    assert ready["instance_url"].startswith("https://127.0.0.1:")
    assert Path(ready["ca_file"]).is_file()
    sf = client(SandboxInfo(**ready))  # type: ignore[arg-type]
    assert sf.query("SELECT Id FROM Organization")["records"][0]["Id"] == ready["org_id"]


def test_callback_url_options_register_the_connected_apps_callbacks(
    running: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    _, ready = running
    app = https_session(ready["ca_file"]).get(f"{ready['instance_url']}/_sandbox/connected-app", timeout=10).json()
    assert app == {"client_id": ready["client_id"], "callback_urls": [CALLBACK, CALLBACK + "/2"]}


def test_simulate_command_changes_the_org(running: tuple[subprocess.Popen[str], dict[str, str]]) -> None:
    _, ready = running
    out = subprocess.run(
        _saleshome("sandbox", "simulate", "--instance-url", ready["instance_url"], "--ca-file", ready["ca_file"],
                   "--changes", "40", "--late-commits", "--seed", "11"),
        capture_output=True, text=True, timeout=120, check=True,
    )
    report = json.loads(out.stdout)
    assert sum(report["counts"].values()) == 40


def test_simulate_refuses_non_local_urls(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    out = subprocess.run(
        _saleshome("sandbox", "simulate", "--instance-url", "https://example.my.salesforce.com", "--ca-file", str(ca)),
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 1 and "not a local sandbox" in out.stderr


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(_saleshome("sandbox", "salesforce", "--opportunities", "20"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline())["instance_url"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
