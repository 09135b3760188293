"""Checking and applying a settings document: all or nothing, audited.

Every change — one CLI command or a whole YAML import — goes the same way:

1. the actor must be a sales admin of a workspace whose plan includes Sales Home;
2. the document is resolved against the orgs (describe, list views) and Slack (workspaces,
   channels); every problem is collected with its exact path
   (``orgs.acme.lists.Opportunity.default_lists[25]: at most 25 default list views per object``)
   and reported together — nothing is written;
3. the new state is compared with the current one, section by section (the diff a dry run
   prints);
4. one control-database transaction checks that nobody changed the settings meanwhile,
   writes the changed sections and appends one audit entry per change.

The top-level ``locale`` (the channels' language, ``workspaces.default_locale``) is checked with
Babel (:func:`saleshome.settings.locales.check_locale`) and is a change of its own (``locale``).

An org's ``notifications`` section names every notification of the org: each is checked like
``saleshome notifications create`` checks it (:func:`saleshome.settings.notifications.validate.check_spec`, with
the document path), one listed with another definition (or ``enabled``) is edited (a new
version), one not listed any more is deleted; each is a change of its own
(``orgs.<alias>.notifications.<name>``), written by :mod:`saleshome.settings.notifications.store` with its audit
entry.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from saleshome.errors import RetriableError, SalesHomeError, ValidationError
from saleshome.i18n.catalog import DEFAULT_LOCALE
from saleshome.warehouse.control import Tx

from .audit import record_change
from .context import SettingsContext
from .layouts import layout_problems
from .locales import check_locale
from .model import (
    MAX_DEFAULT_LISTS,
    CelebrationsDoc,
    CelebrationSettings,
    Layout,
    ListViewRef,
    NotificationDoc,
    NotificationSettings,
    ObjectLists,
    OrgDoc,
    OrgSettings,
    RestrictionsDoc,
    SettingsDocument,
    SettingsState,
    document_dict,
    document_of,
    format_path,
)
from .notifications.catalog import NotificationSpec
from .notifications.store import check_name, delete_in, notifications_in, write_in
from .notifications.validate import NotificationProblems, Resolved, check_spec
from .restrictions import Restrictions, blocked_reason
from .roles import require_sales_admin
from .store import (
    state_in,
    write_celebrations,
    write_layout,
    write_lists,
    write_locale,
    write_restrictions_in,
)
from .templates import template_problems

YAML_HEADER = (
    "# Sales Home settings (saleshome settings export). Apply with: saleshome settings import FILE [--dry-run]\n"
    "# Sections left out of a document are not changed by an import.\n"
)


class SettingsProblems(ValidationError):
    """A settings document breaks one or more rules; ``problems`` are ``path: message`` lines."""

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        super().__init__(f"settings not changed, {count}:\n  " + "\n  ".join(problems),
                         hint=hint or "fix every line above and run the command again; nothing was changed")
        self.problems = problems


@dataclass(frozen=True)
class Change:
    """One section whose value changes (``before``/``after`` as JSON-able data; None: default or absent)."""

    target: str
    before: Any
    after: Any

    def diff(self) -> str:
        def lines(value: Any) -> list[str]:
            text = "(default)\n" if value is None else yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
            return text.splitlines(keepends=True)

        return "".join(difflib.unified_diff(lines(self.before), lines(self.after), f"{self.target} (now)",
                                            f"{self.target} (new)", n=99))


@dataclass(frozen=True)
class ChangeSet:
    before: SettingsState
    after: SettingsState
    changes: list[Change]
    applied: bool

    def diff(self) -> str:
        """What a dry run prints: a unified diff per section; an org's notifications as ``- name (deleted)``,
        ``+ name (new)`` with its fields, or ``~ name`` with one ``field: before → after`` line per field that
        changes (fields compared by path: the order of keys never makes a difference)."""
        if not self.changes:
            return "no change\n"
        sections = [c.diff() for c in self.changes if not _notification_target(c.target)]
        by_org: dict[str, list[str]] = {}
        for c in self.changes:
            found = _notification_target(c.target)
            if found:
                by_org.setdefault(found[0], []).extend(_notification_lines(found[1], c.before, c.after))
        sections += [f"{NOTIFICATIONS_TARGET.format(alias=alias)[:-1]}:\n" + "".join(f"  {line}\n" for line in lines)
                     for alias, lines in by_org.items()]
        return "\n".join(sections)


def _notification_target(target: str) -> tuple[str, str] | None:
    """``orgs.acme.notifications.big-deals`` → ``("acme", "big-deals")``; None for another section."""
    parts = target.split(".", 3)
    return (parts[1], parts[3]) if len(parts) == 4 and parts[0] == "orgs" and parts[2] == "notifications" else None


def _notification_fields(value: dict[str, Any]) -> dict[str, Any]:
    """A notification's document value as ``{field path: value}``, defaults written out."""
    spec = NotificationSpec.model_validate({k: v for k, v in value.items() if k != "enabled"})
    out: dict[str, Any] = {}

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict) and v:
            for key, item in v.items():
                walk(item, f"{path}.{key}" if path else str(key))
        else:
            out[path] = v

    walk({**spec.effective(), "enabled": value.get("enabled", True)}, "")
    return out


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _notification_lines(name: str, before: Any, after: Any) -> list[str]:
    if after is None:
        return [f"- {name} (deleted)"]
    new = _notification_fields(after)
    if before is None:
        return [f"+ {name} (new)"] + [f"    {path}: {_shown(v)}" for path, v in new.items()]
    old = _notification_fields(before)
    lines = [f"~ {name}"]
    for path in dict.fromkeys([*old, *new]):
        if old.get(path, _UNSET) != new.get(path, _UNSET):
            was = _shown(old[path]) if path in old else "(not set)"
            now = _shown(new[path]) if path in new else "(not set)"
            lines.append(f"    {path}: {was} → {now}")
    return lines


_UNSET = object()


# ---------------------------------------------------------------------- parsing
def parse_document(text: str, source: str = "(document)") -> SettingsDocument:
    """A YAML text as a :class:`SettingsDocument`: malformed YAML → :class:`~saleshome.errors.InputFileError`
    naming ``source``, line and column; a wrong shape → :class:`SettingsProblems`."""
    from saleshome.textfiles import load_yaml

    data = load_yaml(text, source)
    return validate_document({} if data is None else data)


def validate_document(data: Any) -> SettingsDocument:
    """Plain data (parsed YAML) as a :class:`SettingsDocument`; a wrong shape → :class:`SettingsProblems` with paths."""
    if not isinstance(data, dict):
        raise SettingsProblems([f"(document): expected a mapping of sections (locale, restrictions, celebrations, orgs), "
                                f"got {type(data).__name__}"])
    try:
        return SettingsDocument.model_validate(data)
    except PydanticValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = list(error["loc"])
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown setting (check its spelling)"
            problems.append(f"{format_path(loc)}: {message}")
        raise SettingsProblems(list(dict.fromkeys(problems))) from None


# ---------------------------------------------------------------------- resolving
class _Resolver:
    def __init__(self, ctx: SettingsContext, current: SettingsState) -> None:
        self.ctx = ctx
        self.current = current
        self.problems: list[str] = []
        self.resolved: dict[tuple[str, str], Resolved] = {}  # (alias, notification) → what describe said

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def check_limits(self, doc: SettingsDocument) -> None:
        for alias, org in doc.orgs.items():
            for obj, lists in (org.lists or {}).items():
                if lists is not None and len(lists.default_lists) > MAX_DEFAULT_LISTS:
                    self.problem(f"orgs.{alias}.lists.{obj}.default_lists[{MAX_DEFAULT_LISTS}]",
                                 f"at most {MAX_DEFAULT_LISTS} default list views per object")

    def locale(self, value: str | None) -> str:
        """The channels' locale (None: back to the default); an unknown one is a problem at ``locale``."""
        if value is None:
            return DEFAULT_LOCALE
        try:
            return check_locale(value)
        except ValidationError as exc:
            self.problem("locale", f"{exc.message} ({exc.hint})")
            return self.current.locale

    def restrictions(self, doc: RestrictionsDoc) -> Restrictions:
        teams: list[str] | None = None
        if doc.workspaces is not None:
            teams = []
            for i, ref in enumerate(doc.workspaces):
                try:
                    team = self.ctx.directory.team(ref).id
                except ValidationError as exc:
                    self.problem(f"restrictions.workspaces[{i}]", str(exc))
                    continue
                if team in teams:
                    self.problem(f"restrictions.workspaces[{i}]", f"{ref} is listed twice")
                teams.append(team)
        kinds = set(doc.channel_types)
        return Restrictions(allow_public="public" in kinds, allow_private="private" in kinds,
                            allow_direct="direct" in kinds, include_external=doc.include_external,
                            allowed_teams=teams)

    def celebrations(self, doc: CelebrationsDoc, restrictions: Restrictions) -> CelebrationSettings:
        for message in template_problems(doc.message):
            self.problem("celebrations.message", message)
        channels: list[str] = []
        for i, ref in enumerate(doc.channels):
            path = f"celebrations.channels[{i}]"
            try:
                channel = self.ctx.directory.channel(ref)
            except ValidationError as exc:
                self.problem(path, str(exc))
                continue
            if channel.id in channels:
                self.problem(path, f"{channel.label} is listed twice")
            elif channel.is_archived:
                self.problem(path, f"{channel.label} is archived")
            elif not channel.is_member:
                self.problem(path, f"the Sales Home app is not in {channel.label} (invite it: /invite @Sales Home)")
            else:
                reason = blocked_reason(restrictions, channel.info, channel.team_id)
                if reason:
                    self.problem(path, f"{channel.label} cannot receive celebrations: {reason} "
                                       "(change the restrictions or pick another channel)")
            channels.append(channel.id)
        return CelebrationSettings(enabled=doc.enabled, message=doc.message, channels=channels)

    def _object(self, alias: str, name: str, path: str) -> dict[str, Any] | None:
        try:
            return self.ctx.sobject(alias, name)
        except ValidationError as exc:
            self.problem(path, str(exc))
            return None

    def list_view(self, alias: str, obj: str, ref: str, path: str) -> ListViewRef | None:
        views = self.ctx.list_views(alias, obj)
        found = [v for v in views if ref == v["developerName"] or (len(ref) in (15, 18) and ref[:15] == v["id"][:15])]
        if not found:
            found = [v for v in views if ref.strip().lower() == v["label"].lower()]
        if not found:
            known = ", ".join(v["developerName"] for v in views) or "none"
            self.problem(path, f"org {alias!r} has no {obj} list view {ref!r} (its list views: {known})")
            return None
        if len(found) > 1:
            self.problem(path, f"{ref!r} names {len(found)} {obj} list views; give its developer name or id "
                               f"({', '.join(v['developerName'] for v in found)})")
            return None
        v = found[0]
        return ListViewRef(id=v["id"][:15], developer_name=v["developerName"], label=v["label"])

    def org(self, alias: str, doc: OrgDoc) -> OrgSettings | None:
        base = f"orgs.{alias}"
        current = self.current.orgs.get(alias)
        if current is None:
            known = ", ".join(self.current.orgs) or "none yet"
            self.problem(base, f"no org called {alias!r} is connected to this workspace (connected: {known})")
            return None
        new = current.model_copy(deep=True)
        if doc.lists is not None:
            objects: dict[str, ObjectLists] = {}
            for obj, lists in doc.lists.items():
                path = f"{base}.lists.{obj}"
                entry = self._object(alias, obj, path)
                if entry is None:
                    continue
                name = entry["name"]
                if name in objects:
                    self.problem(path, f"{name} is listed twice")
                    continue
                views: list[ListViewRef] = []
                refs = lists.default_lists if lists is not None else []
                if refs and "listviews" not in entry.get("urls", {}):
                    self.problem(f"{path}.default_lists", f"{name} has no list views in org {alias!r}")
                    refs = []
                for i, ref in enumerate(refs[:MAX_DEFAULT_LISTS]):
                    view = self.list_view(alias, name, ref, f"{path}.default_lists[{i}]")
                    if view is None:
                        continue
                    if any(v.id == view.id for v in views):
                        self.problem(f"{path}.default_lists[{i}]", f"{view.developer_name} is listed twice")
                        continue
                    views.append(view)
                objects[name] = ObjectLists(default_lists=views)
            new.objects = objects
        if doc.layouts is not None:
            layouts: dict[str, Layout] = {}
            for obj, layout_doc in doc.layouts.items():
                path = f"{base}.layouts.{obj}"
                entry = self._object(alias, obj, path)
                if entry is None:
                    continue
                layout, problems = layout_problems(self.ctx.describe(alias, entry["name"]), layout_doc.fields,
                                                   layout_doc.editable, path)
                self.problems += problems
                layouts[entry["name"]] = layout
            new.layouts = layouts
        if "won_stage" in doc.model_fields_set:
            new.won_stage = self.won_stage(alias, doc.won_stage, f"{base}.won_stage")
        if doc.notifications is not None:
            new.notifications = self.notifications(alias, doc.notifications, f"{base}.notifications")
        return new

    def notifications(self, alias: str, docs: dict[str, NotificationDoc], base: str) -> dict[str, NotificationSettings]:
        """Each notification checked against the org's schema and Slack, as ``notifications create`` checks it."""
        out: dict[str, NotificationSettings] = {}
        for key, doc in docs.items():
            path = f"{base}.{key}"
            try:
                name = check_name(key)
            except ValidationError as exc:
                self.problem(path, exc.message)
                continue
            if name in out:
                self.problem(path, f"{name!r} is listed twice")
                continue
            spec = NotificationSpec.model_validate(doc.model_dump(exclude={"enabled"}))
            try:
                checked, resolved = check_spec(self.ctx, alias, spec, path=path)
            except NotificationProblems as exc:
                self.problems += exc.problems
                continue
            out[name] = NotificationSettings(spec=checked, enabled=doc.enabled)
            self.resolved[(alias, name)] = resolved
        return out

    def won_stage(self, alias: str, stage: str | None, path: str) -> str | None:
        if stage is None:
            return None
        if self._object(alias, "Opportunity", path) is None:
            return None
        describe = self.ctx.describe(alias, "Opportunity")
        field = next((f for f in describe.get("fields", []) if f["name"] == "StageName"), None)
        values = [v["value"] for v in (field or {}).get("picklistValues", []) if v.get("active", True)]
        if stage not in values:
            close = [v for v in values if v.lower() == stage.strip().lower()]
            self.problem(path, f"org {alias!r} has no opportunity stage {stage!r}"
                               + (f" (did you mean {close[0]!r}?)" if close else f" (its stages: {', '.join(values)})"))
            return None
        return stage

    def resolve(self, doc: SettingsDocument) -> SettingsState:
        self.check_limits(doc)
        new = self.current.model_copy(deep=True)
        if "locale" in doc.model_fields_set:
            new.locale = self.locale(doc.locale)
        if doc.restrictions is not None:
            new.restrictions = self.restrictions(doc.restrictions)
        if doc.celebrations is not None:
            new.celebrations = self.celebrations(doc.celebrations, new.restrictions)
        for alias, org_doc in doc.orgs.items():
            org = self.org(alias, org_doc)
            if org is not None:
                new.orgs[alias] = org
        if self.problems:
            raise SettingsProblems(self.problems)
        return new


def resolve_document(ctx: SettingsContext, doc: SettingsDocument, current: SettingsState, *,
                     resolved: dict[tuple[str, str], Resolved] | None = None) -> SettingsState:
    """The state ``doc`` asks for, over ``current``; every problem at once as :class:`SettingsProblems`.

    ``resolved`` receives, per (org, notification) of the document, what describe said (what the
    notification store keeps with each version).
    """
    resolver = _Resolver(ctx, current)
    state = resolver.resolve(doc)
    if resolved is not None:
        resolved.update(resolver.resolved)
    return state


def state_with_notifications_in(db: Tx, workspace: str) -> SettingsState:
    """The stored settings, the orgs' notifications included (caller's transaction)."""
    state = state_in(db, workspace)
    for n in notifications_in(db, workspace):
        if n.alias in state.orgs:
            state.orgs[n.alias].notifications[n.name] = NotificationSettings(spec=n.spec, enabled=n.enabled)
    return state


# ---------------------------------------------------------------------- diff and write
def _dump(model: Any) -> Any:
    return None if model is None else model.model_dump(mode="json")


def diff_states(before: SettingsState, after: SettingsState) -> list[Change]:
    changes: list[Change] = []
    if before.locale != after.locale:
        changes.append(Change("locale", before.locale, after.locale))
    for section in ("restrictions", "celebrations"):
        old, new = _dump(getattr(before, section)), _dump(getattr(after, section))
        if old != new:
            changes.append(Change(section, old, new))
    for alias, org in after.orgs.items():
        was = before.orgs.get(alias, OrgSettings())
        old_lists = {k: _dump(v) for k, v in was.objects.items()}
        new_lists = {k: _dump(v) for k, v in org.objects.items()}
        if list(old_lists.items()) != list(new_lists.items()):
            changes.append(Change(f"orgs.{alias}.lists", old_lists, new_lists))
        for obj in dict.fromkeys([*was.layouts, *org.layouts]):
            old_layout, new_layout = _dump(was.layouts.get(obj)), _dump(org.layouts.get(obj))
            if old_layout != new_layout:
                changes.append(Change(f"orgs.{alias}.layouts.{obj}", old_layout, new_layout))
        if was.won_stage != org.won_stage:
            changes.append(Change(f"orgs.{alias}.won_stage", was.won_stage, org.won_stage))
        for name in dict.fromkeys([*was.notifications, *org.notifications]):
            old_n, new_n = was.notifications.get(name), org.notifications.get(name)
            old_value = None if old_n is None else old_n.document_value()
            new_value = None if new_n is None else new_n.document_value()
            if old_value != new_value:
                changes.append(Change(f"{NOTIFICATIONS_TARGET.format(alias=alias)}{name}", old_value, new_value))
    return changes


NOTIFICATIONS_TARGET = "orgs.{alias}.notifications."


def _write_notification(db: Tx, ctx: SettingsContext, actor: str, action: str, alias: str,
                        name: str, after: SettingsState, resolved: dict[tuple[str, str], Resolved]) -> None:
    """Create, edit or delete one notification; the store writes its version row and audit entry."""
    existing = {n.name: n for n in notifications_in(db, ctx.workspace, alias)}.get(name)
    wanted = after.orgs[alias].notifications.get(name)
    if wanted is None:
        if existing is not None:
            delete_in(db, ctx.workspace, actor, existing, action=action)
        return
    write_in(db, ctx.workspace, actor, alias=alias, name=name, spec=wanted.spec, resolved=resolved[(alias, name)],
             enabled=wanted.enabled, existing=existing, action=action)


def _write(ctx: SettingsContext, actor: str, action: str, before: SettingsState, after: SettingsState,
           changes: list[Change], resolved: dict[tuple[str, str], Resolved]) -> None:
    with ctx.control.transaction() as db:
        if state_with_notifications_in(db, ctx.workspace) != before:
            raise RetriableError("the settings changed while this change was being checked",
                                 hint="run the command again: it will be checked against the new settings")
        written: set[str] = set()
        for change in changes:
            parts = change.target.split(".")
            if parts[0] == "orgs" and parts[2] == "notifications":
                name = change.target.removeprefix(NOTIFICATIONS_TARGET.format(alias=parts[1]))
                _write_notification(db, ctx, actor, action, parts[1], name, after, resolved)
                continue  # audited by the store (with the notification's id and version)
            if parts[0] == "locale":
                write_locale(db, ctx.workspace, after.locale)
            elif parts[0] == "restrictions":
                write_restrictions_in(db, ctx.workspace, after.restrictions)
            elif parts[0] == "celebrations":
                write_celebrations(db, ctx.workspace, after.celebrations)
            elif parts[2] in ("lists", "won_stage") and parts[1] not in written:
                write_lists(db, parts[1], after.orgs[parts[1]])
                written.add(parts[1])
            elif parts[2] == "layouts":
                write_layout(db, parts[1], parts[3], after.orgs[parts[1]].layouts.get(parts[3]))
            record_change(db, ctx.workspace, actor, action, change.target, change.before, change.after)


def current_state(ctx: SettingsContext) -> SettingsState:
    with ctx.control.transaction() as db:
        return state_with_notifications_in(db, ctx.workspace)


def apply_document(ctx: SettingsContext, actor: str, doc: SettingsDocument, *, action: str = "settings.import",
                   dry_run: bool = False) -> ChangeSet:
    """Check ``actor`` and ``doc``, then apply it at once (or, with ``dry_run``, only say what would change)."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    return apply_checked(ctx, actor, doc, action=action, dry_run=dry_run)


def apply_checked(ctx: SettingsContext, actor: str, doc: SettingsDocument, *, action: str,
                  dry_run: bool = False) -> ChangeSet:
    """:func:`apply_document` for an actor already checked by :func:`require_sales_admin`."""
    before = current_state(ctx)
    resolved: dict[tuple[str, str], Resolved] = {}
    after = resolve_document(ctx, doc, before, resolved=resolved)
    changes = diff_states(before, after)
    if changes and not dry_run:
        _write(ctx, actor, action, before, after, changes, resolved)
    return ChangeSet(before, after, changes, applied=bool(changes) and not dry_run)


def import_yaml(ctx: SettingsContext, actor: str, text: str, *, dry_run: bool = False) -> ChangeSet:
    """``saleshome settings import``: the actor first, then the whole document, all or nothing."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    return apply_checked(ctx, actor, parse_document(text), action="settings.import", dry_run=dry_run)


def export_yaml(state: SettingsState) -> str:
    """The whole state as a document an import applies unchanged."""
    return YAML_HEADER + yaml.safe_dump(document_dict(document_of(state)), sort_keys=False, allow_unicode=True)


__all__ = [
    "Change",
    "ChangeSet",
    "SalesHomeError",
    "SettingsProblems",
    "apply_checked",
    "apply_document",
    "current_state",
    "diff_states",
    "export_yaml",
    "import_yaml",
    "parse_document",
    "resolve_document",
    "state_with_notifications_in",
    "validate_document",
]
