"""`saleshome notifications templates | create | edit | delete | enable | disable | list | show | stats |
member-templates allow | forbid | list`.

Thin commands over ``saleshome.notify`` (imported inside each command).  Changes take the
acting Slack user with ``--as U…`` (default ``SALESHOME_ACTOR``) and are allowed to sales
admins only; every change is checked against the org's schema and Slack, versioned and audited.

A notification is written either with options (``--when "Amount >= 100000"``, ``--to owner``,
``--option direction=forward``, ``--digest daily@9``...) or as a YAML/JSON file (``--file``)
holding the same keys as the settings YAML's ``notifications:`` entries.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from saleshome.cli.common import ActorOption, acting_user, ready

if TYPE_CHECKING:
    from saleshome.settings.notifications.catalog import NotificationSpec

app = typer.Typer(
    help="Admin-created notifications: templates, create, edit, delete, enable, disable, list, show, stats.",
    no_args_is_help=True,
)

OrgOption = Annotated[str | None, typer.Option("--org", help="The org (needed when a name is used in two orgs).")]
WhenOption = Annotated[list[str] | None, typer.Option(
    "--when", help='A condition on the record: "FIELD OP VALUE", OP one of = != < <= > >= in not_in contains '
                   'is_null is_not_null; VALUE in YAML ("Amount >= 100000", "StageName in [A, B]"). Repeat.')]
ToOption = Annotated[list[str] | None, typer.Option(
    "--to", help="A recipient: owner, manager, #channel (or C… id), or a Slack user U…. Repeat.")]
OptionOption = Annotated[list[str] | None, typer.Option(
    "--option", help="A template option KEY=VALUE (VALUE in YAML: direction=forward, to_stages=[Closed Won]). Repeat.")]
DigestOption = Annotated[str | None, typer.Option(
    "--digest", help="immediate, daily@HOUR or weekly-DAY@HOUR (the recipient's local hour), e.g. weekly-mon@9.")]
FieldsOption = Annotated[str | None, typer.Option(
    "--fields", help="Comma-separated fields shown [default: the record layout].")]
FileOption = Annotated[Path | None, typer.Option(
    "--file", exists=True, dir_okay=False, help="The whole definition as YAML (template, object, options, "
                                                "conditions, recipients, delivery, fields, title, cooldown_minutes).")]

_WHEN = re.compile(r"^\s*([A-Za-z][\w.]*)\s+(!=|<=|>=|=|<|>|not_in|in|contains|is_not_null|is_null)(?=\s|$)\s*(.*)$")


def _yaml_value(text: str, source: str) -> Any:
    from saleshome.textfiles import load_yaml

    value = load_yaml(text, source) if text.strip() else None

    def plain(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v

    return plain(value)


def parse_when(text: str) -> dict[str, Any]:
    """``"Amount >= 100000"`` → ``{"field": "Amount", "op": ">=", "value": 100000}``."""
    from saleshome.errors import ValidationError

    m = _WHEN.match(text)
    if not m:
        raise ValidationError(f"cannot read the condition {text!r}",
                              hint='write it as "FIELD OP VALUE", e.g. "Amount >= 100000" or "NextStep is_null"')
    field, op, raw = m.groups()
    return {"field": field, "op": op, **({"value": _yaml_value(raw, f"--when {text!r}")} if raw.strip() else {})}


def parse_recipients(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"owner": False, "manager": False, "channels": [], "users": []}
    for value in (v.strip() for item in values for v in item.split(",") if v.strip()):
        if value.lower() in ("owner", "manager"):
            out[value.lower()] = True
        elif value.startswith(("U", "W")) and value.isalnum():
            out["users"].append(value)
        else:
            out["channels"].append(value)
    return out


def parse_delivery(text: str) -> dict[str, Any]:
    from saleshome.errors import ValidationError

    text = text.strip().lower()
    if text == "immediate":
        return {"mode": "immediate"}
    m = re.match(r"^(daily|weekly-(mon|tue|wed|thu|fri|sat|sun))@(\d{1,2})$", text)
    if not m or int(m.group(3)) > 23:
        raise ValidationError(f"cannot read the delivery {text!r}",
                              hint="immediate, daily@HOUR or weekly-DAY@HOUR (HOUR 0-23), e.g. daily@9, weekly-mon@8")
    out: dict[str, Any] = {"mode": "digest", "frequency": "daily" if m.group(1) == "daily" else "weekly",
                           "hour": int(m.group(3))}
    if m.group(2):
        out["weekday"] = m.group(2)
    return out


def build_spec(base: dict[str, Any], *, template: str | None, object_: str | None, options: list[str] | None,
               when: list[str] | None, to: list[str] | None, digest: str | None, fields: str | None,
               title: str | None, cooldown: int | None) -> NotificationSpec:
    """A spec from a base definition (a file, or the notification being edited) and the options given."""
    from pydantic import ValidationError as PydanticValidationError

    from saleshome.errors import ValidationError
    from saleshome.settings.notifications.catalog import NotificationSpec

    data = dict(base)
    if template is not None:
        if template != data.get("template"):
            data["options"] = {}
        data["template"] = template
    if object_ is not None:
        data["object"] = object_
    for item in options or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValidationError(f"--option {item!r}: expected KEY=VALUE")
        data.setdefault("options", {})
        data["options"] = {**data["options"], key.strip(): _yaml_value(raw, f"--option {item!r}")}
    if when:
        data["conditions"] = [parse_when(w) for w in when]
    if to:
        data["recipients"] = parse_recipients(to)
    if digest is not None:
        data["delivery"] = parse_delivery(digest)
    if fields is not None:
        data["fields"] = [f.strip() for f in fields.split(",") if f.strip()] or None
    if title is not None:
        data["title"] = title or None
    if cooldown is not None:
        data["cooldown_minutes"] = cooldown
    try:
        return NotificationSpec.model_validate(data)
    except PydanticValidationError as exc:
        from saleshome.settings.model import format_path
        from saleshome.settings.notifications.validate import NotificationProblems

        raise NotificationProblems([f"{format_path(list(e['loc']))}: {e['msg']}" for e in exc.errors()]) from None


def _file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from saleshome.textfiles import read_yaml_mapping

    return read_yaml_mapping(path, expected="template, object, options, conditions, recipients, delivery, ...")


@app.command("templates")
def templates() -> None:
    """List the templates, their options and what they watch."""
    from rich.console import Console

    from saleshome.listing import Column, listing
    from saleshome.settings.notifications.catalog import template_table

    rows = template_table()
    console = Console()
    columns = [Column(c, text=c in ("options", "description")) for c in rows[0]]
    console.print(listing("Notification templates", columns, [list(r.values()) for r in rows], width=console.width))


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name, unique in the org (e.g. big-deals-won).")],
    org: Annotated[str, typer.Option("--org", help="The org whose changes it watches.")],
    template: Annotated[str | None, typer.Option(help="The template (see `saleshome notifications templates`).")] = None,
    object_: Annotated[str | None, typer.Option("--object", help="The object watched [default: the template's].")] = None,
    option: OptionOption = None,
    when: WhenOption = None,
    to: ToOption = None,
    digest: DigestOption = None,
    fields: FieldsOption = None,
    title: Annotated[str | None, typer.Option(help="The message title [default: the template's].")] = None,
    cooldown: Annotated[int | None, typer.Option(min=0, help="At most one message per record within N minutes.")] = None,
    file: FileOption = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Save it disabled.")] = False,
    actor: ActorOption = None,
) -> None:
    """Create a notification from a template (sales admins; checked against the org's schema and Slack)."""
    from saleshome.settings.notifications.store import create_notification

    base = _file(file)  # read before anything is opened: a bad file changes nothing
    ctx = ready()
    spec = build_spec(base, template=template, object_=object_, options=option, when=when, to=to,
                      digest=digest, fields=fields, title=title, cooldown=cooldown)
    saved = create_notification(ctx, acting_user(ctx, actor), org, name, spec, enabled=not disabled)
    typer.echo(f"Created {saved.name} ({saved.id}, version {saved.version}) on {saved.alias}: {saved.template} "
               f"on {saved.object}{'' if saved.enabled else ', disabled'} (recorded in the audit log)")


@app.command("edit")
def edit(
    ref: Annotated[str, typer.Argument(metavar="NAME", help="The notification (name or id).")],
    org: OrgOption = None,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    template: Annotated[str | None, typer.Option(help="Another template (its options start empty).")] = None,
    object_: Annotated[str | None, typer.Option("--object", help="Another object.")] = None,
    option: OptionOption = None,
    when: WhenOption = None,
    no_conditions: Annotated[bool, typer.Option("--no-conditions", help="Remove every condition.")] = False,
    to: ToOption = None,
    digest: DigestOption = None,
    fields: FieldsOption = None,
    title: Annotated[str | None, typer.Option(help="A new title (\"\" for the template's).")] = None,
    cooldown: Annotated[int | None, typer.Option(min=0, help="At most one message per record within N minutes.")] = None,
    file: FileOption = None,
    actor: ActorOption = None,
) -> None:
    """Change a notification: the options given replace the current ones (a new version; audited)."""
    from saleshome.settings.notifications.store import edit_notification, get_notification

    given = _file(file)  # read before anything is opened: a bad file changes nothing
    ctx = ready()
    current = get_notification(ctx.control, ctx.workspace, ref, org)
    base = given or current.spec.model_dump(mode="json")
    if no_conditions:
        base["conditions"] = []
    spec = build_spec(base, template=template, object_=object_, options=option, when=when, to=to, digest=digest,
                      fields=fields, title=title, cooldown=cooldown)
    saved = edit_notification(ctx, acting_user(ctx, actor), current.id, spec=spec, name=name)
    if saved.version == current.version and saved.name == current.name:
        typer.echo(f"No change: {saved.name} already says this (version {saved.version}).")
    else:
        typer.echo(f"Saved {saved.name} as version {saved.version} (recorded in the audit log)")


@app.command("delete")
def delete(
    ref: Annotated[str, typer.Argument(metavar="NAME", help="The notification (name or id).")],
    org: OrgOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    actor: ActorOption = None,
) -> None:
    """Delete a notification (what it already sent stays in the outbox and the stats history)."""
    from saleshome.settings.notifications.store import delete_notification, get_notification

    ctx = ready()
    current = get_notification(ctx.control, ctx.workspace, ref, org)
    if not yes:
        typer.confirm(f"Delete notification {current.name} of {current.alias}?", abort=True)
    delete_notification(ctx, acting_user(ctx, actor), current.id)
    typer.echo(f"Deleted {current.name} (recorded in the audit log)")


def _toggle(ref: str, org: str | None, actor: str | None, enabled: bool) -> None:
    from saleshome.settings.notifications.store import set_enabled

    ctx = ready()
    changed = set_enabled(ctx, acting_user(ctx, actor), ref, enabled, alias=org)
    state = "enabled" if enabled else "disabled"
    typer.echo(f"{ref} is now {state}." if changed else f"{ref} already was {state}.")


@app.command("enable")
def enable(ref: Annotated[str, typer.Argument(metavar="NAME")], org: OrgOption = None,
           actor: ActorOption = None) -> None:
    """Enable a notification."""
    _toggle(ref, org, actor, True)


@app.command("disable")
def disable(ref: Annotated[str, typer.Argument(metavar="NAME")], org: OrgOption = None,
            actor: ActorOption = None) -> None:
    """Disable a notification (it keeps its definition and history)."""
    _toggle(ref, org, actor, False)


@app.command("list")
def list_(org: OrgOption = None) -> None:
    """List the notifications: name, org, template, object, delivery, recipients, version, state."""
    from rich.console import Console

    from saleshome.listing import Column, listing
    from saleshome.settings.notifications.store import load_notifications

    ctx = ready(read_only=True)
    found = load_notifications(ctx.control, ctx.workspace, org)
    if not found:
        typer.echo("No notification yet: create one with `saleshome notifications create NAME --org ORG "
                   "--template TEMPLATE --as U…`.")
        return
    columns = [Column(c, text=c == "recipients") for c in
               ("name", "id", "org", "template", "object", "delivery", "recipients", "version", "state")]
    rows = [[n.name, n.id, n.alias, n.template, n.object, _delivery(n.spec), ", ".join(_recipients(n.spec)),
             n.version, "enabled" if n.enabled else "disabled"] for n in found]
    console = Console()
    console.print(listing("Notifications", columns, rows, width=console.width))


def _recipients(spec: NotificationSpec) -> list[str]:
    r = spec.recipients
    return [w for w, on in (("owner", r.owner), ("manager", r.manager)) if on] + r.channels + r.users


def _delivery(spec: NotificationSpec) -> str:
    d = spec.delivery
    return "immediate" if d.mode == "immediate" else d.schedule


@app.command("show")
def show(ref: Annotated[str, typer.Argument(metavar="NAME")], org: OrgOption = None) -> None:
    """Print a notification's definition (YAML) and its versions."""
    import yaml

    from saleshome.settings.notifications.store import get_notification, versions

    ctx = ready(read_only=True)
    n = get_notification(ctx.control, ctx.workspace, ref, org)
    typer.echo(f"# {n.name} ({n.id}) on {n.alias}: version {n.version}, {'enabled' if n.enabled else 'disabled'}")
    typer.echo(yaml.safe_dump(n.spec.effective(), sort_keys=False, allow_unicode=True), nl=False)
    for v in versions(ctx.control, n.id):
        typer.echo(f"# version {v['version']}: {v['changed_at']:%Y-%m-%d %H:%M} by {v['changed_by']}")


STATS_DEFAULT = ("notification", "org", "enabled", "matched", "queued", "delivered", "failed", "pending",
                 "last_fired")


@app.command("stats")
def stats(
    org: OrgOption = None,
    wide: Annotated[bool, typer.Option("--wide", help="Every column (version, blocked, last 24 h and 7 days, "
                                                      "direct messages skipped).")] = False,
) -> None:
    """Per notification: matched, queued, delivered, failed, pending, last fired (--wide: also version, blocked,
    last 24 h and 7 days, direct messages skipped as unmapped or not a Sales member)."""
    from rich.console import Console

    from saleshome.listing import Column, listing
    from saleshome.notify.stats import STATS_COLUMNS, notification_stats

    ctx = ready(read_only=True)
    rows = notification_stats(ctx.control, ctx.workspace, org)
    console = Console()
    if not rows:
        typer.echo("No notification yet.")
        _subscription_table(ctx.control, ctx.workspace, org, console)
        return
    names = STATS_COLUMNS if wide else STATS_DEFAULT
    columns = [Column(c.replace("_", " "), justify="left" if c in ("notification", "org", "template", "enabled",
                                                                   "last_fired") else "right") for c in names]
    console.print(listing("Notifications: what they did", columns, [[row[c] for c in names] for row in rows],
                          width=console.width))
    _subscription_table(ctx.control, ctx.workspace, org, console)


def _subscription_table(control: Any, workspace: str, org: str | None, console: Any) -> None:
    """Members' subscriptions per template (after the notifications' table)."""
    from saleshome.listing import Column, listing
    from saleshome.notify.stats import SUBSCRIPTION_COLUMNS, subscription_stats

    rows = subscription_stats(control, workspace, org)
    if not rows:
        console.print("No template is allowed for members yet; a sales admin allows one with "
                      "`saleshome notifications member-templates allow` (see its --help).")
        return
    columns = [Column(c.replace("_", " "), justify="left" if c in ("org", "template", "allowed", "last_fired")
                      else "right") for c in SUBSCRIPTION_COLUMNS]
    console.print(listing("Members' subscriptions per template", columns,
                          [["yes" if c == "allowed" and row[c] else "no" if c == "allowed" else row[c]
                            for c in SUBSCRIPTION_COLUMNS] for row in rows], width=console.width))


members_app = typer.Typer(help="Templates members may subscribe to from their Sales tab (per org): allow, forbid, "
                               "list.", no_args_is_help=True)
app.add_typer(members_app, name="member-templates")
TemplateArgument = Annotated[str, typer.Argument(metavar="TEMPLATE", help="A template (`saleshome notifications "
                                                                          "templates`), e.g. stage_changed.")]
OrgRequired = Annotated[str, typer.Option("--org", help="The org whose members it concerns.")]


def _allow(template: str, org: str, actor: str | None, allowed: bool) -> None:
    from saleshome.settings.subscriptions import set_member_template

    ctx = ready()
    changed = set_member_template(ctx.control, ctx.directory, acting_user(ctx, actor), org, template, allowed)
    state = "allowed for members" if allowed else "not allowed for members"
    typer.echo(f"{template} is now {state} in {org} (recorded in the audit log)." if changed
               else f"{template} already was {state} in {org}.")


@members_app.command("allow")
def allow(template: TemplateArgument, org: OrgRequired, actor: ActorOption = None) -> None:
    """Let members of ORG subscribe to TEMPLATE from their Sales tab (sales admins only; audited)."""
    _allow(template, org, actor, True)


@members_app.command("forbid")
def forbid(template: TemplateArgument, org: OrgRequired, actor: ActorOption = None) -> None:
    """Stop members of ORG subscribing to TEMPLATE; their subscriptions to it are kept but no longer evaluated."""
    _allow(template, org, actor, False)


@members_app.command("list")
def list_member_templates(org: OrgOption = None) -> None:
    """Per org and template: allowed for members or not, the setting's version, who changed it last and when."""
    from rich.console import Console

    from saleshome.listing import Column, listing
    from saleshome.settings.subscriptions import member_template_settings

    ctx = ready(read_only=True)
    rows = member_template_settings(ctx.control, org)
    if not rows:
        typer.echo("No org connected yet.")
        return
    names = ("org", "template", "label", "allowed", "version", "updated_by", "updated_at")
    columns = [Column(c.replace("_", " "), justify="right" if c == "version" else "left") for c in names]
    console = Console()
    console.print(listing("Templates members may subscribe to", columns,
                          [[("yes" if r[c] else "no") if c == "allowed" else r[c] for c in names] for r in rows],
                          width=console.width))
