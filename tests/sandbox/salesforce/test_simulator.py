"""The activity simulator: kinds of changes, same-millisecond ties, late commits, what the report says."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from saleshome.sandbox.salesforce.ids import is_valid_id
from saleshome.sandbox.salesforce.seed import generate_org
from saleshome.sandbox.salesforce.simulator import KINDS, SimulationReport, simulate
from saleshome.sandbox.salesforce.store import OrgStore

OPPORTUNITIES = 800


def seeded_store() -> OrgStore:
    store = OrgStore()
    store.load(generate_org(21, OPPORTUNITIES, store.clock.now()))
    return store


def row(store: OrgStore, obj: str, record_id: str) -> dict[str, Any] | None:
    rows = store.read(f'SELECT * FROM "{obj}" WHERE "Id" = ?', [record_id]).to_pylist()
    return rows[0] if rows else None


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def run() -> tuple[OrgStore, SimulationReport]:
    store = seeded_store()
    return store, simulate(store, 600, seed=5, late_commits=True)


def test_every_common_kind_of_change_happens(run: tuple[OrgStore, SimulationReport]) -> None:
    _store, report = run
    assert sum(report.counts.values()) == len(report.changes) == 600
    assert set(report.counts) == {k for k, _ in KINDS}
    rare = {"purge", "undelete", "contract_signed", "revoke_assignment"}  # the last is not in the default mix
    assert all(report.counts[k] > 0 for k, _ in KINDS if k not in rare), report.counts
    assert report.counts["stage_forward"] > report.counts["stage_backward"]
    assert report.started < report.ended
    assert all(report.started <= c.at <= report.ended for c in report.changes)


def test_report_lists_touched_and_won_records(run: tuple[OrgStore, SimulationReport]) -> None:
    store, report = run
    assert set(report.touched) <= {"Opportunity", "Account", "Contact", "Lead", "Case"}
    for obj, ids in report.touched.items():
        assert len(set(ids)) == len(ids) and all(is_valid_id(i) for i in ids), obj
    assert report.won_opportunity_ids and set(report.won_opportunity_ids) <= set(report.touched["Opportunity"])
    last_kind = {c.record_id: c.kind for c in report.changes}
    for opp_id in report.won_opportunity_ids:
        record = row(store, "Opportunity", opp_id)
        if last_kind[opp_id] == "purge":
            assert record is None
            continue
        assert record is not None and record["StageName"] == "Closed Won" and record["IsWon"] and record["IsClosed"]
        history = (
            store.read(
                'SELECT "StageName" FROM "OpportunityHistory" WHERE "OpportunityId" = ? '
                'ORDER BY "CreatedDate" DESC LIMIT 1',
                [opp_id],
            )
            .column("StageName")
            .to_pylist()
        )
        assert history == ["Closed Won"]


def test_deletes_undeletes_and_purges_reach_the_store(run: tuple[OrgStore, SimulationReport]) -> None:
    store, report = run
    final = {(c.object, c.record_id): c.kind for c in report.changes}
    for (obj, record_id), kind in final.items():
        record = row(store, obj, record_id)
        if kind == "purge":
            assert record is None
        elif kind == "delete":
            assert record is not None and record["IsDeleted"]
        else:
            assert record is not None and not record["IsDeleted"], (kind, obj)


def test_changes_carry_their_system_modstamp(run: tuple[OrgStore, SimulationReport]) -> None:
    store, report = run
    last = {(c.object, c.record_id): c for c in report.changes}
    for (obj, record_id), change in last.items():
        record = row(store, obj, record_id)
        if record is not None:
            assert aware(record["SystemModstamp"]) == change.at, change


def test_several_changes_share_a_millisecond(run: tuple[OrgStore, SimulationReport]) -> None:
    _store, report = run
    stamps = Counter(c.at for c in report.changes)
    assert report.same_millisecond > 10
    assert sum(n - 1 for n in stamps.values() if n > 1) >= report.same_millisecond


def test_late_commits_are_older_than_what_was_visible(run: tuple[OrgStore, SimulationReport]) -> None:
    _store, report = run
    late = [c for c in report.changes if c.late]
    assert len(late) > 20 and report.late_committed_ids
    assert {i for ids in report.late_committed.values() for i in ids} == set(report.late_committed_ids)
    newest = datetime.min.replace(tzinfo=UTC)
    for change in report.changes:
        if change.late:
            assert change.visible_max is not None
            assert change.at < change.visible_max and (change.visible_max - change.at).total_seconds() < 600
            assert change.at >= report.started
            assert newest <= change.visible_max
        newest = max(newest, change.at)


def test_without_late_commits_time_only_moves_forward() -> None:
    store = seeded_store()
    report = simulate(store, 150, seed=9)
    stamps = [c.at for c in report.changes]
    assert stamps == sorted(stamps) and not report.late_committed_ids
    assert all(c.visible_max is None for c in report.changes)


def test_same_seed_same_changes() -> None:
    first = simulate(seeded_store(), 120, seed=4, late_commits=True)
    second = simulate(seeded_store(), 120, seed=4, late_commits=True)
    assert [(c.kind, c.object, c.record_id, c.late) for c in first.changes] == [
        (c.kind, c.object, c.record_id, c.late) for c in second.changes
    ]


def test_kinds_can_be_chosen() -> None:
    store = seeded_store()
    report = simulate(store, 30, seed=2, kinds={"won": 3, "contract_signed": 1})
    assert report.counts["won"] + report.counts["contract_signed"] == 30
    assert len(report.won_opportunity_ids) == report.counts["won"]
    signed = (
        store.read(
            'SELECT count(*) AS n FROM "Opportunity" WHERE "StageName" = \'Contract Signed\' '
            'AND list_contains(?, "Id")',
            [list(report.contract_signed_ids)],
        )
        .column("n")[0]
        .as_py()
    )
    assert report.contract_signed_ids and signed >= 1
    with pytest.raises(ValueError):
        simulate(store, 1, seed=2, kinds={"teleport": 1})


def test_revoking_an_assignment_is_a_hard_delete() -> None:
    store = OrgStore()
    store.load(generate_org(21, 60, store.clock.now()))
    before = store.read('SELECT count(*) AS n FROM "PermissionSetAssignment"').column("n")[0].as_py()
    report = simulate(store, 3, seed=6, kinds={"revoke_assignment": 1})
    revoked = report.touched["PermissionSetAssignment"]
    assert report.counts["revoke_assignment"] == len(revoked) == 3
    assert all(row(store, "PermissionSetAssignment", i) is None for i in revoked)  # gone, not in a Recycle Bin
    assert store.read('SELECT count(*) AS n FROM "PermissionSetAssignment"').column("n")[0].as_py() == before - 3
    assert store.read('SELECT count(*) AS n FROM "_recycle_bin"').column("n")[0].as_py() == 0
