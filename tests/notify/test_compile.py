"""The compiled SQL against the row-by-row Python reference, on random definitions and change logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.notify_reference import evaluate_rows
from saleshome.notify.compile import Plan, compile_changes, compile_scheduled
from saleshome.settings.notifications.catalog import Condition, NotificationSpec
from saleshome.settings.notifications.validate import Resolved
from saleshome.warehouse.orgdb import OrgWarehouse
from saleshome.warehouse.watermarks import ChangeRange, Step

STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
TYPES = {"Id": "id", "Name": "string", "StageName": "picklist", "Amount": "currency", "CloseDate": "date",
         "OwnerId": "reference", "IsClosed": "boolean", "IsWon": "boolean", "IsDeleted": "boolean",
         "Type": "picklist", "Probability": "percent"}
DUCK = {"Id": "VARCHAR", "Name": "VARCHAR", "StageName": "VARCHAR", "Amount": "DECIMAL(18,2)", "CloseDate": "DATE",
        "OwnerId": "VARCHAR", "IsClosed": "BOOLEAN", "IsWon": "BOOLEAN", "IsDeleted": "BOOLEAN", "Type": "VARCHAR",
        "Probability": "DECIMAL(3,0)"}
OWNERS = ["005A", "005B", "005C"]
TODAY = date(2025, 3, 10)
BASE = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
RESOLVED = Resolved(object="Opportunity", name_field="Name", types=dict(TYPES), stage_order=STAGES)


def span(after: int, upto: int) -> ChangeRange:
    """The change-log positions ``(after, upto]``."""
    return ChangeRange(Step.NOTIFICATIONS, "test", after, upto, "r1")


def make_org(path: Path, records: list[dict[str, Any]], changes: list[dict[str, Any]],
             notifying: tuple[str, ...] = ()) -> OrgWarehouse:
    """An org warehouse with these records and change-log rows; ``notifying``: the runs started with ``notify``."""
    wh = OrgWarehouse(path)
    for run in ("r0", "r1"):
        wh.conn.execute("INSERT INTO runs VALUES (?, 'incremental', ?, now())", [run, run in notifying])
    cols = ", ".join(f'"{c}" {t}' for c, t in DUCK.items())
    wh.conn.execute(f'CREATE TABLE sf."Opportunity" ({cols})')
    for c, t in DUCK.items():
        wh.conn.execute("INSERT INTO columns (object, name, sf_type, duck_type, added_at, removed_at) "
                        "VALUES ('Opportunity', ?, ?, ?, now(), NULL)", [c, TYPES[c], t])
    if records:
        wh.conn.executemany(f'INSERT INTO sf."Opportunity" VALUES ({", ".join("?" for _ in DUCK)})',
                            [[r[c] for c in DUCK] for r in records])
    if changes:
        wh.conn.executemany("INSERT INTO change_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [[c["run_id"], c["object"], c["record_id"], c["system_modstamp"], c["operation"],
                              c["field"], c["old_value"], c["new_value"], c["initial"], BASE, c["commit_seq"]]
                             for c in changes])
    return wh


# ---------------------------------------------------------------------- strategies
ids = st.sampled_from([f"006{i:03d}" for i in range(12)])
amounts = st.sampled_from([None, 0, 5000, 50000, 99999.99, 100000, 250000])
days = st.integers(-40, 40).map(lambda d: TODAY + timedelta(days=d))


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(12):
        if draw(st.integers(0, 9)) == 0:
            continue  # a record not (or no longer) in the table
        stage = draw(st.sampled_from(STAGES))
        out.append({"Id": f"006{i:03d}", "Name": draw(st.sampled_from(["Acme deal", "Big <b>", "Globex", None])),
                    "StageName": stage, "Amount": draw(amounts), "CloseDate": draw(st.none() | days),
                    "OwnerId": draw(st.sampled_from(OWNERS)), "IsClosed": stage.startswith("Closed"),
                    "IsWon": stage == "Closed Won", "IsDeleted": draw(st.booleans()) and draw(st.booleans()),
                    "Type": draw(st.sampled_from([None, "New Business", "Renewal"])),
                    "Probability": draw(st.sampled_from([None, 10, 50, 90]))})
    return out


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if field == "Amount":
        return f"{float(value):.2f}"
    return str(value)


@st.composite
def change(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(["insert", "update", "update", "update", "delete"]))
    field = value_old = value_new = None
    if op == "update":
        field = draw(st.sampled_from(["StageName", "Amount", "CloseDate", "OwnerId", "IsClosed", "Type"]))
        gen: Any = {"StageName": st.sampled_from(STAGES), "Amount": amounts, "CloseDate": st.none() | days,
                    "OwnerId": st.sampled_from(OWNERS), "IsClosed": st.booleans(),
                    "Type": st.sampled_from([None, "New Business", "Renewal"])}[field]
        value_old, value_new = _text(field, draw(gen)), _text(field, draw(gen))
        if draw(st.integers(0, 20)) == 0:
            value_old = "garbage"  # a value that does not parse: TRY_CAST gives NULL
    return {"run_id": draw(st.sampled_from(["r1", "r1", "r1", "r0"])), "object": "Opportunity",
            "record_id": draw(ids), "system_modstamp": BASE + timedelta(seconds=draw(st.integers(0, 5))),
            "operation": op, "field": field, "old_value": value_old, "new_value": value_new,
            "initial": draw(st.booleans()) and draw(st.booleans()),
            # the window's commit position; None: logged before positions existed (never evaluated by position)
            "commit_seq": draw(st.sampled_from([None, 1, 2, 2, 3, 3, 4]))}


def _cond_value(field: str, data: st.DataObject) -> Any:
    return data.draw({"Amount": st.sampled_from([0, 50000, 100000]), "Probability": st.sampled_from([10, 50]),
                      "CloseDate": st.sampled_from([(TODAY + timedelta(days=d)).isoformat() for d in (-5, 0, 5)]),
                      "StageName": st.sampled_from(STAGES), "Type": st.sampled_from(["New Business", "Renewal"]),
                      "Name": st.sampled_from(["acme", "<b>", "x"]), "OwnerId": st.sampled_from(OWNERS),
                      "IsWon": st.booleans()}[field])


@st.composite
def condition(draw: st.DrawFn, data: st.DataObject) -> Condition:
    field = draw(st.sampled_from(["Amount", "Probability", "CloseDate", "StageName", "Type", "Name", "OwnerId",
                                  "IsWon"]))
    kinds = {"Amount": "n", "Probability": "n", "CloseDate": "n", "IsWon": "b"}
    ops = {"n": ["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "is_not_null"],
           "b": ["=", "!=", "is_null", "is_not_null"]}.get(kinds.get(field, "t"),
                                                        ["=", "!=", "in", "not_in", "contains", "is_null",
                                                         "is_not_null"])
    op = draw(st.sampled_from(ops))
    if op in ("is_null", "is_not_null"):
        return Condition(field=field, op=op)  # type: ignore[arg-type]
    if op in ("in", "not_in"):
        return Condition(field=field, op=op, value=[_cond_value(field, data) for _ in range(draw(st.integers(1, 3)))])  # type: ignore[arg-type]
    return Condition(field=field, op=op, value=_cond_value(field, data))  # type: ignore[arg-type]


@st.composite
def spec(draw: st.DrawFn, data: st.DataObject) -> NotificationSpec:
    template = draw(st.sampled_from(["new_record", "field_changed", "stage_changed", "threshold_crossed",
                                     "date_moved", "owner_changed", "deal_closed"]))
    options: dict[str, Any] = {}
    if template == "field_changed":
        field = draw(st.sampled_from(["Amount", "StageName", "Type", "CloseDate"]))
        options["field"] = field
        if draw(st.booleans()):
            options["to_values"] = [_cond_value(field, data)]
        if draw(st.booleans()):
            options["from_values"] = [_cond_value(field, data), _cond_value(field, data)]
    elif template == "stage_changed":
        options = {"to_stages": draw(st.lists(st.sampled_from(STAGES), max_size=2)),
                   "direction": draw(st.sampled_from(["forward", "backward", "any"]))}
    elif template == "threshold_crossed":
        options = {"value": draw(st.sampled_from([50000, 100000])),
                   "direction": draw(st.sampled_from(["up", "down", "either"]))}
    elif template == "date_moved":
        options = {"direction": draw(st.sampled_from(["later", "earlier", "into_past", "any"]))}
    elif template == "deal_closed":
        options = {"outcome": draw(st.sampled_from(["won", "lost", "any"]))}
    conditions = draw(st.lists(condition(data), max_size=2)) if draw(st.booleans()) else []
    return NotificationSpec(template=template, object="Opportunity", options=options,  # type: ignore[arg-type]
                            conditions=conditions)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data(), recs=records(), log=st.lists(change(), min_size=5, max_size=60),
       notifying=st.sampled_from([(), ("r1",), ("r0", "r1")]), after=st.integers(0, 2), upto=st.integers(1, 4))
def test_sql_matches_the_python_reference(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
                                          recs: list[dict[str, Any]], log: list[dict[str, Any]],
                                          notifying: tuple[str, ...], after: int, upto: int) -> None:
    """Random definitions over a random change log, read from a random range of commit positions."""
    specs = data.draw(st.lists(spec(data), min_size=1, max_size=6))
    won_stage = data.draw(st.sampled_from([None, None, "Negotiation"]))  # the celebrations' custom won stage
    plans = [Plan(f"n{i}", 1, s, RESOLVED, won_stage) for i, s in enumerate(specs)]
    path = tmp_path_factory.mktemp("org") / "org.duckdb"
    with make_org(path, recs, log, notifying) as wh:
        compiled = compile_changes(plans, {"Opportunity": set(DUCK)}, changes=span(after, upto), today=TODAY)
        assert compiled is not None and not compiled.skipped
        got = {(compiled.plans[r[0]].id, r[1]): (r[2], r[3])
               for r in wh.conn.execute(compiled.sql, compiled.params).fetchall()}
    expected = evaluate_rows(plans, log, {"Opportunity": {r["Id"]: r for r in recs}}, after=after, upto=upto,
                             notifying_runs=notifying, today=TODAY)
    assert got == expected


def test_scheduled_templates(tmp_path: Path) -> None:
    recs = [
        {"Id": "006001", "Name": "soon", "StageName": "Proposal", "Amount": 10, "CloseDate": TODAY + timedelta(days=3),
         "OwnerId": "005A", "IsClosed": False, "IsWon": False, "IsDeleted": False, "Type": None, "Probability": None},
        {"Id": "006002", "Name": "later", "StageName": "Proposal", "Amount": 10,
         "CloseDate": TODAY + timedelta(days=30), "OwnerId": "005A", "IsClosed": False, "IsWon": False,
         "IsDeleted": False, "Type": None, "Probability": None},
        {"Id": "006003", "Name": "closed soon", "StageName": "Closed Won", "Amount": 10,
         "CloseDate": TODAY + timedelta(days=1), "OwnerId": "005A", "IsClosed": True, "IsWon": True,
         "IsDeleted": False, "Type": None, "Probability": None},
    ]
    plan = Plan("u", 1, NotificationSpec(template="upcoming_date", options={"field": "CloseDate", "days": 7}), RESOLVED)
    with make_org(tmp_path / "org.duckdb", recs, []) as wh:
        compiled = compile_scheduled([plan], {"Opportunity": set(DUCK)}, today=TODAY)
        assert compiled is not None
        rows = wh.conn.execute(compiled.sql, compiled.params).fetchall()
    assert rows == [("u", "006001", (TODAY + timedelta(days=3)).isoformat())]


def test_a_column_the_warehouse_lacks_leaves_the_notification_out() -> None:
    plan = Plan("n", 1, NotificationSpec(template="new_record", object="Opportunity",
                                         conditions=[Condition(field="Type", op="is_null")]), RESOLVED)
    assert compile_changes([plan], {"Opportunity": set(DUCK) - {"Type"}}, changes=span(0, 1),
                           today=TODAY) is None


def _deal(i: int, stage: str) -> dict[str, Any]:
    return {"Id": f"006{i:03d}", "Name": f"deal {i}", "StageName": stage, "Amount": 10, "CloseDate": TODAY,
            "OwnerId": "005A", "IsClosed": stage.startswith("Closed"), "IsWon": stage == "Closed Won",
            "IsDeleted": False, "Type": None, "Probability": None}


def _update(i: int, field: str, old: str, new: str, second: int = 0) -> dict[str, Any]:
    return {"run_id": "r1", "commit_seq": 1, "object": "Opportunity", "record_id": f"006{i:03d}", "operation": "update",
            "system_modstamp": BASE + timedelta(seconds=second), "field": field, "old_value": old, "new_value": new,
            "initial": False}


@pytest.mark.parametrize("won_stage", [None, "Negotiation"])
def test_deal_closed_follows_the_celebrations_won_stage(tmp_path: Path, won_stage: str | None) -> None:
    """With a custom won stage, entering it is a win (IsWon stays false); a deal in the standard won stage is
    then neither won nor lost, as for the celebrations (the custom stage replaces IsWon)."""
    recs = [_deal(1, "Negotiation"), _deal(2, "Closed Won"), _deal(3, "Closed Lost")]
    log = [_update(1, "StageName", "Proposal", "Negotiation"),
           _update(2, "StageName", "Negotiation", "Closed Won"), _update(2, "IsClosed", "false", "true", 1),
           _update(3, "StageName", "Proposal", "Closed Lost"), _update(3, "IsClosed", "false", "true")]
    plans = [Plan(outcome, 1, NotificationSpec(template="deal_closed", options={"outcome": outcome}), RESOLVED,
                  won_stage) for outcome in ("won", "lost", "any")]
    with make_org(tmp_path / "org.duckdb", recs, log) as wh:
        compiled = compile_changes(plans, {"Opportunity": set(DUCK)}, changes=span(0, 1), today=TODAY)
        assert compiled is not None
        got = {(compiled.plans[r[0]].id, r[1]) for r in wh.conn.execute(compiled.sql, compiled.params).fetchall()}
    expected = evaluate_rows(plans, log, {"Opportunity": {r["Id"]: r for r in recs}}, after=0, upto=1,
                             notifying_runs=(), today=TODAY)
    assert got == set(expected)
    if won_stage is None:
        assert got == {("won", "006002"), ("lost", "006003"), ("any", "006002"), ("any", "006003")}
    else:
        assert got == {("won", "006001"), ("lost", "006003"), ("any", "006001"), ("any", "006002"),
                       ("any", "006003")}
