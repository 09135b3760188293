"""Sales Home settings as values: what is stored (resolved) and what a YAML document says.

Two shapes of the same settings:

- the **state** (:class:`SettingsState`): what the control database holds, resolved — list
  views with their ids, channels and workspaces as Slack ids, field names as describe spells
  them;
- the **document** (:class:`SettingsDocument`): what a sales admin writes in
  ``sales-home.yaml`` — list views by developer name, label or id, channels by ``#name`` or
  id, workspaces by name or id.  Every section is optional: a document changes only the
  sections it contains.

Document layout::

    version: 1
    locale: en-US                     # the language of messages in channels (DMs: each reader's Slack locale)
    restrictions: {channel_types: [public, private, direct], include_external: false, workspaces: null}
    celebrations: {enabled: true, message: "...", channels: ["#deals-won"]}
    orgs:
      acme-prod:
        lists:                        # the objects shown in Sales Home, in order
          Opportunity: {default_lists: [ClosingThisMonth, Won]}
          Account: {}
        layouts:                      # objects not listed use the default layout
          Opportunity: {fields: [Name, Amount, StageName], editable: [StageName]}
        won_stage: null               # null: any stage with IsWon; or one StageName value
        notifications:                # by name: what `saleshome notifications create --file` takes,
          big-deals:                  # plus `enabled` (default true); the org's notifications are
            template: threshold_crossed   # then exactly those listed (others are deleted)
            options: {field: Amount, value: 100000, direction: up}
            recipients: {channels: ["#sales"]}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from saleshome.i18n.catalog import DEFAULT_LOCALE

from .notifications.catalog import NotificationSpec
from .restrictions import Restrictions

DEFAULT_OBJECTS: tuple[str, ...] = ("Account", "Opportunity", "Lead", "Contact", "Case")
MAX_DEFAULT_LISTS = 25
DEFAULT_MESSAGE = ":tada: {owner} just won *{opportunity}* with {account}: {amount}!"
ChannelType = Literal["public", "private", "direct"]
CHANNEL_TYPES: tuple[ChannelType, ...] = ("public", "private", "direct")


# ---------------------------------------------------------------------- state (resolved, stored)
class ListViewRef(BaseModel):
    """One of the org's list views (``/sobjects/{object}/listviews``)."""

    id: str  # 15 characters, as the list views resource gives it
    developer_name: str
    label: str


class ObjectLists(BaseModel):
    default_lists: list[ListViewRef] = Field(default_factory=list)


class Layout(BaseModel):
    """The Slack record layout of one object: fields shown, in order, and the subset members may edit."""

    fields: list[str]
    editable: list[str] = Field(default_factory=list)


class NotificationSettings(BaseModel):
    """One notification as stored: its checked spec (channels as ids, names as describe spells them)."""

    spec: NotificationSpec
    enabled: bool = True

    def document_value(self) -> dict[str, Any]:
        """What the YAML says about it (defaults left out): compared by the diff, shown by a dry run."""
        value: dict[str, Any] = self.spec.model_dump(mode="json", exclude_defaults=True)
        if not self.enabled:
            value["enabled"] = False
        return value


class OrgSettings(BaseModel):
    objects: dict[str, ObjectLists] = Field(
        default_factory=lambda: {name: ObjectLists() for name in DEFAULT_OBJECTS})
    layouts: dict[str, Layout] = Field(default_factory=dict)  # only the layouts set explicitly
    won_stage: str | None = None  # None: any stage with IsWon
    notifications: dict[str, NotificationSettings] = Field(default_factory=dict)  # by name


class CelebrationSettings(BaseModel):
    """Deal celebrations: on or off, the message template, where they are shared (conversation ids)."""

    enabled: bool = True
    message: str = DEFAULT_MESSAGE
    channels: list[str] = Field(default_factory=list)


class SettingsState(BaseModel):
    locale: str = DEFAULT_LOCALE  # channels' language (workspaces.default_locale; DMs: the reader's Slack locale)
    restrictions: Restrictions = Field(default_factory=Restrictions)
    celebrations: CelebrationSettings = Field(default_factory=CelebrationSettings)
    orgs: dict[str, OrgSettings] = Field(default_factory=dict)


# ---------------------------------------------------------------------- document (YAML, as written)
class _Doc(BaseModel):
    # extra="forbid": a misspelt key is an error, not silently ignored; strict: no "yes" for true.
    model_config = ConfigDict(extra="forbid", strict=True)


class ObjectListsDoc(_Doc):
    default_lists: list[str] = Field(default_factory=list, description="List views by developer name, label or id.")


class LayoutDoc(_Doc):
    fields: list[str]
    editable: list[str] = Field(default_factory=list)


class NotificationDoc(NotificationSpec):
    """A notification as written: the spec ``saleshome notifications create --file`` takes, plus ``enabled``."""

    enabled: bool = True


class OrgDoc(_Doc):
    lists: dict[str, ObjectListsDoc | None] | None = None
    layouts: dict[str, LayoutDoc] | None = None
    won_stage: str | None = None
    notifications: dict[str, NotificationDoc] | None = None  # None: unchanged; else exactly these


class RestrictionsDoc(_Doc):
    channel_types: list[ChannelType] = Field(default_factory=lambda: list(CHANNEL_TYPES))
    include_external: bool = False
    workspaces: list[str] | None = None  # None: every workspace of the organisation


class CelebrationsDoc(_Doc):
    enabled: bool = True
    message: str = DEFAULT_MESSAGE
    channels: list[str] = Field(default_factory=list)


class SettingsDocument(_Doc):
    version: Literal[1] = 1
    locale: str | None = None  # left out: unchanged; null: back to en-US
    restrictions: RestrictionsDoc | None = None
    celebrations: CelebrationsDoc | None = None
    orgs: dict[str, OrgDoc] = Field(default_factory=dict)


def restrictions_doc(r: Restrictions) -> RestrictionsDoc:
    kinds = {"public": r.allow_public, "private": r.allow_private, "direct": r.allow_direct}
    return RestrictionsDoc(channel_types=[k for k in CHANNEL_TYPES if kinds[k]], include_external=r.include_external,
                           workspaces=None if r.allowed_teams is None else list(r.allowed_teams))


def document_of(state: SettingsState) -> SettingsDocument:
    """The document that says exactly ``state`` (list views by developer name, Slack objects by id)."""
    orgs = {
        alias: OrgDoc(
            lists={obj: ObjectListsDoc(default_lists=[v.developer_name for v in lists.default_lists])
                   for obj, lists in org.objects.items()},
            layouts={obj: LayoutDoc(fields=list(layout.fields), editable=list(layout.editable))
                     for obj, layout in org.layouts.items()},
            won_stage=org.won_stage,
            notifications={name: NotificationDoc.model_validate(n.document_value())
                           for name, n in org.notifications.items()},
        )
        for alias, org in state.orgs.items()
    }
    c = state.celebrations
    return SettingsDocument(
        locale=state.locale,
        restrictions=restrictions_doc(state.restrictions),
        celebrations=CelebrationsDoc(enabled=c.enabled, message=c.message, channels=list(c.channels)),
        orgs=orgs,
    )


def document_dict(doc: SettingsDocument) -> dict[str, Any]:
    """``doc`` as plain data for YAML (every section written out, in a stable order; a notification
    with who receives it and when written out, :meth:`NotificationSpec.effective`)."""
    data: dict[str, Any] = doc.model_dump(mode="json")
    for alias, org in doc.orgs.items():
        if org.notifications is not None:
            data["orgs"][alias]["notifications"] = {
                name: {**NotificationSpec.model_validate(n.model_dump(exclude={"enabled"})).effective(),
                       **({} if n.enabled else {"enabled": False})}
                for name, n in org.notifications.items()}
    return data


def format_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """``("orgs", "acme", "lists", "Opportunity", "default_lists", 25)`` → ``orgs.acme.lists.Opportunity.default_lists[25]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"
