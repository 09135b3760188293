"""The edit audit: every save of a Salesforce record tried from Slack (issue 20 §1), for sales admins to read.

One row of ``record_edits`` per submission that reached Salesforce (or was refused by it): the org, the record (its
object, id and name as the member read it), who edited it in Slack and as whom in Salesforce (the member's own
connection: the save is theirs), each field changed, before → after as the member read them (labels and shown
values), and the outcome: ``saved``, ``conflict`` (the record changed since the form was read), ``refused``
(Salesforce's validation: the error codes and messages in ``detail``) or ``failed`` (Salesforce unreachable, the
member's session gone).  ``saleshome settings audit --edits`` lists them.

Invariant: a row holds only what the member could read (the values their form showed and what they typed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from saleshome.warehouse.control import ControlDB

__all__ = ["EditOutcome", "FieldChange", "RecordEdit", "read_edits", "record_edit"]


class EditOutcome(StrEnum):
    SAVED = "saved"
    CONFLICT = "conflict"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class FieldChange:
    """One field of an edit: its API name, label and values as the member read them (None: empty)."""

    field: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class RecordEdit:
    """One audited edit (see the module docstring)."""

    alias: str
    object: str
    record_id: str
    record_name: str | None
    slack_user_id: str
    slack_user_name: str | None
    sf_user_id: str
    sf_user_name: str | None
    changes: tuple[FieldChange, ...]
    outcome: EditOutcome
    detail: str | None = None
    edited_at: datetime | None = None
    seq: int | None = None


def record_edit(control: ControlDB, edit: RecordEdit) -> None:
    """Append ``edit`` (its ``edited_at``: now when None)."""
    with control.transaction() as db:
        db.execute(
            "INSERT INTO record_edits (alias, object, record_id, record_name, slack_user_id, slack_user_name, "
            "sf_user_id, sf_user_name, changes, outcome, detail, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [edit.alias, edit.object, edit.record_id, edit.record_name, edit.slack_user_id, edit.slack_user_name,
             edit.sf_user_id, edit.sf_user_name, json.dumps([asdict(c) for c in edit.changes], ensure_ascii=False),
             edit.outcome.value, edit.detail, edit.edited_at or datetime.now(UTC)],
        )


def _changes(text: Any) -> tuple[FieldChange, ...]:
    items = json.loads(text) if isinstance(text, str) and text else []
    return tuple(FieldChange(str(i.get("field")), str(i.get("label") or i.get("field")), i.get("before"),
                             i.get("after")) for i in items if isinstance(i, dict))


def read_edits(control: ControlDB, *, since: datetime | None = None, alias: str | None = None,
               record_id: str | None = None, limit: int | None = None) -> list[RecordEdit]:
    """Audited edits, oldest first (``since``: at or after; ``alias``/``record_id``: of that org/record; ``limit``:
    the newest N)."""
    sql = ("SELECT seq, alias, object, record_id, record_name, slack_user_id, slack_user_name, sf_user_id, "
           "sf_user_name, changes, outcome, detail, edited_at FROM record_edits WHERE 1 = 1")
    params: list[Any] = []
    for clause, value in (("edited_at >= ?", since), ("alias = ?", alias), ("record_id = ?", record_id)):
        if value is not None:
            sql += f" AND {clause}"
            params.append(value)
    sql += " ORDER BY seq DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows: Sequence[dict[str, Any]] = control.rows(sql, params)
    return [
        RecordEdit(alias=r["alias"], object=r["object"], record_id=r["record_id"], record_name=r["record_name"],
                   slack_user_id=r["slack_user_id"], slack_user_name=r["slack_user_name"], sf_user_id=r["sf_user_id"],
                   sf_user_name=r["sf_user_name"], changes=_changes(r["changes"]), outcome=EditOutcome(r["outcome"]),
                   detail=r["detail"], edited_at=r["edited_at"], seq=r["seq"])
        for r in reversed(rows)
    ]
