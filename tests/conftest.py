"""Fixtures shared across test folders: one Prefect test harness for the whole session (entered lazily), and
the shared layer of ``tests/fixtures/`` (sandboxes, Sales Home homes, the CLI, a PostgreSQL server, the control
store's backend: ``--control-backend``) registered
as plugins."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = [
    "tests.fixtures.sandboxes",
    "tests.fixtures.workspace",
    "tests.fixtures.cli",
    "tests.fixtures.postgres",
    "tests.fixtures.control",
    "tests.fixtures.app",
]

HARNESS_STARTUP_TIMEOUT = 120  # seconds; about 15-40 s here, more on a loaded machine


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test`` runs ``pytest -n N --dist loadscope``: a module's tests stay on one worker (they
    share module fixtures: sandboxes, seeded orgs), and here every module that uses the Prefect
    test harness joins one scope, so the suite starts one harness rather than one per worker.
    (pytest-xdist's ``loadgroup`` marks do not reach its scheduler under pytest 9.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class HarnessScopeScheduling(LoadScopeScheduling):
        uses_harness: dict[str, bool] = {}

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module not in self.uses_harness:
                path = Path(str(config.rootpath)) / module
                self.uses_harness[module] = path.is_file() and "prefect_harness" in path.read_text()
            return "prefect-harness" if self.uses_harness[module] else module

    return HarnessScopeScheduling(config, log)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[Path]:
    """A temporary Prefect server (SQLite, 127.0.0.1) for every flow run of the session; entered once.

    Yields the directory Prefect writes results to (failed runs persist their exception there),
    a temporary one rather than ``~/.prefect/storage``.
    """
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory(prefix="prefect-results-") as results, pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry call from the test server
        with temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: results}), prefect_test_harness(
            server_startup_timeout=HARNESS_STARTUP_TIMEOUT
        ):
            yield Path(results)


@pytest.fixture()
def no_running_event_loop() -> Iterator[None]:
    """Run the test with no event loop marked running in this thread, as in a plain program.

    A test that keeps a sync Playwright alive (a session-scoped browser) leaves its event loop
    marked running in the main thread; Prefect's dual sync/async calls (``Block.save``,
    ``State.result``, log flushing) would then return coroutines instead of doing the work.
    """
    leaked = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(leaked)


@pytest.fixture(autouse=True)
def _close_control_stores() -> Iterator[None]:
    """Each test's homes go with it: their pooled control-store connections are closed after it."""
    yield
    from saleshome.warehouse.control import close_all

    close_all()
