"""How a member's subscription reads, in their language: template names, options, scopes, tests, deliveries.

Every word is a literal of the ``app`` catalog (English and French, ``tests/test_i18n.py``); names from Salesforce
(object and field labels, picklist labels) are the member's own, as the UI API gave them, escaped where shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from babel.dates import format_time

from saleshome.i18n import Messages, normalise

__all__ = ["CHOICE_LABELS", "OPERATOR_LABELS", "delivery_label", "hour_label", "object_name", "option_label",
           "scope_label", "template_label"]

Word = Callable[[Messages], str]


def template_label(name: str, words: Messages) -> str:
    """The catalog template ``name`` as members read it ("Stage changed", "Changement d'étape")."""
    labels: dict[str, Word] = {
        "new_record": lambda m: m.gettext("A new record"),
        "field_changed": lambda m: m.gettext("A field changes"),
        "stage_changed": lambda m: m.gettext("Stage changed"),
        "threshold_crossed": lambda m: m.gettext("An amount crosses a threshold"),
        "date_moved": lambda m: m.gettext("A date moves"),
        "owner_changed": lambda m: m.gettext("A record is assigned"),
        "deal_closed": lambda m: m.gettext("A deal is closed"),
        "stale_record": lambda m: m.gettext("A record goes stale"),
        "upcoming_date": lambda m: m.gettext("A date is coming up"),
    }
    found = labels.get(name)
    return found(words) if found is not None else name


def option_label(name: str, words: Messages) -> str:
    labels: dict[str, Word] = {
        "to_stages": lambda m: m.gettext("To the stages"),
        "direction": lambda m: m.gettext("Direction"),
        "field": lambda m: m.gettext("Field"),
        "to_values": lambda m: m.gettext("To the values"),
        "value": lambda m: m.gettext("Threshold"),
        "outcome": lambda m: m.gettext("Outcome"),
        "days": lambda m: m.gettext("Days"),
        "basis": lambda m: m.gettext("Counted from"),
    }
    found = labels.get(name)
    return found(words) if found is not None else name


CHOICE_LABELS: dict[str, Word] = {
    "any": lambda m: m.gettext("Any"),
    "forward": lambda m: m.gettext("Forward"),
    "backward": lambda m: m.gettext("Backward"),
    "up": lambda m: m.gettext("Upwards"),
    "down": lambda m: m.gettext("Downwards"),
    "either": lambda m: m.gettext("Either way"),
    "later": lambda m: m.gettext("Later"),
    "earlier": lambda m: m.gettext("Earlier"),
    "into_past": lambda m: m.gettext("Into the past"),
    "won": lambda m: m.gettext("Won"),
    "lost": lambda m: m.gettext("Lost"),
    "last_change": lambda m: m.gettext("The last change"),
    "last_activity": lambda m: m.gettext("The last activity"),
}

OPERATOR_LABELS: dict[str, Word] = {
    "=": lambda m: m.gettext("is"),
    "!=": lambda m: m.gettext("is not"),
    "<": lambda m: m.gettext("is less than"),
    "<=": lambda m: m.gettext("is at most"),
    ">": lambda m: m.gettext("is more than"),
    ">=": lambda m: m.gettext("is at least"),
    "in": lambda m: m.gettext("is one of"),
    "not_in": lambda m: m.gettext("is none of"),
    "contains": lambda m: m.gettext("contains"),
    "is_null": lambda m: m.gettext("is empty"),
    "is_not_null": lambda m: m.gettext("is not empty"),
}


def scope_label(scope: str, words: Messages) -> str:
    if scope == "mine":
        return words.gettext("Records I own")
    if scope == "team":
        return words.gettext("Records of my team")
    return words.gettext("Records matching conditions")


def delivery_label(mode: str, words: Messages) -> str:
    if mode == "immediate":
        return words.gettext("A direct message, at once")
    return words.gettext("In my daily digest")


def hour_label(hour: int, words: Messages) -> str:
    """``09:00`` as the member writes an hour of the day (``9:00 AM`` in en-US, ``09:00`` in French)."""
    return str(format_time(time(hour, 0), "short", locale=normalise(words.locale).replace("-", "_")))


def object_name(label: str) -> str:
    return label
