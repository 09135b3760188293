"""Fields as Salesforce shows them: labels, lookups by name, values formatted for their reader.

What a message says of a field comes from the org's describe as the last sync kept it in the
warehouse's ``columns`` table (label, type, a lookup's targets, the name field, a picklist's
value labels): every field of every synced object, fresh at each sync, with no Salesforce call
at evaluation (the labels a notification kept at save time cover only the fields it named).

- A label is describe's label; a lookup's ``… ID`` label is shown without ``ID`` (``Owner``), and
  a lookup named for its target object as that record's name (``Account Name``), as Salesforce's
  own layouts show the related record rather than its Id.
- A lookup's value is the related record's name (its object's name field), linked to it in
  Salesforce; a record owner mapped to Slack is a mention (``<@U…>``).  Names are read from the
  warehouse in one query per target object for all the records of an evaluation
  (:func:`read_names`), never per message.
- Values are formatted for the reader (:class:`saleshome.i18n.Formatter`): amounts in the
  record's ``CurrencyIsoCode`` (else the org's default currency), percents, numbers, dates,
  date-times in the reader's zone, booleans as words, picklist values by their label; an
  empty value is an em dash.  Change-log values (text) are read back to their type first.

A value is a :class:`Shown` (plain text, an optional link or mention); renderers escape it
(:func:`saleshome.slack.text.escape`) — nothing from Salesforce reaches mrkdwn unescaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from saleshome.i18n import Formatter, Messages
from saleshome.i18n.formatting import NULL
from saleshome.slack.text import escape, link
from saleshome.warehouse.orgdb import OrgWarehouse, q

NUMBERS = ("int", "double", "long")
CURRENCY_FIELD = "CurrencyIsoCode"
OWNER_FIELD = "OwnerId"


@dataclass(frozen=True)
class FieldInfo:
    """One synced field as describe said it at the last sync."""

    name: str
    sf_type: str
    label: str
    reference_to: tuple[str, ...] = ()
    picklist: Mapping[str, str] = field(default_factory=dict)  # value → label


@dataclass(frozen=True)
class Describe:
    """The synced objects' fields (object → field → info) and name fields (object → field)."""

    fields: Mapping[str, Mapping[str, FieldInfo]]
    name_fields: Mapping[str, str]

    def info(self, obj: str, name: str) -> FieldInfo | None:
        return self.fields.get(obj, {}).get(name)

    def label(self, obj: str, name: str, fallback: Mapping[str, str] | None = None) -> str:
        """The field's label as a member reads it: a lookup's ``Owner ID`` → ``Owner``, and a lookup named for
        the object it points to shows that record's name, as Salesforce's layouts label it (``Account ID`` →
        ``Account Name``)."""
        info = self.info(obj, name)
        label = info.label if info is not None and info.label else (fallback or {}).get(name, name)
        if info is not None and info.sf_type == "reference" and label.endswith(" ID"):
            label = label.removesuffix(" ID")
            if info.reference_to == (label,) and self.name_fields.get(label) == "Name":
                return f"{label} Name"
        return label


def read_describe(wh: OrgWarehouse) -> Describe:
    """What the last sync kept of the org's describe (fields not described since the upgrade: labelled by name)."""
    rows = wh.conn.execute("SELECT object, name, sf_type, label, reference_to, name_field, CAST(picklist AS VARCHAR) "
                           "FROM columns WHERE removed_at IS NULL").fetchall()
    fields: dict[str, dict[str, FieldInfo]] = {}
    names: dict[str, str] = {}
    for obj, name, sf_type, label, targets, name_field, picklist in rows:
        values = {str(v["value"]): str(v["label"]) for v in json.loads(picklist)} if picklist else {}
        fields.setdefault(obj, {})[name] = FieldInfo(name, sf_type, label or name, tuple(targets or ()), values)
        if name_field:
            names[obj] = name
    return Describe(fields, names)


@dataclass(frozen=True)
class Related:
    """A record a lookup points to: its name and object (for its link)."""

    name: str
    object: str


def read_names(wh: OrgWarehouse, describe: Describe, ids: Mapping[str, Iterable[str]]) -> dict[str, Related]:
    """The names of the records ``ids`` (target object → Ids), one query per target object."""
    out: dict[str, Related] = {}
    for obj, wanted in sorted(ids.items()):
        name_field = describe.name_fields.get(obj)
        batch = sorted({i for i in wanted if i})
        if not name_field or not batch:
            continue
        rows = wh.conn.execute(f'SELECT "Id", {q(name_field)} FROM sf.{q(obj)} WHERE "Id" IN '
                               "(SELECT unnest(?::VARCHAR[]))", [batch]).fetchall()
        out.update({str(rid): Related(str(name), obj) for rid, name in rows if name})
    return out


def org_currency(wh: OrgWarehouse, describe: Describe, default: str) -> str:
    """The org's default currency (``Organization.DefaultCurrencyIsoCode`` when synced, else ``default``)."""
    if describe.info("Organization", "DefaultCurrencyIsoCode") is None:
        return default
    row = wh.conn.execute('SELECT "DefaultCurrencyIsoCode" FROM sf."Organization" '
                          'WHERE "DefaultCurrencyIsoCode" IS NOT NULL LIMIT 1').fetchone()
    return str(row[0]) if row else default


@dataclass(frozen=True)
class Shown:
    """A value as a member reads it: plain text (not escaped), linked to ``url`` or a Slack mention."""

    text: str
    url: str | None = None
    mention: str | None = None  # a Slack user id

    def mrkdwn(self) -> str:
        if self.mention:
            return f"<@{self.mention}>"
        return link(self.url, self.text) if self.url else escape(self.text)


EMPTY = Shown(NULL)


@dataclass(frozen=True)
class Reader:
    """Who reads a message: their locale and time zone (a channel: the workspace's locale, UTC)."""

    locale: str
    tz: str | None


@dataclass
class Values:
    """Formats one org's values for one reader (see the module docstring)."""

    describe: Describe
    formatter: Formatter
    words: Messages
    instance_url: str
    currency: str  # the org's default
    names: Mapping[str, Related] = field(default_factory=dict)  # Id → related record
    slack_users: Mapping[str, str] = field(default_factory=dict)  # Salesforce user Id → Slack user Id

    def show(self, obj: str, name: str, value: Any, record: Mapping[str, Any]) -> Shown:
        """``value`` of ``obj.name`` (typed, or change-log text) on ``record`` (for its currency)."""
        info = self.describe.info(obj, name)
        sf_type = info.sf_type if info is not None else ""
        value = typed(sf_type, value) if isinstance(value, str) else value
        if value is None or value == "" or value == []:
            return EMPTY
        if sf_type == "reference" and isinstance(value, str):
            return self._related(name, value)
        if sf_type == "currency" and _numeric(value):
            return Shown(self.formatter.money(value, str(record.get(CURRENCY_FIELD) or self.currency)))
        if sf_type == "percent" and _numeric(value):
            return Shown(self.formatter.percent(value))
        if isinstance(value, bool):
            return Shown(self.formatter.boolean(value, self.words))
        if isinstance(value, datetime):
            return Shown(self.formatter.datetime(value))
        if isinstance(value, date):
            return Shown(self.formatter.date(value))
        if _numeric(value):
            return Shown(self.formatter.number(value))
        labels = info.picklist if info is not None else {}
        if isinstance(value, list):
            return Shown("; ".join(labels.get(str(v), str(v)) for v in value))
        return Shown(labels.get(str(value), str(value)))

    def _related(self, name: str, record_id: str) -> Shown:
        slack_user = self.slack_users.get(record_id) if name == OWNER_FIELD else None
        if slack_user:
            return Shown(self.names[record_id].name if record_id in self.names else record_id, mention=slack_user)
        url = f"{self.instance_url.rstrip('/')}/{record_id}"
        related = self.names.get(record_id)
        return Shown(related.name if related else self.words.gettext("View record"), url=url)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def typed(sf_type: str, text: str | None) -> Any:
    """A change-log value (text, as DuckDB cast it) as its field's type; text that does not read stays text."""
    if text is None or text == "":
        return None
    try:
        if sf_type in ("currency", "percent", *NUMBERS):
            return Decimal(text)
        if sf_type == "boolean":
            return {"true": True, "false": False}.get(text, text)
        if sf_type == "date":
            return date.fromisoformat(text)
        if sf_type == "datetime":
            return datetime.fromisoformat(text)
        if sf_type == "multipicklist":
            return [v for v in text.strip("[]").split(", ") if v]
    except (InvalidOperation, ValueError):
        return text
    return text


def reference_ids(describe: Describe, obj: str, fields: Iterable[str], values: Iterable[Mapping[str, Any]]
                  ) -> dict[str, set[str]]:
    """Per target object, the Ids that ``fields`` (lookups of ``obj``) hold in ``values`` (records or changes)."""
    out: dict[str, set[str]] = {}
    lookups = [(f, info) for f in fields if (info := describe.info(obj, f)) is not None and info.reference_to]
    for row in values:
        for name, info in lookups:
            value = row.get(name)
            if isinstance(value, str) and value:
                for target in info.reference_to:
                    out.setdefault(target, set()).add(value)
    return out
