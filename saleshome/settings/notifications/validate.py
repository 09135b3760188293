"""Checking a notification against the org's schema (describe) and Slack, at save time.

Every problem is reported with its path (``notifications.big-deals.conditions[0].value:
Amount is a number (currency), got 'lots'``) and nothing is saved while one remains.  What
describe said (the object's API name, field names as describe spells them, field types,
the stage order) is kept with the notification (:class:`Resolved`), so evaluation needs no
Salesforce call and puts in SQL only names that were checked here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from saleshome.errors import ValidationError
from saleshome.slack.directory import SlackDirectory

from .catalog import TEMPLATES, Condition, NotificationSpec

NUMERIC = {"int", "double", "currency", "percent", "long"}
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "number": ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "is_not_null"),
    "date": ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "is_not_null"),
    "datetime": ("=", "!=", "<", "<=", ">", ">=", "is_null", "is_not_null"),
    "boolean": ("=", "!=", "is_null", "is_not_null"),
    "text": ("=", "!=", "in", "not_in", "contains", "is_null", "is_not_null"),
    "multi": ("contains", "is_null", "is_not_null"),
}
MAX_FIELDS_SHOWN = 50
MAX_CONDITIONS = 20


def field_kind(sf_type: str) -> str:
    """number, date, datetime, boolean, multi or text."""
    if sf_type in NUMERIC:
        return "number"
    if sf_type in ("date", "datetime", "boolean"):
        return sf_type
    return "multi" if sf_type == "multipicklist" else "text"


class Resolved(BaseModel):
    """What the org's describe said when the notification was saved."""

    object: str
    name_field: str | None = None
    types: dict[str, str] = Field(default_factory=dict)  # field → Salesforce type, for every field used
    stage_order: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)  # field → its label, for messages


class SchemaSource(Protocol):
    """What validation reads: the org's describe and Slack (a ``SettingsContext`` is one)."""

    @property
    def directory(self) -> SlackDirectory: ...

    def sobject(self, alias: str, name: str) -> dict[str, Any]: ...

    def describe(self, alias: str, name: str) -> dict[str, Any]: ...


class NotificationProblems(ValidationError):
    """A notification breaks one or more rules; ``problems`` are ``path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        super().__init__(f"notification not saved, {count}:\n  " + "\n  ".join(problems),
                         hint="fix every line above and run the command again; nothing was changed")
        self.problems = problems


def _fail() -> Any:
    raise ValueError


def typed_value(kind: str, value: Any) -> Any:
    """``value`` as the Python type SQL parameters and the reference evaluator use; ValueError if it does not fit."""
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("a number")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("true or false")
        return value
    if kind == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _fail()
        except ValueError:
            raise ValueError("a date (YYYY-MM-DD)") from None
    if kind == "datetime":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else _fail()
        except ValueError:
            raise ValueError("a date and time (ISO 8601, e.g. 2025-01-31T17:00:00Z)") from None
        if moment.tzinfo is None:
            raise ValueError("a date and time with its UTC offset (e.g. 2025-01-31T17:00:00Z)")
        return moment
    if not isinstance(value, str):
        raise ValueError("text")
    return value


class _Check:
    def __init__(self, source: SchemaSource, alias: str, path: str) -> None:
        self.source = source
        self.alias = alias
        self.path = path
        self.problems: list[str] = []
        self.fields: dict[str, dict[str, Any]] = {}
        self.types: dict[str, str] = {}
        self.obj = "?"

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path}{where}: {message}")

    def field(self, name: str, where: str, *, kinds: tuple[str, ...] | None = None) -> str | None:
        """The field as describe spells it (recorded with its type), or None after a problem."""
        found = self.fields.get(name.lower())
        if found is None:
            self.problem(where, f"{self.obj} has no field {name!r}")
            return None
        if found.get("calculated"):
            self.problem(where, f"{self.obj}.{found['name']} is a formula field, which Sales Home does not sync "
                                "(it changes without SystemModstamp moving)")
            return None
        if found["type"] in ("address", "location", "base64", "anyType"):
            self.problem(where, f"{self.obj}.{found['name']} ({found['type']}) cannot be used in a notification")
            return None
        if kinds is not None and field_kind(found["type"]) not in kinds:
            self.problem(where, f"{self.obj}.{found['name']} is {found['type']}, not {' or '.join(kinds)}")
            return None
        self.types[found["name"]] = found["type"]
        return str(found["name"])

    def picklist(self, name: str) -> list[str]:
        found = self.fields.get(name.lower()) or {}
        return [v["value"] for v in found.get("picklistValues", []) or [] if v.get("active", True)]

    def value(self, field_name: str, value: Any, where: str) -> Any:
        sf_type = self.types[field_name]
        kind = field_kind(sf_type)
        try:
            typed = typed_value("text" if kind == "multi" else kind, value)
        except ValueError as exc:
            self.problem(where, f"{self.obj}.{field_name} is {sf_type}: expected {exc}, got {value!r}")
            return None
        choices = self.picklist(field_name) if sf_type in ("picklist", "multipicklist") else []
        if choices and typed not in choices:
            close = [c for c in choices if c.lower() == str(typed).strip().lower()]
            hint = f"did you mean {close[0]!r}?" if close else f"its values: {', '.join(choices)}"
            self.problem(where, f"{typed!r} is not a value of {self.obj}.{field_name} ({hint})")
        return value

    def condition(self, i: int, cond: Condition) -> Condition:
        where = f".conditions[{i}]"
        name = self.field(cond.field, f"{where}.field")
        if name is None:
            return cond
        kind = field_kind(self.types[name])
        if cond.op not in OPS_BY_KIND[kind]:
            self.problem(f"{where}.op", f"{cond.op!r} does not apply to {self.obj}.{name} ({self.types[name]}); "
                                        f"use one of {', '.join(OPS_BY_KIND[kind])}")
            return cond
        if cond.op in ("is_null", "is_not_null"):
            if cond.value is not None:
                self.problem(f"{where}.value", f"{cond.op} takes no value")
            return Condition(field=name, op=cond.op)
        if cond.op in ("in", "not_in"):
            if not isinstance(cond.value, list) or not cond.value:
                self.problem(f"{where}.value", f"{cond.op} takes a non-empty list of values")
                return cond
            for j, item in enumerate(cond.value):
                self.value(name, item, f"{where}.value[{j}]")
            return Condition(field=name, op=cond.op, value=cond.value)
        if isinstance(cond.value, list) or cond.value is None:
            self.problem(f"{where}.value", f"{cond.op} takes one value")
            return cond
        if kind == "multi":
            self.value(name, cond.value, f"{where}.value")
        elif cond.op == "contains":
            if not isinstance(cond.value, str):
                self.problem(f"{where}.value", f"contains takes text, got {cond.value!r}")
        else:
            self.value(name, cond.value, f"{where}.value")
        return Condition(field=name, op=cond.op, value=cond.value)


def check_spec(source: SchemaSource, alias: str, spec: NotificationSpec, *, path: str,
               recipients_required: bool = True) -> tuple[NotificationSpec, Resolved]:
    """``spec`` with names as describe spells them and channels as ids, and what describe said.

    Raises :class:`NotificationProblems` listing every problem (``path`` prefixes each).
    ``recipients_required``: False for a member's subscription, whose recipient is the member (Slack is
    then not read at all: no channel or user to check).
    """
    check = _Check(source, alias, path)
    template = TEMPLATES[spec.template]
    obj_name = spec.object or template.default_object
    if obj_name is None:
        raise NotificationProblems([f"{path}.object: the {template.name} template needs the object to watch"])
    try:
        entry = source.sobject(alias, obj_name)
    except ValidationError as exc:
        raise NotificationProblems([f"{path}.object: {exc.message}"]) from None
    describe = source.describe(alias, entry["name"])
    check.obj = str(entry["name"])
    check.fields = {f["name"].lower(): f for f in describe.get("fields", [])}
    name_field = next((f["name"] for f in describe.get("fields", []) if f.get("nameField")), None)
    if template.default_object and template.name not in ("threshold_crossed", "date_moved", "upcoming_date") \
            and check.obj != template.default_object:
        check.problem(".object", f"the {template.name} template watches {template.default_object}, not {check.obj}")
    try:
        options = spec.typed_options().model_dump()
    except PydanticValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"])
            message = "unknown option (check its spelling)" if error["type"] == "extra_forbidden" else error["msg"]
            check.problem(f".options.{loc}" if loc else ".options", message)
        raise NotificationProblems(check.problems) from None
    resolved = Resolved(object=check.obj, name_field=name_field)
    _template_options(check, spec.template, options, resolved)
    if len(spec.conditions) > MAX_CONDITIONS:
        check.problem(f".conditions[{MAX_CONDITIONS}]", f"at most {MAX_CONDITIONS} conditions")
    conditions = [check.condition(i, c) for i, c in enumerate(spec.conditions)]
    fields = None
    if spec.fields is not None:
        if len(spec.fields) > MAX_FIELDS_SHOWN:
            check.problem(f".fields[{MAX_FIELDS_SHOWN}]", f"at most {MAX_FIELDS_SHOWN} fields shown")
        fields = []
        for i, f in enumerate(spec.fields[:MAX_FIELDS_SHOWN]):
            name = check.field(f, f".fields[{i}]")
            if name is not None and name not in fields:
                fields.append(name)
    recipients = spec.recipients.model_copy(deep=True)
    if recipients.is_empty() and recipients_required:
        check.problem(".recipients", "nobody would receive it: name the owner, the manager, channels or users")
    if (recipients.owner or recipients.manager) and check.field("OwnerId", ".recipients.owner") is None:
        pass
    if recipients.channels:
        recipients.channels = _channels(check, source.directory, recipients.channels)
    if recipients.users:
        recipients.users = _users(check, source.directory, recipients.users)
    for extra in ("Id", "OwnerId", "IsDeleted", "IsClosed", "IsWon", "SystemModstamp", "LastActivityDate"):
        found = check.fields.get(extra.lower())
        if found is not None and not found.get("calculated"):
            resolved.types[found["name"]] = found["type"]
    if name_field:
        resolved.types[name_field] = check.fields[name_field.lower()]["type"]
    if check.problems:
        raise NotificationProblems(check.problems)
    resolved.types.update(check.types)
    resolved.labels = {name: str(check.fields[name.lower()].get("label") or name) for name in resolved.types
                       if name.lower() in check.fields}
    new = spec.model_copy(update={"object": check.obj, "options": options, "conditions": conditions,
                                  "fields": fields, "recipients": recipients})
    return new, resolved


def _template_options(check: _Check, template: str, options: dict[str, Any], resolved: Resolved) -> None:
    if template == "field_changed":
        name = check.field(options["field"], ".options.field")
        if name is not None:
            options["field"] = name
            for key in ("from_values", "to_values"):
                for j, v in enumerate(options.get(key) or []):
                    check.value(name, v, f".options.{key}[{j}]")
    elif template == "stage_changed":
        if check.field("StageName", ".object") is not None:
            order = check.picklist("StageName")
            resolved.stage_order = order
            for j, stage in enumerate(options["to_stages"]):
                check.value("StageName", stage, f".options.to_stages[{j}]")
            if options["direction"] != "any" and not order:
                check.problem(".options.direction", "the org's describe gives no stage order")
    elif template == "threshold_crossed":
        name = check.field(options["field"], ".options.field", kinds=("number",))
        if name is not None:
            options["field"] = name
    elif template in ("date_moved", "upcoming_date"):
        name = check.field(options["field"], ".options.field", kinds=("date", "datetime"))
        if name is not None:
            options["field"] = name
    elif template == "owner_changed":
        check.field("OwnerId", ".object")
    elif template == "deal_closed":
        check.field("IsClosed", ".object")
        check.field("IsWon", ".object")
    elif template == "stale_record":
        check.field("LastActivityDate" if options["basis"] == "last_activity" else "SystemModstamp",
                    ".options.basis")


def _channels(check: _Check, directory: SlackDirectory, refs: list[str]) -> list[str]:
    ids: list[str] = []
    for i, ref in enumerate(refs):
        where = f".recipients.channels[{i}]"
        try:
            channel = directory.channel(ref)
        except ValidationError as exc:
            check.problem(where, exc.message)
            continue
        if channel.is_archived:
            check.problem(where, f"{channel.label} is archived")
        elif not channel.is_member:
            check.problem(where, f"the Sales Home app is not in {channel.label} (invite it: /invite @Sales Home)")
        elif channel.id in ids:
            check.problem(where, f"{channel.label} is listed twice")
        else:
            ids.append(channel.id)
    return ids


def _users(check: _Check, directory: SlackDirectory, refs: list[str]) -> list[str]:
    ids: list[str] = []
    for i, ref in enumerate(refs):
        where = f".recipients.users[{i}]"
        try:
            user = directory.user(ref.strip())
        except ValidationError as exc:
            check.problem(where, exc.message)
            continue
        if user.deleted or user.is_bot:
            check.problem(where, f"{user.label} is {'deactivated' if user.deleted else 'a bot'}")
        elif user.id not in ids:
            ids.append(user.id)
    return ids
