"""A straightforward row-by-row Python evaluation of the same definitions as :mod:`saleshome.notify.compile`.

Not part of the package (the pipeline never uses it): it is the oracle the tests compare the SQL
with (on random change logs) and the baseline of ``bench/notify_eval.py``.  It follows SQL's rules where they
matter: a comparison with a missing value is false, except ``!=`` (``IS DISTINCT FROM``) and
``not_in`` (a missing value is not in the list).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from saleshome.celebrate.detect import won_entry
from saleshome.notify.compile import Plan, custom_won_stage, typed_values
from saleshome.settings.celebrations import is_won
from saleshome.settings.notifications.catalog import Condition


def parse_text(text: str | None, kind: str) -> Any:
    """A change-log text value as ``TRY_CAST`` would read it (None when it does not parse)."""
    if text is None:
        return None
    try:
        if kind == "number":
            return float(text)
        if kind == "date":
            return date.fromisoformat(text[:10])
        if kind == "datetime":
            value = text.replace(" ", "T")
            if value.endswith(("+00", "-00")) or (len(value) > 3 and value[-3] in "+-" and value[-2:].isdigit()):
                value += ":00"
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if kind == "boolean":
            return {"true": True, "false": False}.get(text.lower())
    except ValueError:
        return None
    return text


def _as(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "number":
        return float(value) if isinstance(value, int | float | Decimal) else None
    return value


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return value if isinstance(value, date) else None


def condition_holds(plan: Plan, cond: Condition, record: Mapping[str, Any]) -> bool:
    kind = plan.kind(cond.field)
    value = _as(record.get(cond.field), kind)
    op = cond.op
    if op == "is_null":
        return value is None
    if op == "is_not_null":
        return value is not None
    if op in ("in", "not_in"):
        values = typed_values(plan, cond.field, cond.value if isinstance(cond.value, list) else [cond.value])
        return (value is not None and value in values) if op == "in" else (value is None or value not in values)
    if op == "contains":
        if value is None:
            return False
        if kind == "multi":
            return cond.value in value
        return str(cond.value).lower() in str(value).lower()
    expected = typed_values(plan, cond.field, [cond.value])[0]
    if op == "!=":
        return bool(value != expected)
    if value is None:
        return False
    return bool({"=": value == expected, "<": value < expected, "<=": value <= expected,
                 ">": value > expected, ">=": value >= expected}[op])


def record_holds(plan: Plan, record: Mapping[str, Any]) -> bool:
    if "IsDeleted" in plan.resolved.types and record.get("IsDeleted") is True:
        return False
    if plan.template == "deal_closed":
        outcome = plan.opts["outcome"]
        won = is_won(record.get("StageName"), record.get("IsWon") is True, custom_won_stage(plan))
        if outcome == "won" and not won:
            return False
        if outcome == "lost" and (won or record.get("IsWon") is True):
            return False
    return all(condition_holds(plan, c, record) for c in plan.spec.conditions)


def _position(order: Sequence[str], value: str | None) -> int | None:
    return order.index(value) + 1 if value in order else None


def trigger_holds(plan: Plan, row: Mapping[str, Any], today: date) -> bool:
    if row["object"] != plan.object:
        return False
    t = plan.template
    opts = plan.opts
    if t == "new_record":
        return bool(row["operation"] == "insert")
    name = {"stage_changed": "StageName", "owner_changed": "OwnerId", "deal_closed": "IsClosed"}.get(t) \
        or str(opts["field"])
    if row["operation"] != "update" or row["field"] != name:
        if t == "deal_closed" and plan.won_stage is not None and row["operation"] == "update":
            won_stage = custom_won_stage(plan)  # entering the custom won stage closes the deal too
            return won_stage is not None and (row["field"], row["new_value"]) == won_entry(won_stage)
        return False
    kind = plan.kind(name)
    old, new = parse_text(row["old_value"], kind), parse_text(row["new_value"], kind)
    if t == "field_changed":
        if opts.get("from_values") and (old is None or old not in typed_values(plan, name, opts["from_values"])):
            return False
        return not (opts.get("to_values") and (new is None or new not in typed_values(plan, name, opts["to_values"])))
    if t == "stage_changed":
        if opts.get("to_stages") and row["new_value"] not in opts["to_stages"]:
            return False
        direction = opts.get("direction", "any")
        if direction == "any":
            return True
        a, b = _position(plan.resolved.stage_order, row["new_value"]), _position(plan.resolved.stage_order,
                                                                                  row["old_value"])
        return a is not None and b is not None and (a > b if direction == "forward" else a < b)
    if t == "threshold_crossed":
        value = float(opts["value"])
        if old is None or new is None:
            return False
        up, down = old < value <= new, new < value <= old
        direction = opts.get("direction", "up")
        return bool(up if direction == "up" else down if direction == "down" else (up or down))
    if t == "date_moved":
        direction = opts.get("direction", "any")
        if direction == "any":
            return True
        if direction == "into_past":
            new_day, old_day = _as_date(new), _as_date(old)
            return new_day is not None and new_day < today and (old is None or (old_day is not None and old_day >= today))
        if old is None or new is None:
            return False
        return bool(new > old) if direction == "later" else bool(new < old)
    if t == "deal_closed":
        return bool(row["new_value"] == "true")
    return True  # owner_changed


def evaluate_rows(plans: Sequence[Plan], rows: Iterable[Mapping[str, Any]],
                  records: Mapping[str, Mapping[str, Mapping[str, Any]]], *, after: int, upto: int,
                  notifying_runs: Collection[str], today: date) -> dict[tuple[str, str], tuple[datetime | None, int]]:
    """``{(notification id, record id): (latest stamp, changes)}``, one row and one notification at a time.

    Rows are those committed at positions ``(after, upto]`` (``commit_seq``); a silent row counts when its
    run is one of ``notifying_runs``.  ``records``: per object, the synced records by Id (a record missing
    there never matches).
    """
    hits: dict[tuple[str, str], tuple[datetime | None, int]] = {}
    for row in rows:
        position = row["commit_seq"]
        if position is None or not after < position <= upto:
            continue
        if row["initial"] and row["run_id"] not in notifying_runs:
            continue
        for plan in plans:
            if not trigger_holds(plan, row, today):
                continue
            record = records.get(plan.object, {}).get(row["record_id"])
            if record is None or not record_holds(plan, record):
                continue
            key = (plan.id, row["record_id"])
            stamp, n = hits.get(key, (None, 0))
            new = row["system_modstamp"]
            hits[key] = (new if stamp is None or (new is not None and new > stamp) else stamp, n + 1)
    return hits
