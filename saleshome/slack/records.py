"""How a Slack message names the Salesforce record it is about: the Edit action and its value, the message metadata.

One format for every surface (notifications, digests, the Sales tab, the edit modal's "Reload"): an element with
``action_id`` :data:`EDIT_ACTION` whose value is ``{"a": org alias, "o": object, "r": record id}`` — the record
reference only, never a value of the record (a message can be read by someone who may not see the record; the app
reads it again as whoever clicks).  :func:`record_ref` finds a message's reference in its blocks, for its metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["EDIT_ACTION", "edit_value", "parse_edit_value", "record_ref"]

EDIT_ACTION = "edit_record"  # the Slack app's Edit action (saleshome.app.edit)


def edit_value(alias: str, obj: str, record_id: str) -> str:
    """An Edit button's (or option's) value: the record reference, nothing of the record."""
    return json.dumps({"a": alias, "o": obj, "r": record_id}, separators=(",", ":"))


def parse_edit_value(value: str | None) -> tuple[str, str, str] | None:
    """(alias, object, record id) of an :func:`edit_value`; None when ``value`` is not one."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, Mapping):
        return None
    parts = [data.get(k) for k in ("a", "o", "r")]
    if not all(isinstance(p, str) and p for p in parts):
        return None
    return str(parts[0]), str(parts[1]), str(parts[2])


def record_ref(blocks: Sequence[Mapping[str, Any]]) -> dict[str, str] | None:
    """``{"alias", "object", "record_id"}`` of the record a message is about (its Edit button), None for a message
    about no one record (a digest, a celebration)."""
    for block in blocks:
        for element in block.get("elements") or []:
            if isinstance(element, Mapping) and element.get("action_id") == EDIT_ACTION and element.get("type") == "button":
                found = parse_edit_value(element.get("value"))
                if found is not None:
                    return {"alias": found[0], "object": found[1], "record_id": found[2]}
    return None
