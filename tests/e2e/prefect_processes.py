"""A real Prefect server, the project's deployments and a process worker, as subprocesses of a test.

Everything listens on 127.0.0.1 on a free port and keeps its state in a temporary directory:
its own ``PREFECT_HOME``, a SQLite database, no analytics.  The server runs without its
scheduler service, so no scheduled run of ``sales-home``, ``digest`` or ``housekeeping`` starts
behind a test's back (the deployments keep their schedules; only runs a test creates run).

Each process starts in a session of its own and writes to a log file; :meth:`Service.stop` kills
its process group and the groups of its descendants (the process worker starts each flow run
in a new session), and :meth:`Service.tail` is what a failing test prints.  Every wait is a
bounded loop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]  # the project: prefect.yaml and the flows' entry points
PREFECT = Path(sys.executable).with_name("prefect")  # the CLI of the virtualenv running the tests
POOL = "saleshome-process"

SERVER_STARTUP_TIMEOUT = 240.0  # seconds; 15-80 s measured here (database migrations), the more the busier the machine
CLI_TIMEOUT = 300.0  # one `prefect` command (`prefect deploy --all`: 20-50 s measured here)
STOP_TIMEOUT = 20.0  # after SIGTERM, before SIGKILL
PORT_ATTEMPTS = 3  # another process may take the free port between the probe and the server's bind

T = TypeVar("T")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], T | None], *, timeout: float, interval: float = 0.5,
               what: str, diagnose: Callable[[], str] = lambda: "") -> T:
    """Poll ``check`` until it returns something other than None (returned), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{diagnose()}")
        time.sleep(interval)


def prefect_environment(base: Mapping[str, str], prefect_home: Path, port: int) -> dict[str, str]:
    """``base`` without its PREFECT_*, SALESHOME_* and PYTEST_* variables, plus the settings of the local server."""
    env = {k: v for k, v in base.items() if not k.startswith(("PREFECT_", "SALESHOME_", "PYTEST_"))}
    url = f"http://127.0.0.1:{port}"
    env.update({
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_PROFILES_PATH": str(prefect_home / "profiles.toml"),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}",
        "PREFECT_SERVER_DATABASE_TIMEOUT": "60",  # SQLite busy on a loaded machine: wait, do not fail the call
        "PREFECT_API_URL": f"{url}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true",
        "PREFECT_UI_API_URL": f"{url}/api",
        "PREFECT_UI_URL": url,
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",  # only the runs a test creates
        "PREFECT_CLI_PROMPT": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick up new flow runs quickly (default 10 s)
        "PREFECT_LOCAL_STORAGE_PATH": str(prefect_home / "storage"),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Service:
    """A long-running subprocess (server, worker) in its own session, its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, name: str, args: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path) -> Service:
        with log.open("ab") as out:
            process = subprocess.Popen(
                list(args), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(name, process, log)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 80) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError as exc:
            return f"--- {self.name}: no log ({exc})"
        state = "running" if self.running else f"exited with {self.process.returncode}"
        return f"--- {self.name} ({state}), last {lines} lines of {self.log}:\n" + "\n".join(
            text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM its process group and those of its descendants (flow runs have sessions of their own),
        then SIGKILL whatever is still there after :data:`STOP_TIMEOUT` seconds."""
        groups = {self.process.pid}
        for pid in descendants(self.process.pid):
            with suppress(ProcessLookupError):
                groups.add(os.getpgid(pid))
        _signal_groups(groups, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while (self.process.poll() is None or any(map(_group_alive, groups))) and time.monotonic() < deadline:
            time.sleep(0.2)
        _signal_groups(groups, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)


def _signal_groups(groups: set[int], sig: signal.Signals) -> None:
    for group in groups:
        with suppress(ProcessLookupError):
            os.killpg(group, sig)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def run_cli(args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = CLI_TIMEOUT) -> str:
    """Run a ``prefect`` command to completion; its output, or an AssertionError that shows it."""
    done = subprocess.run(
        [str(PREFECT), *args], cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise AssertionError(f"`prefect {' '.join(args)}` exited with {done.returncode}:\n{output[-4000:]}")
    return output


def healthy(api_url: str) -> bool | None:
    """True when the server answers ``/api/health``; None while it does not (yet)."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:
            return True if response.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def _up_or_exited(api_url: str, service: Service) -> bool | None:
    """True once the server is healthy, False if it exited, None while it is starting."""
    return healthy(api_url) or (None if service.running else False)


class PrefectServer:
    """``prefect server start`` on a free port of 127.0.0.1, its state under ``home``.

    :meth:`start` returns at once (do other work while the server boots); :meth:`wait` waits for
    ``/api/health``, starting again on another port when the first one was taken meanwhile.
    """

    def __init__(self, base_env: Mapping[str, str], home: Path) -> None:
        self.base_env = dict(base_env)
        self.home = home
        self.attempts = 0
        self.port = 0
        self.env: dict[str, str] = {}
        self.service: Service | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def start(self) -> None:
        self.attempts += 1
        self.port = free_port()
        prefect_home = self.home / f"prefect-home-{self.attempts}"
        prefect_home.mkdir(parents=True, exist_ok=True)
        self.env = prefect_environment(self.base_env, prefect_home, self.port)
        self.service = Service.start(
            "prefect server", [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=prefect_home, log=self.home / f"server-{self.attempts}.log",
        )

    def wait(self) -> None:
        while True:
            service = self.service
            assert service is not None, "start() the server first"
            wait_until(partial(_up_or_exited, self.api_url, service), timeout=SERVER_STARTUP_TIMEOUT,
                       what=f"{self.api_url}/health", diagnose=self.tail)
            if service.running:
                return
            if self.attempts >= PORT_ATTEMPTS or "address already in use" not in service.tail().lower():
                raise AssertionError(f"the Prefect server exited during startup\n{self.tail()}")
            self.start()

    def tail(self, lines: int = 80) -> str:
        return self.service.tail(lines) if self.service is not None else "--- prefect server: not started"

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
