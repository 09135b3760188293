"""What a member's record save answers, typed: the refusals of ``PATCH ui-api/records/{recordId}``.

User Interface API Developer Guide, "Update a Record", "Error with Output", "Record Exceptions", "Record
Exception Error": a refused save is ``[{"errorCode", "message", "enhancedErrorType": "RecordError",
"output": {"errors": [...], "fieldErrors": {field: [{"errorCode", "field", "fieldLabel", "message", ...}]}}}]``:
an error about a field under ``fieldErrors`` (validation rules with an error field, ``REQUIRED_FIELD_MISSING``,
``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``STRING_TOO_LONG``), one about the record under ``errors``
(``INSUFFICIENT_ACCESS_OR_READONLY``, a validation rule shown at the top of the page).  A record in the Recycle
Bin answers 404 ``ENTITY_IS_DELETED`` in Salesforce's plain error list; it is a refusal about the record too.

Errors (in :mod:`saleshome.errors`' tree, grouped by what the app does):

- :class:`UiConflict` (a :class:`~saleshome.errors.FatalError`): 412, the record changed since the
  ``If-Unmodified-Since`` date the member's form was read at; it names who changed it last and when
  (:class:`LastChange`, read as the member right after the 412) — the app offers to reload the form;
- :class:`UiSaveRefused` (a :class:`~saleshome.errors.ValidationError`): Salesforce refused the values, each
  :class:`SaveError` on its field (``field_errors``) or about the record (``page_errors``), with Salesforce's
  error code and its message as given (a validation rule's own words).

Nothing here reaches the network: :func:`save_refusal` reads an answer's body; :class:`~.ui_api.UiApi` sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from saleshome.errors import FatalError, ValidationError

__all__ = [
    "SAVE_ERROR_CODES",
    "LastChange",
    "SaveError",
    "UiConflict",
    "UiSaveRefused",
    "http_date",
    "save_refusal",
]

SAVE_ERROR_CODES = frozenset({
    "FIELD_CUSTOM_VALIDATION_EXCEPTION", "REQUIRED_FIELD_MISSING", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    "INSUFFICIENT_ACCESS_OR_READONLY", "STRING_TOO_LONG", "ENTITY_IS_DELETED",
})
"""The refusals a save of valid-looking input can meet (issue 20); any other code Salesforce gives is kept too."""


@dataclass(frozen=True)
class SaveError:
    """One *Record Exception Error*: Salesforce's error code, its message as given, the field it concerns
    (None: the record) and that field's label as the member's Salesforce shows it."""

    error_code: str
    message: str
    field: str | None = None
    field_label: str | None = None


@dataclass(frozen=True)
class LastChange:
    """Who changed a record last and when (``lastModifiedById``, its user's name, ``lastModifiedDate``)."""

    user_id: str | None
    user_name: str | None
    at: datetime | None


class UiConflict(FatalError):
    """The record changed since the member's form was read (412): reload it before saving again.

    ``last_change``: who changed it and when, read as the member (None when that read failed)."""

    def __init__(self, message: str, *, record_id: str, last_change: LastChange | None,
                 hint: str | None = "reload the record and make the change again") -> None:
        super().__init__(message, hint=hint)
        self.record_id = record_id
        self.last_change = last_change


class UiSaveRefused(ValidationError):
    """Salesforce refused the save: ``field_errors`` {field API name: errors on it}, ``page_errors`` about the
    record.  Nothing was saved (a save is all or nothing)."""

    def __init__(self, message: str, *, record_id: str, field_errors: Mapping[str, tuple[SaveError, ...]],
                 page_errors: tuple[SaveError, ...], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.record_id = record_id
        self.field_errors = dict(field_errors)
        self.page_errors = page_errors

    @property
    def error_codes(self) -> list[str]:
        """Every error code, fields' first (in Salesforce's order), then the record's."""
        return [e.error_code for errors in self.field_errors.values() for e in errors] + [
            e.error_code for e in self.page_errors]

    def field_messages(self) -> dict[str, list[str]]:
        """{field: [messages]}: what to show under each field."""
        return {name: [e.message for e in errors] for name, errors in self.field_errors.items()}


def http_date(moment: datetime | str) -> str:
    """An ``If-Unmodified-Since`` value: an HTTP-date (whole seconds, GMT) of a datetime or of a Salesforce date-time
    as the UI API gives it (``2026-12-07T10:00:00.000Z``, ``…+0000``)."""
    if isinstance(moment, str):
        text = moment.strip().replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
            text = f"{text[:-2]}:{text[-2:]}"  # +0000 → +00:00
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"cannot read {moment!r} as a date-time",
                                  hint="give the record's lastModifiedDate as the UI API answered it") from None
    if moment.tzinfo is None:
        raise ValidationError(f"the date-time {moment.isoformat()} has no time zone",
                              hint="give an aware datetime (UTC)")
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _entry(raw: Any, fallback_code: str) -> SaveError | None:
    if not isinstance(raw, Mapping):
        return None
    return SaveError(error_code=str(raw.get("errorCode") or fallback_code), message=str(raw.get("message") or ""),
                     field=str(raw["field"]) if raw.get("field") else None,
                     field_label=str(raw["fieldLabel"]) if raw.get("fieldLabel") else None)


def _plain_errors(items: list[Any]) -> tuple[dict[str, list[SaveError]], list[SaveError]]:
    """Salesforce's plain list ``[{"errorCode", "message", "fields"}]``: one entry per field named, else the record."""
    by_field: dict[str, list[SaveError]] = {}
    page: list[SaveError] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        code, message = str(item.get("errorCode") or ""), str(item.get("message") or "")
        names = [str(n) for n in item.get("fields") or [] if n]
        for name in names:
            by_field.setdefault(name, []).append(SaveError(code, message, name))
        if not names:
            page.append(SaveError(code, message))
    return by_field, page


def save_refusal(body: Any) -> tuple[dict[str, tuple[SaveError, ...]], tuple[SaveError, ...]] | None:
    """(field errors, page errors) of a refused save's body, either an *Error with Output* or the plain list; None
    when the body is neither."""
    if not isinstance(body, list) or not body:
        return None
    by_field: dict[str, list[SaveError]] = {}
    page: list[SaveError] = []
    plain: list[Any] = []
    for item in body:
        output = item.get("output") if isinstance(item, Mapping) else None
        if not isinstance(output, Mapping):
            plain.append(item)
            continue
        code = str(item.get("errorCode") or "")
        for name, entries in (output.get("fieldErrors") or {}).items():
            for raw in entries if isinstance(entries, list) else []:
                if (found := _entry(raw, code)) is not None:
                    by_field.setdefault(str(name), []).append(
                        found if found.field else SaveError(found.error_code, found.message, str(name)))
        for raw in output.get("errors") or []:
            if (found := _entry(raw, code)) is not None:
                page.append(found)
        if not (output.get("fieldErrors") or output.get("errors")):
            page.append(SaveError(code, str(item.get("message") or "")))
    more_fields, more_page = _plain_errors(plain)
    for name, errors in more_fields.items():
        by_field.setdefault(name, []).extend(errors)
    page.extend(more_page)
    if not by_field and not page:
        return None
    return {name: tuple(errors) for name, errors in by_field.items()}, tuple(page)

