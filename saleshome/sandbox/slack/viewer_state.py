"""What the client sends: the values of a view's elements in Slack's shapes, built from the stored view.

The browser sends only ids and raw values (a string, a list of option values, an option chosen among
suggestions); everything the app receives is built here from the view as the app sent it, so the
option objects, labels and ids are the app's own:

- ``view.state.values`` (:func:`view_state`): ``{block_id: {action_id: {"type": …, <value key>: …}}}``
  for every *stateful* element of the view — input blocks, section accessories and actions elements
  ("A full state on view submission and block actions", Slack changelog 2020-09): ``value`` for
  ``plain_text_input`` / ``number_input`` (a string, ``null`` when empty), ``selected_date``
  (``datepicker``), ``selected_option`` (``static_select``, ``external_select``, ``radio_buttons``),
  ``selected_options`` (``checkboxes``, ``multi_static_select``), ``selected_user`` (``users_select``),
  ``selected_date_time`` (``datetimepicker``: a UNIX timestamp in seconds, Block Kit reference, "Datetime
  picker element").  Buttons, overflow menus and images hold no state.
- a date-time is shown and typed as wall-clock time in the *viewing user's* Slack time zone (as Slack shows
  it, ``world.User.zone``): the browser sends ``YYYY-MM-DDTHH:MM`` (``:SS`` allowed) and it becomes the
  instant in that zone (an hour skipped by a clock change is read with the offset before the change).
- what the user did with an element (:func:`action_input`), as ``interactivity.Interactions.block_action``
  takes it: ``{"action_id": …}`` plus the new value in the shape above (``selected_option`` of an
  overflow menu); the payload itself (``type``, ``block_id``, button ``text``/``value``/``url``,
  ``action_ts``, the view with its state) is built there.
- the checks Slack's own client makes before a ``view_submission`` is sent (:func:`input_problems`):
  a required input left empty (input blocks are required unless ``optional``), ``min_length`` /
  ``max_length`` of a ``plain_text_input``, ``min_value`` / ``max_value`` / ``is_decimal_allowed`` of a
  ``number_input`` (Block Kit reference, "Input block", "Plain-text input element", "Number input
  element").  Slack does not publish its wording; the sandbox's is in ``docs/slack-sandbox.md``.

A raw value of the wrong kind (an option the element does not offer, a user who does not exist) is a
:class:`ClientInputError`: nothing is sent.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

STATEFUL = frozenset(
    {"plain_text_input", "number_input", "datepicker", "static_select", "external_select", "checkboxes", "users_select",
     "radio_buttons", "multi_static_select", "datetimepicker"}
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")  # an <input type="datetime-local">

REQUIRED = "Please complete this required field."


class ClientInputError(ValueError):
    """A value the browser sent that the view's element cannot hold."""


def action_id_of(element: dict[str, Any]) -> str:
    """The element's ``action_id`` ("" when the app gave none: such an element is shown but cannot act)."""
    value = element.get("action_id")
    return value if isinstance(value, str) else ""


def elements_of(view: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, str, dict[str, Any]]]:
    """(block, block_id, action_id, element) for every element of the view: input elements, section
    accessories, actions elements."""
    for block in view.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        kind = block.get("type")
        found: list[Any] = []
        if kind == "input":
            found = [block.get("element")]
        elif kind == "section" and "accessory" in block:
            found = [block["accessory"]]
        elif kind == "actions":
            found = list(block.get("elements") or [])
        for element in found:
            if isinstance(element, dict):
                yield block, block_id, action_id_of(element), element


def find_element(view: dict[str, Any], block_id: str, action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(block, element) of the view with these ids, else :class:`ClientInputError`."""
    for block, bid, aid, element in elements_of(view):
        if bid == block_id and aid == action_id:
            return block, element
    raise ClientInputError(f"the view has no element {action_id!r} in block {block_id!r}")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    found = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            found += [o for o in group.get("options") or [] if isinstance(o, dict)]
    return found


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    for option in _options(element):
        if option.get("value") == value:
            return copy.deepcopy(option)
    raise ClientInputError(f"{element.get('type')} {element.get('action_id')!r} offers no option {value!r}")


def _suggested(value: Any) -> dict[str, Any] | None:
    """An option the browser picked among an external select's suggestions (the app's own option object)."""
    if value in (None, ""):
        return None
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("value"), str)
        or not isinstance(value.get("text"), dict)
        or not isinstance(value["text"].get("text"), str)
    ):
        raise ClientInputError("an external select's choice is an option object with text and value")
    return {"text": copy.deepcopy(value["text"]), "value": value["value"]}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ClientInputError("a text input's value is a string")
    return value or None


def _date(value: Any) -> str | None:
    text = _text(value)
    if text is not None and not _DATE.match(text):
        raise ClientInputError(f"a date is YYYY-MM-DD, got {text!r}")
    return text


def _date_time(value: Any, zone: tzinfo) -> int | None:
    """Wall-clock ``YYYY-MM-DDTHH:MM[:SS]`` in ``zone`` as a UNIX timestamp in seconds."""
    text = _text(value)
    if text is None:
        return None
    if not _DATE_TIME.match(text):
        raise ClientInputError(f"a date-time is YYYY-MM-DDTHH:MM, got {text!r}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ClientInputError(f"no such date-time {text!r}") from exc
    return int(moment.replace(tzinfo=zone).timestamp())


def wall_clock(epoch: int, zone: tzinfo) -> str:
    """A UNIX timestamp as the ``datetime-local`` value the user reads in ``zone`` (seconds only when set)."""
    moment = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def state_entry(
    element: dict[str, Any], raw: Any, user_exists: Callable[[str], bool], zone: tzinfo = UTC
) -> dict[str, Any]:
    """The ``view.state.values`` entry of a stateful element holding ``raw`` (``zone``: the viewing user's time
    zone, in which a date-time was typed)."""
    kind = element.get("type")
    if kind in ("plain_text_input", "number_input"):
        return {"type": kind, "value": _text(raw)}
    if kind == "datepicker":
        return {"type": kind, "selected_date": _date(raw)}
    if kind == "datetimepicker":
        return {"type": kind, "selected_date_time": _date_time(raw, zone)}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": _option(element, raw)}
    if kind == "external_select":
        return {"type": kind, "selected_option": _suggested(raw)}
    if kind in ("checkboxes", "multi_static_select"):
        chosen = raw if isinstance(raw, list) else []
        if not all(isinstance(v, str) for v in chosen):
            raise ClientInputError(f"{kind} send a list of option values")
        unknown = set(chosen) - {o.get("value") for o in _options(element)}
        if unknown:
            raise ClientInputError(f"{kind} {element.get('action_id')!r} offer no option {sorted(unknown)[0]!r}")
        return {"type": kind, "selected_options": [copy.deepcopy(o) for o in _options(element) if o["value"] in chosen]}
    if kind == "users_select":
        user = _text(raw)
        if user is not None and not user_exists(user):
            raise ClientInputError(f"no user {user!r}")
        return {"type": kind, "selected_user": user}
    raise ClientInputError(f"{kind} holds no state")


def view_state(
    view: dict[str, Any], raw: dict[str, Any], user_exists: Callable[[str], bool], zone: tzinfo = UTC
) -> dict[str, dict[str, Any]]:
    """``view.state.values`` of every stateful element; ``raw`` is ``{block_id: {action_id: raw value}}``
    (an element absent from ``raw`` is empty; ``zone``: the viewing user's time zone)."""
    values: dict[str, dict[str, Any]] = {}
    for _block, block_id, action_id, element in elements_of(view):
        if element.get("type") not in STATEFUL or not action_id:
            continue
        in_block = raw.get(block_id)
        given: dict[str, Any] = in_block if isinstance(in_block, dict) else {}
        values.setdefault(block_id, {})[action_id] = state_entry(element, given.get(action_id), user_exists, zone)
    return values


def action_input(
    element: dict[str, Any], action_id: str, raw: Any, user_exists: Callable[[str], bool], zone: tzinfo = UTC
) -> dict[str, Any]:
    """What the user did with ``element``, as ``Interactions.block_action`` takes it: the ``action_id`` and,
    for a stateful element or an overflow menu, the new value in Slack's shape (a button: nothing more)."""
    kind = element.get("type")
    if kind == "button":
        return {"action_id": action_id}
    if kind == "overflow":
        option = _option(element, raw)
        if option is None:
            raise ClientInputError("an overflow menu sends the option chosen")
        return {"action_id": action_id, "selected_option": option}
    if kind in STATEFUL:
        entry = state_entry(element, raw, user_exists, zone)
        return {"action_id": action_id, **{k: v for k, v in entry.items() if k != "type"}}
    raise ClientInputError(f"a {kind} sends no action")


def _number_problem(element: dict[str, Any], text: str) -> str | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return "Please enter a number."
    if not element.get("is_decimal_allowed") and number != number.to_integral_value():
        return "Please enter a whole number."
    for name, wrong, word in (("min_value", number.__lt__, "at least"), ("max_value", number.__gt__, "at most")):
        limit = element.get(name)
        try:
            if isinstance(limit, str) and wrong(Decimal(limit)):
                return f"Please enter a number {word} {limit}."
        except InvalidOperation:
            continue
    return None


def _text_problem(element: dict[str, Any], text: str) -> str | None:
    low, high = element.get("min_length"), element.get("max_length")
    if isinstance(low, int) and len(text) < low:
        return f"Please enter at least {low} characters."
    if isinstance(high, int) and len(text) > high:
        return f"Please enter no more than {high} characters."
    return None


def input_problems(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``{block_id: message}`` for the input blocks Slack's client would not let the user submit."""
    problems: dict[str, str] = {}
    for block, block_id, action_id, element in elements_of(view):
        if block.get("type") != "input":
            continue
        entry = values.get(block_id, {}).get(action_id, {})
        held = next((v for k, v in entry.items() if k != "type"), None)
        if held in (None, [], ""):
            if not block.get("optional", False):
                problems[block_id] = REQUIRED
            continue
        kind = element.get("type")
        problem = (
            _text_problem(element, held)
            if kind == "plain_text_input"
            else _number_problem(element, held)
            if kind == "number_input"
            else None
        )
        if problem is not None:
            problems[block_id] = problem
    return problems
