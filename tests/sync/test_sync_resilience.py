"""What a long sync meets: the API budget, expired sessions (Bulk included), 5xx, drops, paging loops."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from saleshome.config import Settings
from saleshome.errors import FatalError
from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.login import connect
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.orgs import get_org
from saleshome.sync.engine import DEFAULT_OBJECTS, QuotaPaused, check_budget, sync_org
from saleshome.warehouse.control import ControlDB, control_db

from .conftest import assert_same_as_org


def _status(settings: Settings, run_id: str) -> str:
    rows = ControlDB(settings.control_db).rows("SELECT status FROM sync_runs WHERE run_id = ?", [run_id])
    return str(rows[0]["status"])


def test_quota_reserve_pauses_then_resumes(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    sandbox.budget.set(used=0, daily_max=1000)
    sandbox.budget.set(used=880)  # 120 left: the 10% reserve (100) is reached after a few calls
    paused = sync_org(control_db(settings), settings, "acme")
    assert paused.status == "paused_for_quota" and "reserve" in (paused.error or "")
    assert _status(settings, paused.run_id) == "paused_for_quota"
    assert sandbox.budget.used <= 900  # stopped before eating into the reserve
    sandbox.budget.set(used=0, daily_max=100_000)
    resumed = sync_org(control_db(settings), settings, "acme")
    assert resumed.status == "completed"
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))


def test_concurrent_calls_never_eat_into_the_reserve(org: tuple[Settings, SalesforceSandbox]) -> None:
    """Threads calling at once (read-ahead, prefetch) each count their call before it is sent, and an answer
    that reports a lower usage (other threads' calls still in flight) never lowers the count."""
    settings, sandbox = org
    client = connect(get_org(control_db(settings), settings, "acme"))
    sandbox.budget.set(used=0, daily_max=1000)
    client.limits()
    client.before_call = lambda: _check(client, settings)
    sandbox.budget.set(used=850)
    client.usage = (850, 1000)

    def hammer(worker: int) -> int:  # both call paths: simple-salesforce's (query) and ours (count)
        done = 0
        try:
            for _ in range(20):
                if worker % 2:
                    next(client.query_pages("SELECT Id FROM Account LIMIT 1"))
                else:
                    client.count("SELECT COUNT() FROM Account")
                done += 1
        except QuotaPaused:
            pass
        return done

    with ThreadPoolExecutor(max_workers=8) as pool:
        done = sum(pool.map(hammer, range(8)))
    assert sandbox.budget.used <= 900 and done == sandbox.budget.used - 850
    assert done == 50  # every call the reserve allowed was made


def _check(client: SalesforceClient, settings: Settings) -> None:
    """The sync's budget check, for a bare client."""
    check_budget(SimpleNamespace(client=client, settings=settings, org=SimpleNamespace(alias="acme")))  # type: ignore[arg-type]


def test_request_limit_exceeded_is_not_retried(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    fault = sandbox.faults.add("limit_exceeded", path="/queryAll", times=0)
    result = sync_org(control_db(settings), settings, "acme")
    assert result.status == "paused_for_quota" and "REQUEST_LIMIT_EXCEEDED" in (result.error or "")
    assert fault.fired == 1  # one refusal ends the run: no retry loop


def test_expired_sessions_and_transient_errors_are_survived(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    sandbox.faults.add("expire_session", path=r"/jobs/query/\w+/results", times=1)  # Bulk download
    sandbox.faults.add("expire_session", path="/queryAll", after=3, times=1)  # REST
    sandbox.faults.add("status", status=503, path="/queryAll", times=2)
    sandbox.faults.add("status", status=500, path=r"/jobs/query$", times=1)
    sandbox.faults.add("drop", path=r"/jobs/query/\w+/results", after=1, times=1)
    result = sync_org(control_db(settings), settings, "acme")
    assert result.status == "completed"
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))


@pytest.mark.parametrize(("path", "threshold"), [("/queryAll/01g", 10**9), (r"/jobs/query/\w+/results", 1)])
def test_paging_loops_are_detected(org: tuple[Settings, SalesforceSandbox], path: str, threshold: int) -> None:
    settings, sandbox = org
    settings = settings.model_copy(update={"bulk_threshold": threshold, "bulk_page_records": 1000})
    sandbox.faults.add("repeat_page", path=path, times=0)
    with pytest.raises(FatalError, match="pagination loop"):
        sync_org(control_db(settings), settings, "acme", objects=["OpportunityHistory"])
    rows = ControlDB(settings.control_db).rows("SELECT status, error FROM sync_runs")
    assert rows[-1]["status"] == "failed" and "pagination loop" in rows[-1]["error"]


def test_objects_bulk_refuses_fall_back_to_rest(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    sandbox.faults.add("status", status=400, path=r"/jobs/query$", method="POST", times=0, error_code="INVALIDENTITY",
                       message="Entity 'OpportunityHistory' is not supported by the Bulk API.")
    result = sync_org(control_db(settings), settings, "acme", objects=["OpportunityHistory", "Opportunity"])
    assert result.status == "completed"
    assert {o.object: o.path for o in result.objects} == {"OpportunityHistory": "rest", "Opportunity": "rest"}
    assert_same_as_org(settings, "acme", sandbox, ["OpportunityHistory", "Opportunity"])


def test_a_run_that_cannot_start_leaves_its_reason_on_the_org(
    org: tuple[Settings, SalesforceSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    from saleshome.errors import ConfigurationError
    from saleshome.salesforce.credentials import env_prefix_for

    settings, _ = org
    monkeypatch.setenv(f"{env_prefix_for('acme')}_CLIENT_SECRET", "wrong")
    with pytest.raises(ConfigurationError, match="invalid_client"):
        sync_org(control_db(settings), settings, "acme")
    row = ControlDB(settings.control_db).rows("SELECT status, last_error FROM orgs WHERE alias = 'acme'")[0]
    assert row["status"] == "failed" and "invalid_client" in row["last_error"] and "wrong" not in row["last_error"]
