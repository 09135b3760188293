"""The edit modal: what a member may change on one record, as Block Kit inputs pre-filled with its values.

:class:`EditRef` names the record being edited (org alias, object, id), who edits it (their Slack user) and the
record's ``LastModifiedDate`` as the modal shows it (the UI API's ``lastModifiedDate``: the submission's
``If-Unmodified-Since``), with the field names offered.  It travels in the modal's ``private_metadata``
(:func:`encode_ref`), signed with an HMAC-SHA256 under a key only the app holds (:func:`derive_key`, from the app's
signing secret): :func:`decode_ref` refuses (:class:`EditRefused`) anything it did not sign, altered a single
character of, or signed for another Slack user — a forged ``view_submission`` names no record it can change.

:class:`EditField` is one input: its Salesforce API name (the input's ``block_id``), label, :class:`Kind`, the
limits Salesforce gives (required, length, precision/scale), the picklist values valid for the record's record type
(with, for a dependent picklist, the controlling values each is valid for) and the current value.

:func:`edit_view` is the modal (``callback_id`` :data:`CALLBACK_ID`), inputs by kind:

- picklist → ``static_select`` of the values valid for the record type (a dependent one: for its controlling field's
  current value); the controlling field's input has ``dispatch_action`` so that changing it re-renders the modal
  with the dependent values filtered (:data:`Action.CONTROLLING`); a "—" option empties a picklist that is not
  required;
- date → ``datepicker``; date-time → ``datetimepicker`` (epoch seconds: Slack shows it in the member's zone);
- number, currency, percent → ``number_input`` (decimals allowed per the field's scale, bounds per its precision);
- checkbox → ``checkboxes`` with one option; text → ``plain_text_input`` with ``max_length``; long text →
  ``multiline``; lookup → ``external_select`` (:data:`Action.LOOKUP`) whose options are searched as the member.

Invariants: every word ours from the ``app`` catalog in the member's language; every text within Slack's limits
(title 24, labels 2,000, options 75/150, at most 100 options and 100 blocks); nothing of the record but the fields
offered, which the member may read and update.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from saleshome.errors import PermissionDeniedError
from saleshome.i18n import Formatter, Messages
from saleshome.slack.text import SECTION_TEXT_MAX, escape_within, truncate

__all__ = [
    "CALLBACK_ID",
    "Action",
    "EditField",
    "EditRef",
    "EditRefused",
    "Kind",
    "Option",
    "button_value",
    "decode_ref",
    "derive_key",
    "edit_button",
    "edit_view",
    "encode_ref",
    "loading_view",
    "parse_button_value",
    "result_view",
]

CALLBACK_ID = "edit_record"
LOADING_CALLBACK_ID = "edit_record_loading"
RESULT_CALLBACK_ID = "edit_record_result"
TITLE_MAX = 24
LABEL_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
MAX_OPTIONS = 100
MAX_BLOCKS = 100
TEXT_INPUT_MAX = 3000  # plain_text_input's max_length
NONE_VALUE = "__none__"  # the "—" option of a picklist that may be emptied
PRIVATE_METADATA_MAX = 3000
REF_VERSION = 1


class Action(StrEnum):
    """The ``action_id`` of the edit flow's elements."""

    EDIT = "edit_record"  # the Edit button (Sales tab, list rows, messages; "Reload" in a result modal)
    INPUT = "edit_input"  # an input of the modal
    CONTROLLING = "edit_controlling"  # the input of a controlling field (dispatch_action: re-render)
    LOOKUP = "edit_lookup"  # a lookup's external_select (block_suggestion → search as the member)


class Kind(StrEnum):
    """How a field is edited (from the UI API's ``dataType``)."""

    PICKLIST = "picklist"
    DATE = "date"
    DATETIME = "datetime"
    NUMBER = "number"
    CURRENCY = "currency"
    PERCENT = "percent"
    CHECKBOX = "checkbox"
    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    LOOKUP = "lookup"


NUMERIC = (Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT)
TEXTUAL = (Kind.TEXT, Kind.TEXTAREA, Kind.EMAIL, Kind.PHONE, Kind.URL)

_KINDS = {
    "picklist": Kind.PICKLIST, "combobox": Kind.PICKLIST, "date": Kind.DATE, "datetime": Kind.DATETIME,
    "int": Kind.NUMBER, "double": Kind.NUMBER, "long": Kind.NUMBER, "currency": Kind.CURRENCY,
    "percent": Kind.PERCENT, "boolean": Kind.CHECKBOX, "string": Kind.TEXT, "textarea": Kind.TEXTAREA,
    "email": Kind.EMAIL, "phone": Kind.PHONE, "url": Kind.URL, "reference": Kind.LOOKUP,
}


def kind_of(data_type: str) -> Kind | None:
    """The kind of a UI API ``dataType`` (``Currency``, ``Reference``…); None: not editable from Slack
    (multi-select picklists, addresses, encrypted text, time…)."""
    return _KINDS.get(data_type.lower())


class EditRefused(PermissionDeniedError):
    """The modal's reference is not one the app signed for this member (forged, altered, or another member's)."""


@dataclass(frozen=True)
class Option:
    """A picklist value (``value`` as Salesforce stores it, ``label`` as the member reads it); for a dependent
    picklist, the controlling values it is valid for (None: valid whatever the controlling value)."""

    value: str
    label: str
    valid_for: tuple[str, ...] | None = None


@dataclass(frozen=True)
class EditRef:
    """The record a modal edits, its editor, its ``LastModifiedDate`` as shown and the fields offered."""

    alias: str
    object: str
    record_id: str
    slack_user_id: str
    last_modified: str  # the UI API's lastModifiedDate of the record the modal was filled from (ISO 8601)
    fields: tuple[str, ...] = ()
    record_type_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"a": self.alias, "o": self.object, "r": self.record_id, "u": self.slack_user_id,
                                "m": self.last_modified, "f": list(self.fields)}
        if self.record_type_id:
            data["t"] = self.record_type_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EditRef:
        strings = [data.get(k) for k in ("a", "o", "r", "u", "m")]
        names = data.get("f")
        record_type = data.get("t")
        if not all(isinstance(s, str) and s for s in strings) or not isinstance(names, list) \
                or not all(isinstance(n, str) for n in names) or not isinstance(record_type, str | None):
            raise EditRefused("the edit modal's reference is not one Sales Home made")
        alias, obj, record_id, user_id, modified = (str(s) for s in strings)
        return cls(alias, obj, record_id, user_id, modified, tuple(names), record_type)


@dataclass(frozen=True)
class EditField:
    """One field of the modal, as the member may edit it (see the module docstring)."""

    api_name: str
    label: str
    kind: Kind
    required: bool = False
    length: int = 0  # text: Salesforce's maximum length
    precision: int = 0  # numbers: digits in all
    scale: int = 0  # numbers: digits after the decimal point
    options: tuple[Option, ...] = ()  # picklist: the values valid for the record's record type
    current: Any = None  # the record's value (raw: str, number, bool, ISO date/date-time, an id)
    display: str | None = None  # how the member reads it (a picklist's label, a lookup's record name)
    controlling: str | None = None  # a dependent picklist's controlling field
    controlling_value: Any = None  # the record's current value of that field (when the modal does not offer it)
    reference_to: tuple[str, ...] = ()  # a lookup's objects

    def choices(self, controlling_value: Any = None) -> tuple[Option, ...]:
        """The options offered: all of them, or for a dependent picklist those valid for ``controlling_value``."""
        if self.controlling is None:
            return self.options
        key = controlling_key(controlling_value)
        return tuple(o for o in self.options if o.valid_for is None or key in o.valid_for)


def controlling_key(value: Any) -> str:
    """A controlling value as the UI API's ``controllerValues`` names it (checkboxes: ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# ------------------------------------------------------------------------------------------- the reference
def derive_key(secret: str) -> bytes:
    """The key that signs modal references, derived from an app secret (its signing secret): never the secret itself."""
    return hmac.new(secret.encode(), b"saleshome edit reference v1", hashlib.sha256).digest()


def _signature(payload: str, key: bytes) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_ref(ref: EditRef, key: bytes) -> str:
    """``ref`` as ``private_metadata``: ``{"v", "ref", "sig"}`` (the HMAC of the reference's canonical JSON)."""
    payload = json.dumps(ref.to_json(), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    text = json.dumps({"v": REF_VERSION, "ref": payload, "sig": _signature(payload, key)}, separators=(",", ":"),
                      ensure_ascii=False)
    if len(text) > PRIVATE_METADATA_MAX:
        raise ValueError(f"an edit reference of {len(ref.fields)} fields does not fit private_metadata")
    return text


def decode_ref(text: str | None, key: bytes, *, user_id: str | None = None) -> EditRef:
    """The reference ``text`` holds when the app signed it (for ``user_id``, when given); :class:`EditRefused` else."""
    try:
        data = json.loads(text or "")
    except ValueError:
        raise EditRefused("the edit modal carries no reference Sales Home made") from None
    if not isinstance(data, dict) or data.get("v") != REF_VERSION or not isinstance(data.get("ref"), str) \
            or not isinstance(data.get("sig"), str):
        raise EditRefused("the edit modal carries no reference Sales Home made")
    payload: str = data["ref"]
    if not hmac.compare_digest(_signature(payload, key), data["sig"]):
        raise EditRefused("the edit modal's reference was altered: its signature does not match",
                          hint="open the record again from Slack")
    try:
        ref = EditRef.from_json(json.loads(payload))
    except (ValueError, AttributeError):
        raise EditRefused("the edit modal's reference is not one Sales Home made") from None
    if user_id is not None and ref.slack_user_id != user_id:
        raise EditRefused(f"this edit modal was opened by another member, not {user_id}")
    return ref


# ------------------------------------------------------------------------------------------- the Edit button
def button_value(alias: str, obj: str, record_id: str) -> str:
    """The Edit button's value: the record reference only (``{"a","o","r"}``), never the record's data."""
    return json.dumps({"a": alias, "o": obj, "r": record_id}, separators=(",", ":"))


def parse_button_value(value: str | None) -> tuple[str, str, str] | None:
    """(alias, object, record id) of an Edit button's value; None when it is not one."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    parts = [data.get(k) for k in ("a", "o", "r")]
    if not all(isinstance(p, str) and p for p in parts):
        return None
    return str(parts[0]), str(parts[1]), str(parts[2])


def edit_button(words: Messages, alias: str, obj: str, record_id: str) -> dict[str, Any]:
    """The Edit button of a record (tab, list row, message)."""
    return {"type": "button", "action_id": Action.EDIT.value, "text": _plain(words.gettext("Edit"), 75),
            "value": button_value(alias, obj, record_id)}


# ------------------------------------------------------------------------------------------- small parts
def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text or "—", limit), "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or "—"}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label, OPTION_TEXT_MAX), "value": value[:OPTION_VALUE_MAX]}


def _title(words: Messages, object_label: str) -> dict[str, Any]:
    return _plain(words.gettext("Edit {object}", object=object_label), TITLE_MAX)


def _modal(callback_id: str, title: dict[str, Any], words: Messages, blocks: list[dict[str, Any]],
           *, private_metadata: str = "", submit: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": title,
                            "close": _plain(words.gettext("Cancel") if submit else words.gettext("Close"), TITLE_MAX),
                            "blocks": blocks[:MAX_BLOCKS]}
    if submit:
        view["submit"] = _plain(words.gettext("Save"), TITLE_MAX)
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def _decimal_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number_bounds(f: EditField) -> tuple[str, str] | None:
    """(min, max) a number field holds per its precision and scale; None when Salesforce gives no precision."""
    digits = f.precision - f.scale
    if f.precision <= 0 or digits <= 0:
        return None
    top = "9" * digits + ("." + "9" * f.scale if f.scale > 0 else "")
    return "-" + top, top


# ------------------------------------------------------------------------------------------- inputs
def _element(f: EditField, words: Messages, controlling_values: Mapping[str, Any],
             controllers: frozenset[str]) -> dict[str, Any]:
    action = Action.CONTROLLING if f.api_name in controllers else Action.INPUT
    if f.kind is Kind.PICKLIST:
        given = controlling_values.get(f.controlling or "", f.controlling_value)
        choices = list(f.choices(given))
        options = [_option(o.value, o.label) for o in choices[: MAX_OPTIONS - (0 if f.required else 1)]]
        if not f.required:
            options.insert(0, _option(NONE_VALUE, "—"))
        element: dict[str, Any] = {"type": "static_select", "action_id": action.value,
                                   "placeholder": _plain(words.gettext("Choose a value"), 150)}
        if not options:  # nothing valid (a controlling value with no dependent value): one "—" to keep Slack happy
            options = [_option(NONE_VALUE, "—")]
        element["options"] = options
        current = next((o for o in options if f.current is not None and o["value"] == str(f.current)[:OPTION_VALUE_MAX]),
                       None)
        if current is not None:
            element["initial_option"] = current
        return element
    if f.kind is Kind.DATE:
        element = {"type": "datepicker", "action_id": action.value}
        if isinstance(f.current, str) and f.current:
            element["initial_date"] = f.current[:10]
        return element
    if f.kind is Kind.DATETIME:
        element = {"type": "datetimepicker", "action_id": action.value}
        if (moment := parse_datetime(f.current)) is not None:
            element["initial_date_time"] = int(moment.timestamp())
        return element
    if f.kind in NUMERIC:
        element = {"type": "number_input", "action_id": action.value, "is_decimal_allowed": f.scale > 0}
        if f.current is not None and f.current != "":
            element["initial_value"] = _decimal_text(f.current)
        if (bounds := number_bounds(f)) is not None:
            element["min_value"], element["max_value"] = bounds
        return element
    if f.kind is Kind.CHECKBOX:
        option = _option("true", f.label)
        element = {"type": "checkboxes", "action_id": action.value, "options": [option]}
        if f.current is True:
            element["initial_options"] = [option]
        return element
    if f.kind is Kind.LOOKUP:
        element = {"type": "external_select", "action_id": Action.LOOKUP.value, "min_query_length": 1,
                   "placeholder": _plain(words.gettext("Search"), 150)}
        if isinstance(f.current, str) and f.current:
            element["initial_option"] = _option(f.current, f.display or f.current)
        return element
    element = {"type": "plain_text_input", "action_id": action.value}
    if f.kind is Kind.TEXTAREA:
        element["multiline"] = True
    if f.length > 0:
        element["max_length"] = min(f.length, TEXT_INPUT_MAX)
    if isinstance(f.current, str) and f.current:
        element["initial_value"] = f.current[:TEXT_INPUT_MAX]
    return element


def parse_datetime(value: Any) -> datetime | None:
    """A Salesforce date-time (``2026-12-03T15:04:00.000Z``/``+0000``) as an aware datetime; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def input_block(f: EditField, words: Messages, controlling_values: Mapping[str, Any] | None = None,
                controllers: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The input block of ``f`` (``block_id``: its API name), pre-filled with its current value."""
    values = controlling_values or {}
    block: dict[str, Any] = {"type": "input", "block_id": f.api_name, "label": _plain(f.label, LABEL_MAX),
                             "optional": not f.required or f.kind is Kind.CHECKBOX,
                             "element": _element(f, words, values, controllers)}
    if f.api_name in controllers:
        block["dispatch_action"] = True
    return block


def controllers_of(fields: Sequence[EditField]) -> frozenset[str]:
    """The fields of the modal that control another one of it (their input re-renders the modal)."""
    names = {f.api_name for f in fields}
    return frozenset(f.controlling for f in fields if f.controlling is not None and f.controlling in names)


def edit_view(ref: EditRef, fields: Sequence[EditField], locale: str, tz: str | None, *, key: bytes,
              object_label: str = "", record_name: str = "", errors: Mapping[str, str] | None = None,
              notice: str | None = None) -> dict[str, Any]:
    """The edit modal of ``ref``'s record: ``fields`` pre-filled (their ``current`` values), ``errors`` under the
    fields they concern (``{api name: message}``, e.g. Salesforce's refusals after a save), ``notice`` on top."""
    words = Messages(locale, "app")
    formatter = Formatter.for_reader(locale, tz)
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append({"type": "section", "block_id": "edit_notice",
                       "text": _mrkdwn(":warning: " + escape_within(notice, SECTION_TEXT_MAX - 10))})
    heading = record_name or ref.record_id
    context = escape_within(heading, 1000)
    if (modified := parse_datetime(ref.last_modified)) is not None:
        context += " · " + escape_within(words.gettext("Last modified {when}", when=formatter.datetime(modified)), 500)
    blocks.append({"type": "context", "block_id": "edit_record_name", "elements": [_mrkdwn(context)]})
    controllers = controllers_of(fields)
    current = {f.api_name: f.current for f in fields}
    shown_errors = errors or {}
    for f in fields:
        if len(blocks) >= MAX_BLOCKS - (1 if f.api_name in shown_errors else 0):
            break
        blocks.append(input_block(f, words, current, controllers))
        if message := shown_errors.get(f.api_name):
            blocks.append({"type": "context", "block_id": f"{f.api_name}__error",
                           "elements": [_mrkdwn(":x: " + escape_within(message, 2900))]})
    general = [m for k, m in shown_errors.items() if k not in current]
    if general and len(blocks) < MAX_BLOCKS:
        blocks.insert(0, {"type": "section", "block_id": "edit_errors",
                          "text": _mrkdwn(":x: " + escape_within("\n".join(general), SECTION_TEXT_MAX - 10))})
    return _modal(CALLBACK_ID, _title(words, object_label or ref.object), words, blocks,
                  private_metadata=encode_ref(ref, key), submit=True)


def loading_view(locale: str, object_label: str = "") -> dict[str, Any]:
    """The modal opened at once with the trigger id while the record is read (replaced with ``views.update``)."""
    words = Messages(locale, "app")
    title = _title(words, object_label) if object_label else _plain(words.gettext("Edit"), TITLE_MAX)
    return _modal(LOADING_CALLBACK_ID, title, words, [
        {"type": "section", "block_id": "edit_loading", "text": _mrkdwn(escape_within(words.gettext("Loading…"), 200))},
    ])


def result_view(locale: str, text: str, *, title: str | None = None, reload: tuple[str, str, str] | None = None,
                ) -> dict[str, Any]:
    """A modal saying ``text`` (a save's outcome, a read-only record, a problem); ``reload``: (alias, object, record
    id) offers "Reload", an Edit button that fills this modal again with the record as it now is."""
    words = Messages(locale, "app")
    blocks: list[dict[str, Any]] = [{"type": "section", "block_id": "edit_result",
                                     "text": _mrkdwn(escape_within(text, SECTION_TEXT_MAX))}]
    if reload is not None:
        button = {"type": "button", "action_id": Action.EDIT.value, "style": "primary",
                  "text": _plain(words.gettext("Reload"), 75), "value": button_value(*reload)}
        blocks.append({"type": "actions", "block_id": "edit_reload", "elements": [button]})
    return _modal(RESULT_CALLBACK_ID, _plain(title or words.gettext("Edit"), TITLE_MAX), words, blocks)
