"""Which fields an open record shows, in which sections: presentation only (the UI API's answers are
read and typed by :mod:`saleshome.salesforce.ui_api_types`).

The admins' Slack record layout (one section of its fields) when they set one, else the page layout
Salesforce gives with the record (``record-ui``: its sections, row by row, left to right).  Either way
only the fields the record holds remain: the UI API leaves out of the record the fields the member may
not read (User Interface API Developer Guide, "Record UI"), so a hidden field is never shown, and a
section left empty is not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from saleshome.salesforce.ui_api_types import RecordView

__all__ = ["Section", "sections_for"]


@dataclass(frozen=True)
class Section:
    """A heading and the API names of the fields shown under it, in order (each once)."""

    heading: str
    fields: tuple[str, ...]


def _once(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def sections_for(layout_fields: Sequence[str] | None, view: RecordView, heading: str) -> tuple[Section, ...]:
    """The sections ``view``'s record shows: the admins' Slack layout (``layout_fields``, under ``heading``) when
    set, else the record's page layout; only the fields the record holds (the member may see) remain."""
    chosen = ((Section(heading, _once(layout_fields)),) if layout_fields
              else tuple(Section(s.heading, _once(s.fields)) for s in view.layout.sections))
    kept = (Section(s.heading, tuple(f for f in s.fields if f in view.record.fields)) for s in chosen)
    return tuple(s for s in kept if s.fields)
