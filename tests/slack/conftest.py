"""Fixtures for publishing tests: a fresh Slack sandbox per test (rate limits 50× faster), a control database
(``control``: the session's backend, ``control_url``; ``store``: the same test on SQLite and on a PostgreSQL
database of its own).

The publisher and outbox helpers are in ``tests/fixtures/outbox.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import ControlDB
from tests.fixtures.outbox import fresh_database
from tests.fixtures.postgres import PostgresServer


@pytest.fixture()
def slack() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=7, rate_limits=RateLimits(time_scale=50)) as sandbox:
        yield sandbox


@pytest.fixture()
def control(control_url: str) -> ControlDB:
    return ControlDB(control_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ControlDB]:
    """A new control store on each backend (PostgreSQL: a database of its own on the session's server)."""
    if request.param == "sqlite":
        yield ControlDB(tmp_path / "control.sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with fresh_database(server) as url:
        yield ControlDB(url)
