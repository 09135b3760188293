"""The template catalog: what an admin-created notification can watch, with typed options.

A notification is a :class:`NotificationSpec`: a template, the object it watches, the
template's options (checked against the template's own pydantic model, :data:`TEMPLATES`),
and the common options — conditions on the record, recipients, delivery (immediate or a
digest), the fields shown and an optional title.

Change-based templates are evaluated over a sync run's change log; time-based ones
(``stale_record``, ``upcoming_date``) by the scheduled evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TemplateName = Literal[
    "new_record", "field_changed", "stage_changed", "threshold_crossed", "date_moved", "owner_changed",
    "deal_closed", "stale_record", "upcoming_date",
]
Operator = Literal["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "is_null", "is_not_null"]
OPERATORS: tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "is_null", "is_not_null")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Scalar = bool | int | float | str
TITLE_MAX = 150


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------- template options
class NewRecordOptions(_Model):
    """No option: the conditions say which new records count."""


class FieldChangedOptions(_Model):
    field: str = Field(description="The field whose change fires the notification.")
    from_values: list[Scalar] | None = Field(default=None, description="Only changes from one of these values.")
    to_values: list[Scalar] | None = Field(default=None, description="Only changes to one of these values.")


class StageChangedOptions(_Model):
    to_stages: list[str] = Field(default_factory=list, description="Only moves to these stages (empty: any stage).")
    direction: Literal["forward", "backward", "any"] = Field(
        default="any", description="Forward or backward in the org's stage order, or any move.")


class ThresholdCrossedOptions(_Model):
    field: str = Field(default="Amount", description="A numeric field.")
    value: float = Field(description="The threshold.")
    direction: Literal["up", "down", "either"] = Field(default="up", description="Crossing upwards, downwards or either.")


class DateMovedOptions(_Model):
    field: str = Field(default="CloseDate", description="A date or datetime field.")
    direction: Literal["later", "earlier", "into_past", "any"] = Field(
        default="any", description="Pushed later, pulled earlier, moved into the past (before today), or any move.")


class OwnerChangedOptions(_Model):
    """No option: the new owner is told (recipients default to the record owner)."""


class DealClosedOptions(_Model):
    outcome: Literal["won", "lost", "any"] = Field(default="any", description="Won, lost, or either.")


class StaleRecordOptions(_Model):
    days: int = Field(default=14, ge=1, le=3650, description="No change (or activity) for this many days.")
    basis: Literal["last_change", "last_activity"] = Field(
        default="last_change", description="SystemModstamp (any change) or LastActivityDate (logged activity).")


class UpcomingDateOptions(_Model):
    field: str = Field(default="CloseDate", description="A date or datetime field.")
    days: int = Field(default=7, ge=0, le=365, description="The date falls within this many days from today.")


@dataclass(frozen=True)
class Template:
    name: str
    label: str
    description: str
    options: type[_Model]
    default_object: str | None  # None: the admin names the object
    time_based: bool = False
    default_title: str = ""


TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("new_record", "New record", "A record of the object is created and matches the conditions "
             "(e.g. a new opportunity over 100,000).", NewRecordOptions, None, default_title="New {object}"),
    Template("field_changed", "Field changed", "A chosen field changes, optionally from and/or to given values.",
             FieldChangedOptions, None, default_title="{object} updated"),
    Template("stage_changed", "Stage changed", "An opportunity moves to given stage(s): forward, backward or any.",
             StageChangedOptions, "Opportunity", default_title="Stage changed"),
    Template("threshold_crossed", "Threshold crossed", "A numeric field crosses a value, upwards or downwards.",
             ThresholdCrossedOptions, "Opportunity", default_title="Threshold crossed"),
    Template("date_moved", "Date moved", "A date field (e.g. CloseDate) is pushed later, pulled earlier, or moved "
             "into the past.", DateMovedOptions, "Opportunity", default_title="Date moved"),
    Template("owner_changed", "Owner changed", "A record is reassigned; the new owner is told.",
             OwnerChangedOptions, None, default_title="{object} assigned to you"),
    Template("deal_closed", "Deal closed", "An opportunity is closed, won or lost.", DealClosedOptions,
             "Opportunity", default_title="Deal closed"),
    Template("stale_record", "Stale record", "An open record with no change (or no activity) for N days; "
             "evaluated on a schedule, at most once per record and quiet period.", StaleRecordOptions, None,
             time_based=True, default_title="{object} going stale"),
    Template("upcoming_date", "Upcoming date", "A date field falls within N days (e.g. close date in 7 days); "
             "evaluated on a schedule, at most once per record and date.", UpcomingDateOptions, "Opportunity",
             time_based=True, default_title="Coming up"),
)}


# ---------------------------------------------------------------------- common options
class Condition(_Model):
    """A test on the record's current value: ``Amount >= 100000``, ``StageName in [A, B]``, ``NextStep is_null``."""

    field: str
    op: Operator
    value: Scalar | list[Scalar] | None = None


class Recipients(_Model):
    owner: bool = Field(default=False, description="The record owner, by direct message.")
    manager: bool = Field(default=False, description="The owner's manager (User.ManagerId), by direct message.")
    channels: list[str] = Field(default_factory=list, description="Channels, by #name or id (stored as ids).")
    users: list[str] = Field(default_factory=list, description="Slack users (U…), by direct message.")

    def is_empty(self) -> bool:
        return not (self.owner or self.manager or self.channels or self.users)


class Delivery(_Model):
    mode: Literal["immediate", "digest"] = "immediate"
    frequency: Literal["daily", "weekly"] = "daily"
    hour: int = Field(default=9, ge=0, le=23, description="The recipient's local hour (digests).")
    weekday: Weekday = Field(default="mon", description="Weekly digests: the day.")

    @property
    def schedule(self) -> str:
        """``daily@09`` or ``weekly-mon@09`` (digests of one schedule go out together)."""
        return f"daily@{self.hour:02d}" if self.frequency == "daily" else f"weekly-{self.weekday}@{self.hour:02d}"


class NotificationSpec(_Model):
    """One admin-created notification, as written (CLI options or the settings YAML)."""

    template: TemplateName
    object: str | None = Field(default=None, description="The object watched (default: the template's).")
    options: dict[str, Any] = Field(default_factory=dict, description="The template's options.")
    conditions: list[Condition] = Field(default_factory=list)
    recipients: Recipients = Field(default_factory=lambda: Recipients(owner=True))
    delivery: Delivery = Field(default_factory=Delivery)
    fields: list[str] | None = Field(default=None, description="Fields shown (default: the record layout).")
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    cooldown_minutes: int = Field(default=0, ge=0, le=60 * 24 * 90,
                                  description="At most one message per record within this many minutes.")

    @property
    def template_info(self) -> Template:
        return TEMPLATES[self.template]

    def typed_options(self) -> _Model:
        """The options as the template's model (raises pydantic's ValidationError when they do not fit)."""
        return self.template_info.options.model_validate(self.options)

    def effective(self) -> dict[str, Any]:
        """The definition with what its defaults mean written out — the object, every option, who receives it,
        when (immediately, or the digest's frequency, day and hour) — for ``notifications show`` and the
        settings export; read back, it is the same notification.  Optional parts that are not set (conditions,
        fields, title, cooldown) stay out."""
        try:
            options: dict[str, Any] = self.typed_options().model_dump(mode="json")
        except ValueError:  # pydantic's ValidationError: a definition saved before a template changed
            options = dict(self.options)
        delivery = self.delivery.model_dump(mode="json")
        keep = {"immediate": ("mode",), "daily": ("mode", "frequency", "hour")}.get(
            "immediate" if self.delivery.mode == "immediate" else self.delivery.frequency, tuple(delivery))
        out: dict[str, Any] = {
            "template": self.template, "object": self.object or self.template_info.default_object,
            "options": options, "conditions": [c.model_dump(mode="json", exclude_none=True) for c in self.conditions],
            "recipients": self.recipients.model_dump(mode="json"),
            "delivery": {k: delivery[k] for k in keep},
            "fields": self.fields, "title": self.title, "cooldown_minutes": self.cooldown_minutes,
        }
        return {k: v for k, v in out.items() if v not in (None, [], 0) or k in ("options", "recipients")}


def template_table() -> list[dict[str, str]]:
    """The catalog as rows (``saleshome notifications templates``)."""
    rows = []
    for t in TEMPLATES.values():
        opts = []
        for name, f in t.options.model_fields.items():
            default = "" if f.is_required() else f"={f.get_default(call_default_factory=True)!r}"
            opts.append(f"{name}{default}")
        rows.append({"template": t.name, "label": t.label, "kind": "scheduled" if t.time_based else "on change",
                     "object": t.default_object or "(any)", "options": ", ".join(opts) or "-",
                     "description": t.description})
    return rows
