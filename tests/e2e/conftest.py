"""Fixtures: Sales Home deployed on a real Prefect server with a process worker, once per test module, its control
store on the session's PostgreSQL server (the scale-out backend, whatever ``--control-backend`` says).

A failing test's report carries the worker's and the server's log tails.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator

import pytest

from tests.e2e.deployed import Deployed, deploy_sales_home
from tests.fixtures.control import ControlDatabases


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, control_databases: ControlDatabases) -> Iterator[Deployed]:
    with control_databases.fresh() as database_url, \
            deploy_sales_home(tmp_path_factory.mktemp("e2e"), dict(os.environ), database_url) as running:
        yield running


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport,
                                                                                           pytest.TestReport]:
    report = yield
    running = getattr(item, "funcargs", {}).get("deployed")
    if report.failed and isinstance(running, Deployed):
        report.sections.append(("Prefect worker and server (log tails)", running.diagnostics()))
    return report
