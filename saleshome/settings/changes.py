"""One change at a time (what the CLI commands do): each builds a small document and applies it.

Every function here checks the actor, then goes through :func:`saleshome.settings.apply.apply_checked`, so a single
command is checked, audited and atomic exactly like a YAML import, and reports problems with
the same paths (``orgs.acme.lists.Opportunity.default_lists[25]: …``).
"""

from __future__ import annotations

from saleshome.errors import ValidationError

from .apply import ChangeSet, apply_checked, current_state, validate_document
from .context import SettingsContext
from .model import (
    DEFAULT_OBJECTS,
    CelebrationsDoc,
    LayoutDoc,
    ObjectListsDoc,
    OrgDoc,
    OrgSettings,
    SettingsDocument,
    restrictions_doc,
)
from .roles import require_sales_admin


def _lists_doc(ctx: SettingsContext, alias: str, org: OrgSettings) -> dict[str, ObjectListsDoc | None]:
    """The org's lists as a document (the defaults limited to the objects this org has)."""
    stored = ctx.control.rows("SELECT 1 FROM org_settings WHERE alias = ?", [alias])
    names = list(org.objects)
    if not stored:
        have = ctx.sobjects(alias)
        names = [n for n in DEFAULT_OBJECTS if n.lower() in have]
    return {n: ObjectListsDoc(default_lists=[v.id for v in org.objects[n].default_lists]) if n in org.objects
            else None for n in names}


def _org(ctx: SettingsContext, alias: str) -> OrgSettings:
    state = current_state(ctx)
    if alias not in state.orgs:
        known = ", ".join(state.orgs) or "none yet"
        raise ValidationError(f"no org called {alias!r} is connected to this workspace (connected: {known})",
                              hint="connect it with `saleshome org add`")
    return state.orgs[alias]


def _shown(org: OrgSettings, alias: str, obj: str) -> str:
    name = next((n for n in org.objects if n.lower() == obj.lower()), None)
    if name is None:
        raise ValidationError(f"{obj} is not shown in Sales Home for org {alias!r} "
                              f"(shown: {', '.join(org.objects) or 'nothing'})",
                              hint=f"add it first: `saleshome lists add {alias} {obj}`")
    return name


def _apply(ctx: SettingsContext, actor: str, action: str, alias: str, org: OrgDoc) -> ChangeSet:
    return apply_checked(ctx, actor, SettingsDocument(orgs={alias: org}), action=action)


# ---------------------------------------------------------------------- lists
def add_object(ctx: SettingsContext, actor: str, alias: str, obj: str) -> ChangeSet:
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    lists = _lists_doc(ctx, alias, _org(ctx, alias))
    if any(n.lower() == obj.lower() for n in lists):
        raise ValidationError(f"{obj} is already shown in Sales Home for org {alias!r}")
    lists[obj] = None
    return _apply(ctx, actor, "lists.add", alias, OrgDoc(lists=lists))


def remove_object(ctx: SettingsContext, actor: str, alias: str, obj: str) -> ChangeSet:
    """Stop showing ``obj``; its default list views go with it."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    org = _org(ctx, alias)
    name = _shown(org, alias, obj)
    lists = _lists_doc(ctx, alias, org)
    lists.pop(name, None)
    return _apply(ctx, actor, "lists.remove", alias, OrgDoc(lists=lists))


def add_default_lists(ctx: SettingsContext, actor: str, alias: str, obj: str, views: list[str]) -> ChangeSet:
    """Suggest more default list views for ``obj`` (by developer name, label or id; 25 at most)."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    org = _org(ctx, alias)
    name = _shown(org, alias, obj)
    lists = _lists_doc(ctx, alias, org)
    entry = lists.get(name) or ObjectListsDoc()
    lists[name] = ObjectListsDoc(default_lists=[*entry.default_lists, *views])
    return _apply(ctx, actor, "lists.add-default", alias, OrgDoc(lists=lists))


def remove_default_list(ctx: SettingsContext, actor: str, alias: str, obj: str, view: str) -> ChangeSet:
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    org = _org(ctx, alias)
    name = _shown(org, alias, obj)
    current = org.objects[name].default_lists
    wanted = view.strip().lower()
    keep = [v for v in current if wanted not in (v.id.lower(), v.developer_name.lower(), v.label.lower())
            and not (len(view) == 18 and view[:15] == v.id)]
    if len(keep) == len(current):
        raise ValidationError(f"{view!r} is not a default list view of {name} in org {alias!r} "
                              f"(defaults: {', '.join(v.developer_name for v in current) or 'none'})")
    lists = _lists_doc(ctx, alias, org)
    lists[name] = ObjectListsDoc(default_lists=[v.id for v in keep])
    return _apply(ctx, actor, "lists.remove-default", alias, OrgDoc(lists=lists))


# ---------------------------------------------------------------------- layouts
def set_layout(ctx: SettingsContext, actor: str, alias: str, obj: str, fields: list[str],
               editable: list[str]) -> ChangeSet:
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    org = _org(ctx, alias)
    layouts = {n: LayoutDoc(fields=list(lay.fields), editable=list(lay.editable)) for n, lay in org.layouts.items()
               if n.lower() != obj.lower()}
    layouts[obj] = LayoutDoc(fields=fields, editable=editable)
    return _apply(ctx, actor, "layouts.set", alias, OrgDoc(layouts=layouts))


def reset_layout(ctx: SettingsContext, actor: str, alias: str, obj: str) -> ChangeSet:
    """Back to the default layout (name + key fields)."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    org = _org(ctx, alias)
    layouts = {n: LayoutDoc(fields=list(lay.fields), editable=list(lay.editable)) for n, lay in org.layouts.items()
               if n.lower() != obj.lower()}
    return _apply(ctx, actor, "layouts.reset", alias, OrgDoc(layouts=layouts))


# ---------------------------------------------------------------------- locale
def set_locale(ctx: SettingsContext, actor: str, locale: str | None) -> ChangeSet:
    """The language of messages posted in channels (``fr-FR``...; None: back to en-US). DMs read each
    recipient's Slack locale (:mod:`saleshome.settings.locales`)."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    return apply_checked(ctx, actor, SettingsDocument(locale=locale), action="workspace.locale")


# ---------------------------------------------------------------------- restrictions and celebrations
_UNSET: list[str] = []


def set_restrictions(
    ctx: SettingsContext, actor: str, *, channel_types: list[str] | None = None,
    include_external: bool | None = None, workspaces: list[str] | object | None = _UNSET,
) -> ChangeSet:
    """Change the restrictions given (``workspaces=None``: every workspace of the organisation)."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    doc = restrictions_doc(current_state(ctx).restrictions).model_dump()
    if channel_types is not None:
        doc["channel_types"] = channel_types
    if include_external is not None:
        doc["include_external"] = include_external
    if workspaces is not _UNSET:
        doc["workspaces"] = workspaces
    return apply_checked(ctx, actor, validate_document({"restrictions": doc}),
                         action="restrictions.set")


def set_celebrations(
    ctx: SettingsContext, actor: str, *, enabled: bool | None = None, message: str | None = None,
    channels: list[str] | None = None,
) -> ChangeSet:
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    c = current_state(ctx).celebrations
    doc = CelebrationsDoc(enabled=c.enabled if enabled is None else enabled,
                          message=c.message if message is None else message,
                          channels=list(c.channels) if channels is None else channels)
    return apply_checked(ctx, actor, SettingsDocument(celebrations=doc), action="celebrations.set")


def set_won_stage(ctx: SettingsContext, actor: str, alias: str, stage: str | None) -> ChangeSet:
    """The stage that counts as won in org ``alias`` (None: any stage with IsWon)."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    _org(ctx, alias)
    return _apply(ctx, actor, "celebrations.won-stage", alias, OrgDoc(won_stage=stage))
