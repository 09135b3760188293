"""Fixtures for publishing tests: a fresh Slack sandbox per test (rate limits 50× faster), a control database.

The publisher and outbox helpers are in ``tests/fixtures/outbox.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import ControlDB


@pytest.fixture()
def slack() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=7, rate_limits=RateLimits(time_scale=50)) as sandbox:
        yield sandbox


@pytest.fixture()
def control(tmp_path: Path) -> ControlDB:
    return ControlDB(tmp_path / "control.sqlite")
