"""Notifications compiled to DuckDB SQL over an org's change log and synced tables.

:func:`compile_changes` turns every change-based notification of an org into **one**
parameterised query over one sync run's change log: one branch per notification selects the
change-log rows its template fires on (``hits``), a record's several changes within the run
collapse into one match per (notification, record) keeping the latest SystemModstamp, and a
join per object with the synced table applies the conditions on the record's current values.
Identifiers in the SQL are only names the org's describe gave at save time *and* that the
warehouse has as columns (quoted by :func:`saleshome.warehouse.orgdb.q`); every value is a
parameter.  :func:`compile_scheduled` does the same for the time-based templates, over the
synced tables only.

:mod:`saleshome.notify.reference` evaluates the same definitions row by row in Python: the
tests compare both on random change logs, and the benchmark uses it as its baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from saleshome.warehouse.orgdb import q

from .catalog import TEMPLATES, Condition, NotificationSpec
from .validate import Resolved, field_kind, typed_value


@dataclass(frozen=True)
class Plan:
    """What evaluation needs of one notification (its saved spec and what describe said)."""

    id: str
    version: int
    spec: NotificationSpec
    resolved: Resolved

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


def _values(plan: Plan, name: str, values: Sequence[Any]) -> list[Any]:
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
        values = _values(plan, cond.field, cond.value if isinstance(cond.value, list) else [cond.value])
        params.extend(values)
        marks = ", ".join("?" for _ in values)
        return f"{col} IN ({marks})" if op == "in" else f"({col} IS NULL OR {col} NOT IN ({marks}))"
    if op == "contains":
        params.append(cond.value)
        if plan.kind(cond.field) == "multi":
            return f"list_contains({col}, ?)"
        return f"contains(lower({col}), lower(?))"
    params.append(_values(plan, cond.field, [cond.value])[0])
    if op == "!=":
        return f"{col} IS DISTINCT FROM ?"
    return f"{col} {op} ?"


TRIGGER_FIELDS = {"stage_changed": "StageName", "owner_changed": "OwnerId", "deal_closed": "IsClosed"}


def trigger_key(plan: Plan) -> tuple[str, str | None]:
    """(operation, field) of the change-log rows a change-based template looks at."""
    if plan.template == "new_record":
        return "insert", None
    return "update", TRIGGER_FIELDS.get(plan.template) or str(plan.opts["field"])


def trigger_sql(plan: Plan, params: list[Any], today: date, *, typed_kind: str | None = None,
                stage_order: list[str] | None = None) -> str:
    """The template's test on one change-log row (``_old``/``_new``), beyond its (operation, field).

    ``typed_kind``: the rows also carry ``_old_t``/``_new_t``, the values already cast to that kind;
    ``stage_order``: they carry ``_old_pos``/``_new_pos``, the stages' positions in that order.
    """
    opts = plan.opts
    t = plan.template
    _, name = trigger_key(plan)
    if name is None:
        return "true"
    parts: list[str] = []
    kind = plan.kind(name)
    old, new = ("_old_t", "_new_t") if typed_kind == kind else (text_as("_old", kind), text_as("_new", kind))
    if t == "field_changed":
        for key, expr in (("from_values", old), ("to_values", new)):
            if opts.get(key):
                values = _values(plan, name, opts[key])
                params.extend(values)
                parts.append(f"{expr} IN ({', '.join('?' for _ in values)})")
    elif t == "stage_changed":
        if opts["to_stages"]:
            params.extend(opts["to_stages"])
            parts.append(f"_new IN ({', '.join('?' for _ in opts['to_stages'])})")
        if opts["direction"] != "any":
            sign = ">" if opts["direction"] == "forward" else "<"
            if stage_order is not None and stage_order == plan.resolved.stage_order:
                parts.append(f"_new_pos {sign} _old_pos")
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
    elif t == "deal_closed":
        parts.append("_new = 'true'")
    return " AND ".join(parts) or "true"


def record_sql(plan: Plan, params: list[Any]) -> str:
    """The tests on the record's current values: not deleted, the conditions, a deal's outcome."""
    parts = []
    if "IsDeleted" in plan.resolved.types:
        parts.append('r."IsDeleted" IS NOT TRUE')
    if plan.template == "deal_closed":
        outcome = plan.opts["outcome"]
        if outcome == "won":
            parts.append('r."IsWon" IS TRUE')
        elif outcome == "lost":
            parts.append('r."IsWon" IS NOT TRUE')
    parts += [condition_sql(plan, c, params) for c in plan.spec.conditions]
    return " AND ".join(f"({p})" for p in parts) or "true"


def _columns_needed(plan: Plan) -> set[str]:
    needed = {c.field for c in plan.spec.conditions}
    if "IsDeleted" in plan.resolved.types:
        needed.add("IsDeleted")
    if plan.template == "deal_closed":
        needed.add("IsWon")
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


def compile_changes(plans: Sequence[Plan], columns: dict[str, set[str]], *, run_id: str, include_initial: bool,
                    today: date) -> Compiled | None:
    """One query: ``(n, record_id, stamp, changes)`` per (notification, record) matched in the run.

    ``n`` is the notification's position in ``Compiled.plans``.  Shape: the run's change-log
    rows of each object joined once with the object's synced table (the columns the
    conditions need), split once per watched (operation, field); each notification's
    branch tests its template and conditions on its part only; hits are collapsed per
    (notification, record), keeping the latest SystemModstamp.
    """
    change_plans = [p for p in plans if not TEMPLATES[p.template].time_based]
    ok, skipped = usable(change_plans, columns)
    if not ok:
        return None
    params: list[Any] = [run_id, include_initial]
    ctes = ["cl AS MATERIALIZED (SELECT record_id, object, operation, field, old_value, new_value, system_modstamp "
            "FROM change_log WHERE run_id = ? AND (NOT initial OR ?))"]
    objects = list(dict.fromkeys(p.object for p in ok))
    for i, obj in enumerate(objects):
        needed = sorted(set().union(*(_columns_needed(p) for p in ok if p.object == obj)) - {"Id"})
        extra = "".join(f", r.{q(c)}" for c in needed)
        params.append(obj)
        ctes.append(f"o{i} AS MATERIALIZED (SELECT c.record_id AS _rid, c.operation AS _op, c.field AS _field, "
                    f"c.old_value AS _old, c.new_value AS _new, c.system_modstamp AS _stamp{extra} FROM cl c "
                    f"JOIN sf.{q(obj)} r ON r.\"Id\" = c.record_id WHERE c.object = ?)")
    # One part per watched (object, operation, field), its values cast once for every branch reading it.
    parts: dict[tuple[str, str, str | None], tuple[str, str | None, list[str] | None]] = {}
    for plan in ok:
        key = (plan.object, *trigger_key(plan))
        if key in parts:
            continue
        name = f"p{len(parts)}"
        kind = plan.kind(key[2]) if key[2] is not None else None
        order = plan.resolved.stage_order if key[2] == "StageName" and plan.resolved.stage_order else None
        extra = ""
        if kind in ("number", "date", "datetime", "boolean"):
            extra += f", {text_as('_old', kind)} AS _old_t, {text_as('_new', kind)} AS _new_t"
        if order is not None:
            params.extend([order, order])
            extra += ", list_position(?::VARCHAR[], _old) AS _old_pos, list_position(?::VARCHAR[], _new) AS _new_pos"
        parts[key] = (name, kind if extra and kind != "text" else None, order)
        params.append(key[1])
        test = "_op = ?"
        if key[2] is not None:
            params.append(key[2])
            test += " AND _field = ?"
        ctes.append(f"{name} AS MATERIALIZED (SELECT *{extra} FROM o{objects.index(plan.object)} WHERE {test})")
    branches = []
    for n, plan in enumerate(ok):
        part, typed_kind, order = parts[(plan.object, *trigger_key(plan))]
        params.append(n)
        where = trigger_sql(plan, params, today, typed_kind=typed_kind, stage_order=order)
        where += " AND " + record_sql(plan, params)
        branches.append(f"SELECT ?::INTEGER AS n, _rid, _stamp FROM {part} r "
                        f"WHERE {where}")
    ctes.append(f"hits AS ({' UNION ALL '.join(branches)})")
    sql = ("WITH " + ", ".join(ctes) + " SELECT n, _rid AS record_id, max(_stamp) AS stamp, count(*) AS changes "
           "FROM hits GROUP BY n, _rid")
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
