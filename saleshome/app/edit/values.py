"""What a member submitted in the edit modal: typed values and the checks made before Salesforce is asked.

:func:`read_submission` reads ``view.state.values`` (Slack's per-element shapes: ``static_select``/``external_select``
``selected_option``, ``datepicker`` ``selected_date``, ``datetimepicker`` ``selected_date_time``, ``number_input``
and ``plain_text_input`` ``value``, ``checkboxes`` ``selected_options``) for the fields the modal offered, and returns

- ``values``: ``{api name: value}`` of the fields the member *changed* (compared with what the modal was pre-filled
  with: the ``initial_*`` of the submitted view's own blocks, else the field's ``current``), typed as a UI API
  ``PATCH`` takes them — text and picklist values as ``str``, dates ``YYYY-MM-DD``, date-times ISO 8601 in UTC,
  numbers ``int`` (scale 0) or ``float``, checkboxes ``bool``, lookups a record id; an emptied field ``None``;
- ``problems``: ``{block_id: message}`` in the member's language, what Slack shows under each input with
  ``response_action: errors`` — a required field left empty, text longer than the field holds, a number that is not
  one or has more digits than its precision and scale, a picklist value not valid for the record type or, for a
  dependent picklist, for its controlling field's value (the submitted one when the member changed it).

Values of fields the modal did not offer are ignored (a forged state names no field the member may not update).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from saleshome.i18n import Messages

from .form import NONE_VALUE, NUMERIC, TEXTUAL, EditField, Kind, controlling_key, parse_datetime

__all__ = ["read_submission"]

_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_EMPTY = object()


def _state_entry(state: Mapping[str, Any], block_id: str) -> Mapping[str, Any] | None:
    by_action = state.get(block_id)
    if not isinstance(by_action, Mapping) or not by_action:
        return None
    entry = next(iter(by_action.values()))
    return entry if isinstance(entry, Mapping) else None


def _raw(entry: Mapping[str, Any], kind: Kind) -> Any:
    """The submitted value of one element, before checks (None: empty)."""
    if kind in (Kind.PICKLIST, Kind.LOOKUP):
        option = entry.get("selected_option")
        value = option.get("value") if isinstance(option, Mapping) else None
        return None if value in (None, "", NONE_VALUE) else str(value)
    if kind is Kind.DATE:
        return entry.get("selected_date") or None
    if kind is Kind.DATETIME:
        return entry.get("selected_date_time")
    if kind is Kind.CHECKBOX:
        return any(isinstance(o, Mapping) and o.get("value") == "true" for o in entry.get("selected_options") or [])
    value = entry.get("value")
    return None if value is None or (isinstance(value, str) and not value.strip()) else str(value)


def _initial(view: Mapping[str, Any], f: EditField) -> Any:
    """What the modal was pre-filled with for ``f``: its block's ``initial_*`` (the view Slack sends back holds the
    blocks as the app sent them), else ``f.current``; in :func:`_raw`'s shape."""
    block = next((b for b in view.get("blocks") or [] if isinstance(b, Mapping) and b.get("block_id") == f.api_name),
                 None)
    element = block.get("element") if isinstance(block, Mapping) else None
    if not isinstance(element, Mapping):
        return _current(f)
    if f.kind in (Kind.PICKLIST, Kind.LOOKUP):
        option = element.get("initial_option")
        value = option.get("value") if isinstance(option, Mapping) else None
        return None if value in (None, "", NONE_VALUE) else str(value)
    if f.kind is Kind.DATE:
        return element.get("initial_date") or None
    if f.kind is Kind.DATETIME:
        return element.get("initial_date_time")
    if f.kind is Kind.CHECKBOX:
        return bool(element.get("initial_options"))
    value = element.get("initial_value")
    return None if value in (None, "") else str(value)


def _current(f: EditField) -> Any:
    if f.kind is Kind.CHECKBOX:
        return f.current is True
    if f.kind is Kind.DATETIME:
        moment = parse_datetime(f.current)
        return int(moment.timestamp()) if moment is not None else None
    if f.current is None or f.current == "":
        return None
    if f.kind is Kind.DATE:
        return str(f.current)[:10]
    return str(f.current)


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _same(f: EditField, new: Any, old: Any) -> bool:
    if f.kind in NUMERIC and new is not None and old is not None:
        a, b = _number(str(new)), _number(str(old))
        return a is not None and a == b
    return bool(new == old)


def _typed(f: EditField, raw: Any) -> Any:
    """The checked value as the UI API takes it."""
    if raw is None:
        return None
    if f.kind in NUMERIC:
        number = _number(str(raw))
        assert number is not None
        return int(number) if f.scale == 0 and number == number.to_integral_value() else float(number)
    if f.kind is Kind.DATETIME:
        moment = datetime.fromtimestamp(int(raw), tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return raw


def _problem(f: EditField, raw: Any, words: Messages, controlling_value: Any,
             labels: Mapping[str, str]) -> str | None:
    if raw is None or (f.kind is Kind.CHECKBOX and raw is False and f.required is False):
        if f.required and f.kind is not Kind.CHECKBOX:
            return words.gettext("This field is required.")
        return None
    if f.kind in TEXTUAL:
        if f.length > 0 and len(raw) > f.length:
            return words.gettext("At most {n} characters ({count} entered).", n=f.length, count=len(raw))
        if f.kind is Kind.EMAIL and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", raw):
            return words.gettext("Enter an email address.")
        return None
    if f.kind in NUMERIC:
        number = _number(str(raw))
        if number is None:
            return words.gettext("Enter a number.")
        exponent = number.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if decimals > f.scale:
            if f.scale == 0:
                return words.gettext("Enter a whole number.")
            return words.gettext("At most {n} digits after the decimal point.", n=f.scale)
        digits = f.precision - f.scale
        if f.precision > 0 and digits > 0 and abs(number) >= Decimal(10) ** digits:
            return words.gettext("At most {n} digits before the decimal point.", n=digits)
        return None
    if f.kind is Kind.DATE:
        try:
            date.fromisoformat(str(raw))
        except ValueError:
            return words.gettext("Enter a date.")
        return None
    if f.kind is Kind.DATETIME:
        return None if isinstance(raw, int) and not isinstance(raw, bool) else words.gettext("Enter a date and time.")
    if f.kind is Kind.LOOKUP:
        return None if _ID.match(str(raw)) else words.gettext("Choose a record from the list.")
    if f.kind is Kind.PICKLIST:
        if all(o.value != raw for o in f.options):
            return words.gettext("This value is not available for this record type.")
        if f.controlling is not None and all(o.value != raw for o in f.choices(controlling_value)):
            shown = controlling_key(controlling_value) or "—"
            if isinstance(controlling_value, bool):
                shown = words.gettext("Yes") if controlling_value else words.gettext("No")
            return words.gettext("This value is not valid when {field} is {value}.",
                                 field=labels.get(f.controlling, f.controlling), value=shown)
    return None


def read_submission(view: Mapping[str, Any], fields: Sequence[EditField], locale: str = "en-US",
                    ) -> tuple[dict[str, Any], dict[str, str]]:
    """(changed values, problems by block id) of the submitted ``view`` for the offered ``fields`` (module docstring)."""
    words = Messages(locale, "app")
    state = (view.get("state") or {}).get("values") or {}
    submitted: dict[str, Any] = {}
    for f in fields:
        entry = _state_entry(state, f.api_name)
        submitted[f.api_name] = _raw(entry, f.kind) if entry is not None else _initial(view, f)
    labels = {f.api_name: f.label for f in fields}
    by_name = {f.api_name: f for f in fields}
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for f in fields:
        raw = submitted[f.api_name]
        controlling_value: Any = None
        if f.controlling is not None:
            controller = by_name.get(f.controlling)
            controlling_value = submitted[f.controlling] if controller is not None else f.controlling_value
        if (problem := _problem(f, raw, words, controlling_value, labels)) is not None:
            problems[f.api_name] = problem
            continue
        if not _same(f, raw, _initial(view, f)):
            values[f.api_name] = _typed(f, raw)
    return values, problems
