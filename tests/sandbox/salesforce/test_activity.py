"""Simulated activity seen through the API: SystemModstamp ties and late commits (the cursor trap).

A reader that keeps ``max(SystemModstamp)`` and next asks for ``SystemModstamp > cursor``
loses a late-committed change; a reader of the window ``[cursor - lookback, now)`` finds it.
Both behaviours are asserted against the sandbox through simple-salesforce.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from simple_salesforce import Salesforce

from saleshome.sandbox.salesforce.server import SandboxInfo
from tests.fixtures.sandboxes import sandbox_session as https_session


def _simulate(info: SandboxInfo, **body: object) -> dict[str, Any]:
    response = https_session(info.ca_file).post(f"{info.instance_url}/_sandbox/simulate", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _soql_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_late_commits_defeat_a_strict_cursor_but_not_a_lookback_window(sf: Salesforce, info: SandboxInfo) -> None:
    report = _simulate(info, changes=400, late_commits=True, seed=99)
    changes = report["changes"]
    last_touch = {c["record_id"]: i for i, c in enumerate(changes)}
    late = [
        c for i, c in enumerate(changes)
        if c["late"] and c["object"] == "Opportunity" and last_touch[c["record_id"]] == i and "delete" not in c["kind"]
        and c["kind"] != "purge"
    ]
    assert late, "the simulator produced no late-committed opportunity change"
    for change in late:
        at, visible_max = datetime.fromisoformat(change["at"]), datetime.fromisoformat(change["visible_max"])
        assert at < visible_max <= at + timedelta(minutes=10)
        record = f"Id = '{change['record_id']}'"
        strict = sf.query_all(f"SELECT Id FROM Opportunity WHERE {record} AND SystemModstamp > {_soql_time(visible_max)}",
                              include_deleted=True)
        assert strict["totalSize"] == 0  # a cursor saved at visible_max never sees this change
        window = sf.query_all(
            f"SELECT Id, SystemModstamp FROM Opportunity WHERE {record} "
            f"AND SystemModstamp >= {_soql_time(visible_max - timedelta(minutes=10))}",
            include_deleted=True,
        )
        assert window["totalSize"] == 1


def test_same_millisecond_ties_exist(sf: Salesforce, info: SandboxInfo) -> None:
    report = _simulate(info, changes=300, seed=5)
    assert report["same_millisecond"] > 0
    stamps = Counter(c["at"] for c in report["changes"])
    assert max(stamps.values()) >= 2
    tied = [c["at"] for c in report["changes"] if stamps[c["at"]] >= 2]
    assert tied
