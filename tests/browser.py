"""Headless Chromium for browser tests: Debian's ``chromium`` package, driven by Playwright's sync API.

:func:`ensure_chromium` installs the package when ``/usr/bin/chromium`` is missing (with
:func:`tests.fixtures.debian.ensure_installed`: once across pytest-xdist workers, as root).
:func:`launch` starts a browser with :data:`CHROMIUM_ARGS` and closes it (and Playwright) on exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.fixtures.debian import ensure_installed

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
LAUNCH_TIMEOUT_MS = 60_000


def ensure_chromium() -> Path:
    """``/usr/bin/chromium``, installing Debian's package first when it is missing."""
    ensure_installed("chromium", CHROMIUM.exists, str(CHROMIUM))
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
