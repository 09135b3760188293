"""Headless Chromium for browser tests: Debian's ``chromium`` package, driven by Playwright's sync API.

:func:`ensure_chromium` installs the package when ``/usr/bin/chromium`` is missing
(``apt-get install -y chromium``, after ``apt-get update`` if the first try fails), as CI runs as
root on the same kind of machine.  The install holds an exclusive lock on :data:`INSTALL_LOCK`:
pytest-xdist workers that need a browser at the same time install it once, one after the other
(apt itself refuses a second concurrent install).  :func:`launch` starts a browser with
:data:`CHROMIUM_ARGS` and closes it (and Playwright) on exit.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # screenshots the browser tests save
INSTALL_LOCK = Path("/tmp/saleshome-tests-chromium-install.lock")
INSTALL_TIMEOUT = 900  # seconds, per apt-get call
LAUNCH_TIMEOUT_MS = 60_000


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args], env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
    )


def ensure_chromium() -> Path:
    """``/usr/bin/chromium``, installing Debian's package first when it is missing (once across xdist workers)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail("/usr/bin/chromium is missing and cannot be installed here: run `apt-get install -y chromium` "
                    "as root (the test setup does it when it runs as root)")
    with INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes; a worker that waited finds it installed
        try:
            if CHROMIUM.exists():
                return CHROMIUM
            result = _apt("install", "-y", "--no-install-recommends", "chromium")
            if result.returncode != 0:
                _apt("update")
                result = _apt("install", "-y", "--no-install-recommends", "chromium")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if result.returncode != 0 or not CHROMIUM.exists():
        pytest.fail(f"could not install chromium:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return CHROMIUM


@contextmanager
def launch() -> Iterator[Browser]:
    """A headless Chromium, closed with its Playwright on exit.

    While it is open, the sync Playwright marks an event loop running in this thread (see the
    ``no_running_event_loop`` fixture for code that must not see it).
    """
    executable = ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, timeout=LAUNCH_TIMEOUT_MS
        )
        try:
            yield browser
        finally:
            browser.close()
