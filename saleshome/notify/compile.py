"""Notifications compiled to DuckDB SQL over an org's change log and synced tables.

:func:`compile_changes` turns every change-based notification of an org into **one**
parameterised query over the change-log rows not evaluated yet (a range of commit positions,
:class:`saleshome.warehouse.watermarks.ChangeRange`).  Per *watch* — the rows of one (object,
operation, field) that some notifications look at — the change log is read once (filters pushed
into the scan), each distinct template test is evaluated once per row and aggregated per record
in the same pass (a record's several changes within the range collapse into one match keeping the
latest SystemModstamp), and the records are joined once with the synced table, where every
notification's conditions are tested on the record's current values; one small ``SELECT`` per
notification then keeps its matches.  Identifiers in the SQL are only names the org's describe
gave at save time *and* that the warehouse has as columns (quoted by
:func:`saleshome.warehouse.orgdb.q`); every value is a parameter.  :func:`compile_scheduled` does
the same for the time-based templates, over the synced tables only.

"Deal closed" follows the celebration settings' won stage (:func:`saleshome.celebrate.detect.won_sql`):
with a custom won stage chosen, entering it is a win although Salesforce keeps ``IsWon`` false.

:mod:`bench.notify_reference` (not part of the package) evaluates the same definitions row by row in Python: the
tests compare both on random change logs, and the benchmark uses it as its baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from saleshome.celebrate.detect import won_entry, won_sql
from saleshome.settings.notifications.catalog import TEMPLATES, Condition, NotificationSpec
from saleshome.settings.notifications.validate import Resolved, field_kind, typed_value
from saleshome.warehouse.orgdb import q
from saleshome.warehouse.watermarks import NOTIFYING, ChangeRange


@dataclass(frozen=True)
class Plan:
    """What evaluation needs of one notification (its saved spec and what describe said)."""

    id: str
    version: int
    spec: NotificationSpec
    resolved: Resolved
    won_stage: str | None = None  # the org's custom won stage (celebration settings), None: IsWon

    @property
    def template(self) -> str:
        return self.spec.template

    @property
    def object(self) -> str:
        return self.resolved.object

    @cached_property
    def opts(self) -> dict[str, Any]:
        """The template's options with their defaults."""
        return self.spec.typed_options().model_dump()

    def kind(self, name: str) -> str:
        return field_kind(self.resolved.types.get(name, "string"))


@dataclass
class Compiled:
    sql: str
    params: list[Any]
    plans: list[Plan]  # the notifications the query evaluates
    skipped: dict[str, str] = field(default_factory=dict)  # notification id → why it was left out


def text_as(expr: str, kind: str) -> str:
    """A change-log text value (``old_value``/``new_value``) as its typed SQL value."""
    return {"number": f"TRY_CAST({expr} AS DOUBLE)", "date": f"TRY_CAST({expr} AS DATE)",
            "datetime": f"TRY_CAST({expr} AS TIMESTAMPTZ)", "boolean": f"TRY_CAST({expr} AS BOOLEAN)"}.get(kind, expr)


def column_as(plan: Plan, name: str, alias: str = "r") -> str:
    """A record column as SQL, numbers as DOUBLE (the type of the parameters compared with it)."""
    col = f"{alias}.{q(name)}"
    return f"CAST({col} AS DOUBLE)" if plan.kind(name) == "number" else col


def typed_values(plan: Plan, name: str, values: Sequence[Any]) -> list[Any]:
    """``values`` as the parameters compared with field ``name`` (a multi-select's items as text)."""
    kind = plan.kind(name)
    return [typed_value("text" if kind == "multi" else kind, v) for v in values]


def condition_sql(plan: Plan, cond: Condition, params: list[Any]) -> str:
    col = column_as(plan, cond.field)
    op = cond.op
    if op == "is_null":
        return f"{col} IS NULL"
    if op == "is_not_null":
        return f"{col} IS NOT NULL"
    if op in ("in", "not_in"):
        values = typed_values(plan, cond.field, cond.value if isinstance(cond.value, list) else [cond.value])
        params.extend(values)
        marks = ", ".join("?" for _ in values)
        return f"{col} IN ({marks})" if op == "in" else f"({col} IS NULL OR {col} NOT IN ({marks}))"
    if op == "contains":
        params.append(cond.value)
        if plan.kind(cond.field) == "multi":
            return f"list_contains({col}, ?)"
        return f"contains(lower({col}), lower(?))"
    params.append(typed_values(plan, cond.field, [cond.value])[0])
    if op == "!=":
        return f"{col} IS DISTINCT FROM ?"
    return f"{col} {op} ?"


TRIGGER_FIELDS = {"stage_changed": "StageName", "owner_changed": "OwnerId", "deal_closed": "IsClosed"}


def custom_won_stage(plan: Plan) -> str | None:
    """The org's chosen won stage when it applies to this notification (a "deal closed" on opportunities)."""
    return plan.won_stage if plan.template == "deal_closed" and plan.object == "Opportunity" else None


def trigger_key(plan: Plan) -> tuple[str, tuple[str, ...]]:
    """(operation, fields) of the change-log rows a change-based template looks at (no field: inserts).

    A "deal closed" looks at ``IsClosed``, and at ``StageName`` too when the celebration settings
    chose a custom won stage (entering it is a win even though Salesforce keeps ``IsWon`` false).
    """
    if plan.template == "new_record":
        return "insert", ()
    if custom_won_stage(plan) is not None:
        return "update", ("IsClosed", "StageName")
    return "update", (TRIGGER_FIELDS.get(plan.template) or str(plan.opts["field"]),)


def trigger_sql(plan: Plan, params: list[Any], today: date, *, typed: tuple[str, str, str] | None = None,
                positions: tuple[list[str], str, str] | None = None) -> str:
    """The template's test on one change-log row (``_field``, ``_old``, ``_new``), beyond its (operation, fields).

    ``typed``: (kind, old, new) — the rows also carry the values already cast to that kind, in
    those columns; ``positions``: (stage order, old, new) — the stages' positions in that order.
    """
    opts = plan.opts
    t = plan.template
    _, names = trigger_key(plan)
    if not names:
        return "true"
    if t == "deal_closed":
        won_stage = custom_won_stage(plan)
        if won_stage is None:
            return "_new = 'true'"
        field, entry = won_entry(won_stage)
        params.append(entry)
        return f"((_field = 'IsClosed' AND _new = 'true') OR (_field = '{field}' AND _new = ?))"
    name = names[0]
    parts: list[str] = []
    kind = plan.kind(name)
    old, new = typed[1:] if typed is not None and typed[0] == kind else (text_as("_old", kind), text_as("_new", kind))
    if t == "field_changed":
        for key, expr in (("from_values", old), ("to_values", new)):
            if opts.get(key):
                values = typed_values(plan, name, opts[key])
                params.extend(values)
                parts.append(f"{expr} IN ({', '.join('?' for _ in values)})")
    elif t == "stage_changed":
        if opts["to_stages"]:
            params.extend(opts["to_stages"])
            parts.append(f"_new IN ({', '.join('?' for _ in opts['to_stages'])})")
        if opts["direction"] != "any":
            sign = ">" if opts["direction"] == "forward" else "<"
            if positions is not None and positions[0] == plan.resolved.stage_order:
                parts.append(f"{positions[2]} {sign} {positions[1]}")
            else:
                params.extend([plan.resolved.stage_order, plan.resolved.stage_order])
                parts.append(f"list_position(?::VARCHAR[], _new) {sign} list_position(?::VARCHAR[], _old)")
    elif t == "threshold_crossed":
        value = float(opts["value"])
        up, down = f"({old} < ? AND {new} >= ?)", f"({old} >= ? AND {new} < ?)"
        if opts["direction"] == "up":
            params.extend([value, value])
            parts.append(up)
        elif opts["direction"] == "down":
            params.extend([value, value])
            parts.append(down)
        else:
            params.extend([value, value, value, value])
            parts.append(f"({up} OR {down})")
    elif t == "date_moved":
        direction = opts["direction"]
        if direction == "later":
            parts.append(f"{new} > {old}")
        elif direction == "earlier":
            parts.append(f"{new} < {old}")
        elif direction == "into_past":
            params.extend([today, today])
            parts.append(f"CAST({new} AS DATE) < ? AND ({old} IS NULL OR CAST({old} AS DATE) >= ?)")
    return " AND ".join(parts) or "true"


def record_sql(plan: Plan, params: list[Any]) -> str:
    """The tests on the record's current values: not deleted, the conditions, a deal's outcome.

    A deal is won as the celebrations say (:func:`saleshome.celebrate.detect.won_sql`: ``IsWon``, or
    the custom won stage when one is chosen); lost when it is won neither way (a deal in the
    standard won stage is never reported lost).
    """
    parts = []
    if "IsDeleted" in plan.resolved.types:
        parts.append('r."IsDeleted" IS NOT TRUE')
    if plan.template == "deal_closed":
        outcome = plan.opts["outcome"]
        won_stage = custom_won_stage(plan)
        if outcome != "any":
            if won_stage is not None:
                params.append(won_stage)
            won = won_sql("r", None if won_stage is None else "?")
            if outcome == "won":
                parts.append(won)
            else:
                parts.append('r."IsWon" IS NOT TRUE' + ("" if won_stage is None else f" AND NOT coalesce({won}, false)"))
    parts += [condition_sql(plan, c, params) for c in plan.spec.conditions]
    return " AND ".join(f"({p})" for p in parts) or "true"


def _columns_needed(plan: Plan) -> set[str]:
    needed = {c.field for c in plan.spec.conditions}
    if "IsDeleted" in plan.resolved.types:
        needed.add("IsDeleted")
    if plan.template == "deal_closed":
        needed.add("IsWon")
        if custom_won_stage(plan) is not None:
            needed.add("StageName")
    opts = plan.opts
    if plan.template == "stale_record":
        needed.add("LastActivityDate" if opts["basis"] == "last_activity" else "SystemModstamp")
        if "IsClosed" in plan.resolved.types:
            needed.add("IsClosed")
    if plan.template == "upcoming_date":
        needed.add(str(opts["field"]))
    return needed


def usable(plans: Sequence[Plan], columns: dict[str, set[str]]) -> tuple[list[Plan], dict[str, str]]:
    """The plans whose object and columns the warehouse has (the others, with the reason)."""
    ok: list[Plan] = []
    skipped: dict[str, str] = {}
    for plan in plans:
        have = columns.get(plan.object)
        if not have:
            skipped[plan.id] = f"{plan.object} is not synced for this org"
            continue
        missing = sorted(_columns_needed(plan) - have)
        if missing:
            skipped[plan.id] = f"{plan.object} has no synced column {', '.join(missing)}"
            continue
        ok.append(plan)
    return ok, skipped


@dataclass
class _Watch:
    """The change-log rows of one (operation, fields) of an object, and the notifications reading them."""

    operation: str
    fields: tuple[str, ...]
    plans: dict[int, Plan] = field(default_factory=dict)  # by position in ``Compiled.plans``


def _param_key(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _watch_query(name: str, obj: str, w: _Watch, *, changes: ChangeRange, today: date) -> tuple[str, list[Any], list[str]]:
    """One watch: (its CTE, the CTE's parameters, one SELECT per notification reading it).

    The CTE has one row per record of the object with rows in the watch, and per distinct
    template test ``j`` among its notifications, ``_c<j>`` (the rows it accepts) and ``_s<j>``
    (their latest SystemModstamp); per notification ``n``, ``_m<n>``: its test accepted a row
    and the record, as synced now, meets its conditions.
    """
    params: list[Any] = []
    # Values a template compares, cast once per row: numbers, dates, booleans, stage positions.
    typed: tuple[str, str, str] | None = None
    positions: tuple[list[str], str, str] | None = None
    casts = ""
    if len(w.fields) == 1:
        kind = next(iter(w.plans.values())).kind(w.fields[0])
        if kind in ("number", "date", "datetime", "boolean"):
            typed = (kind, "_old_t", "_new_t")
            casts += f", {text_as('_old', kind)} AS _old_t, {text_as('_new', kind)} AS _new_t"
        order = next((p.resolved.stage_order for p in w.plans.values() if p.resolved.stage_order), None)
        if w.fields == ("StageName",) and order:
            positions = (order, "_old_pos", "_new_pos")
            casts += ", list_position(?::VARCHAR[], _old) AS _old_pos, list_position(?::VARCHAR[], _new) AS _new_pos"
    # Each distinct test evaluated once per row (several notifications often share one).
    tests: dict[tuple[str, tuple[Any, ...]], int] = {}
    column: dict[int, int] = {}
    flags: list[str] = []
    aggregates: list[str] = []
    for n, plan in w.plans.items():
        local: list[Any] = []
        test = trigger_sql(plan, local, today, typed=typed, positions=positions)
        j = tests.setdefault((test, _param_key(local)), len(tests))
        column[n] = j
        if j < len(aggregates):
            continue
        if test == "true":
            aggregates.append(f"count(*) AS _c{j}, max(_stamp) AS _s{j}")
        else:
            params.extend(local)
            flags.append(f", {test} AS _t{j}")
            aggregates.append(f"count(*) FILTER (WHERE _t{j}) AS _c{j}, max(_stamp) FILTER (WHERE _t{j}) AS _s{j}")
    if positions is not None:
        params.extend([positions[0], positions[0]])
    params.extend([obj, w.operation, *w.fields])
    fields = f" AND field IN ({', '.join('?' for _ in w.fields)})" if w.fields else ""
    rows = ("SELECT record_id AS _rid, field AS _field, old_value AS _old, new_value AS _new, system_modstamp AS _stamp"
            f"{casts} FROM change_log WHERE {changes.where()} AND {NOTIFYING} AND object = ? AND operation = ?{fields}")
    conditions: list[Any] = []  # their "?" come first in the text
    matches = [f"a._c{column[n]} > 0 AND {record_sql(plan, conditions)} AS _m{n}" for n, plan in w.plans.items()]
    kept = ", ".join(f"a._c{j}, a._s{j}" for j in range(len(tests)))
    cte = (f"{name} AS MATERIALIZED (SELECT a._rid, {kept}, {', '.join(matches)} FROM ("
           f"SELECT _rid, {', '.join(aggregates)} FROM (SELECT _rid, _stamp{''.join(flags)} FROM ({rows})) "
           f"GROUP BY _rid) a JOIN sf.{q(obj)} r ON r.\"Id\" = a._rid)")
    selects = [f"SELECT {n}::INTEGER AS n, _rid AS record_id, _s{column[n]} AS stamp, _c{column[n]} AS changes "
               f"FROM {name} WHERE _m{n}" for n in w.plans]
    return cte, conditions + params, selects


def compile_changes(plans: Sequence[Plan], columns: dict[str, set[str]], *, changes: ChangeRange,
                    today: date) -> Compiled | None:
    """One query: ``(n, record_id, stamp, changes)`` per (notification, record) matched in ``changes``.

    Silent rows (initial syncs, silent backfills) count only when the run that logged them asked to
    notify (:data:`saleshome.warehouse.watermarks.NOTIFYING`).

    ``n`` is the notification's position in ``Compiled.plans``.  Shape: one CTE per *watch* — the
    change-log rows of one (object, operation, field) that some notifications look at — which

    1. reads just those rows of the range (the filters go down to the change-log scan, and only the
       columns the tests need are read), casting the compared values once;
    2. evaluates each distinct template test once per row and aggregates per record in the same
       pass — per test, the rows it accepts and their latest SystemModstamp: several changes of a
       record within the range collapse here, before anything is joined;
    3. joins those records once with the object's synced table and tests every notification's
       conditions on the record's current values (one boolean per notification);

    then one small ``SELECT`` per notification keeps its matches (``UNION ALL``).  The change log
    is read once per watch, never once per notification, and no match is grouped twice.
    """
    change_plans = [p for p in plans if not TEMPLATES[p.template].time_based]
    ok, skipped = usable(change_plans, columns)
    if not ok:
        return None
    watches: dict[tuple[str, str, tuple[str, ...]], _Watch] = {}
    for n, plan in enumerate(ok):
        operation, fields = trigger_key(plan)
        watches.setdefault((plan.object, operation, fields), _Watch(operation, fields)).plans[n] = plan
    ctes: list[str] = []
    params: list[Any] = []
    selects: list[str] = []
    for i, ((obj, _, _), w) in enumerate(watches.items()):
        cte, cte_params, more = _watch_query(f"w{i}", obj, w, changes=changes, today=today)
        ctes.append(cte)
        params += cte_params
        selects += more
    sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(selects)
    return Compiled(sql, params, ok, skipped)


def compile_scheduled(plans: Sequence[Plan], columns: dict[str, set[str]], *, today: date) -> Compiled | None:
    """One query: ``(nid, record_id, period)`` per time-based notification and record due today.

    ``period`` makes "at most once per record per period": for a stale record, the moment it
    last changed (or its last activity date) — it is told once per quiet spell; for an
    upcoming date, the date itself — told once per date (moving the date tells again).
    """
    timed = [p for p in plans if TEMPLATES[p.template].time_based]
    ok, skipped = usable(timed, columns)
    if not ok:
        return None
    params: list[Any] = []
    selects = []
    for plan in ok:
        opts = plan.opts
        params.append(plan.id)
        if plan.template == "stale_record":
            basis = "LastActivityDate" if opts["basis"] == "last_activity" else "SystemModstamp"
            col = f"r.{q(basis)}"
            test = f"{col} IS NOT NULL AND CAST({col} AS DATE) <= ?"
            params.append(date.fromordinal(today.toordinal() - int(opts["days"])))
            if "IsClosed" in plan.resolved.types:
                test += ' AND r."IsClosed" IS NOT TRUE'
            period = f"CAST({col} AS VARCHAR)"
        else:
            col = f"r.{q(str(opts['field']))}"
            test = f"CAST({col} AS DATE) BETWEEN ? AND ?"
            params.extend([today, date.fromordinal(today.toordinal() + int(opts["days"]))])
            if "IsClosed" in plan.resolved.types:
                test += ' AND r."IsClosed" IS NOT TRUE'
            period = f"CAST(CAST({col} AS DATE) AS VARCHAR)"
        extra = record_sql(plan, params)
        selects.append(f"SELECT ? AS nid, r.\"Id\" AS record_id, {period} AS period FROM sf.{q(plan.object)} r "
                       f"WHERE {test} AND {extra}")
    return Compiled(" UNION ALL ".join(selects), params, ok, skipped)
