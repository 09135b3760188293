"""Reading a published view as a member does: the texts they read and the actions they can take."""

from __future__ import annotations

from typing import Any


def texts(value: Any) -> list[str]:
    """Every ``text`` string of ``value`` (blocks, a block, an element), in order."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in ([v] if k == "text" and isinstance(v, str) else texts(v))]
    if isinstance(value, list):
        return [t for item in value for t in texts(item)]
    return []


def action_ids(view: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "action_id" in value:
                found.append(value["action_id"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(view["blocks"])
    return found
