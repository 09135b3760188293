"""The demo's edit from Slack and member subscription (issue 20), after the Sales tab (:mod:`.demo_app`).

1. :func:`show_edit`: the connected rep opens one of their deals from their Sales tab (its "Open" button: the
   record screen), clicks **Edit** (the loading modal, then the form the app fills as the member), changes the
   Stage one step forward and the Amount over the ``big-deals`` threshold of ``examples/sales-home.yaml``, and
   submits — every click and the submission are the Slack sandbox's signed interaction payloads
   (``Interactions``), as in the rest of the demo.  The demo prints the modal's outcome (old → new, as the app
   wrote it), the record read back from Salesforce through the REST API as the integration user, the messages
   the change produced (the app's targeted read → evaluation → publishing, not a sync) and the edit's audit
   line (``saleshome settings audit --edits``).
2. :func:`show_subscription`: the sales admin allows the ``stage_changed`` template for members (``saleshome
   notifications member-templates allow``); the rep opens **My notifications**, **New notification**, picks
   "Stage changed" and saves the defaults (records they own, a DM at once); another of their deals moves back a
   stage in Salesforce (the REST API, as the integration user: the admins' ``stage-moves`` only tells forward
   moves, so the DM is the subscription's); the next incremental sync evaluates and the outbox is published;
   the demo prints the DM, in the rep's language, and checks that the edit's messages were not sent again.

Every wait is bounded (:data:`saleshome.cli.demo_app.WAIT_SECONDS`); whatever does not happen as shown is a
:class:`~saleshome.cli.demo_app.DemoAppError` naming it.  The deals are chosen from the warehouse, in the order
of the rep's list: the same seed, the same deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from saleshome.cli.demo_app import (
    OPEN_RECORD,
    DemoAppError,
    Login,
    plain_blocks,
    plain_text,
    sandbox_session,
    wait_for,
)

if TYPE_CHECKING:
    from rich.console import Console

    from saleshome.config import Settings
    from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
    from saleshome.sandbox.slack.server import SlackSandbox
    from saleshome.settings.context import SettingsContext
    from saleshome.warehouse.control import ControlDB

__all__ = ["Edited", "show_edit", "show_subscription"]

BIG_DEAL = 100_000  # the big-deals threshold of examples/sales-home.yaml (Amount goes over it: #sales is told)
NEW_AMOUNT = 120_000
TEMPLATE = "stage_changed"
SALES_TAB, RECORD_ACTIONS = "sales_home", "sales_home_record_actions"
EDIT_FORM, EDIT_RESULT = "edit_record", "edit_record_result"
LISTING, SUBS_FORM = "sales_home_subscriptions", "sales_home_subscription"


@dataclass(frozen=True)
class Edited:
    """The deal the rep edited and the messages its change produced (outbox keys)."""

    record_id: str
    name: str
    stage: str
    keys: frozenset[str]
    before: frozenset[str]  # the messages about it before the edit (the simulated day's)


# ------------------------------------------------------------------------------------------------ the client's side
def _home(slack: SlackSandbox, user: str) -> dict[str, Any]:
    home, _ = slack.surface(user)
    if home is None:
        raise DemoAppError(f"{user} has no Home tab")
    return home


def _modal(slack: SlackSandbox, user: str) -> dict[str, Any] | None:
    return slack.surface(user)[1]


def _element(view: dict[str, Any], action_id: str, value: str | None = None) -> tuple[str, dict[str, Any]]:
    """(block id, element) of the element ``action_id`` (whose value is ``value``, when given) of ``view``."""
    for block in view.get("blocks") or []:
        for element in [*(block.get("elements") or []), *(block[k] for k in ("accessory", "element") if k in block)]:
            if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                return str(block["block_id"]), element
    raise DemoAppError(f"no {action_id} element in the {view.get('callback_id')} view")


def _click(slack: SlackSandbox, user: str, view: dict[str, Any], action_id: str, value: str | None = None,
           **state: Any) -> None:
    block_id, element = _element(view, action_id, value)
    outcome = slack.interactions.block_action(user, action={"action_id": action_id, "type": element.get("type"),
                                                            **state}, block_id=block_id, view_id=view["id"])
    if not outcome.ok:
        raise DemoAppError(f"the app did not take {action_id} from {user}: {outcome.error} (HTTP {outcome.status})")


def _next_home(slack: SlackSandbox, user: str, callback_id: str, after: str, having: str | None = None
               ) -> dict[str, Any]:
    """The member's Home tab once the app published a new one (not of hash ``after``), with block ``having``."""
    found = wait_for(lambda: (v := _home(slack, user))["callback_id"] == callback_id and v["hash"] != after
                  and (having is None or any(b.get("block_id") == having for b in v["blocks"])) and v,
                  f"the {having or callback_id} Home view of {user}")
    return dict(found)


def _next_modal(slack: SlackSandbox, user: str, callback_id: str, after: str | None, having: str | None = None
                ) -> dict[str, Any]:
    found = wait_for(lambda: (v := _modal(slack, user)) is not None and v["callback_id"] == callback_id
                  and v["hash"] != after and (having is None or any(b.get("block_id") == having for b in v["blocks"]))
                  and v, f"the {callback_id} modal of {user}")
    return dict(found)


def _option(view: dict[str, Any], block_id: str, value: str) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return dict(next(o for o in block["element"]["options"] if o["value"] == value))


def _listed(view: dict[str, Any], slack: SlackSandbox, subscription_id: str) -> str:
    """How the My notifications screen describes one subscription, on one line."""
    for block in view.get("blocks") or []:
        if str(block.get("block_id", "")).startswith("subs_item_") and subscription_id[:8] in block["block_id"]:
            return " · ".join(plain_text(str(block["text"]["text"]), slack).splitlines())
    raise DemoAppError(f"the My notifications screen does not list subscription {subscription_id}")


def _section_texts(view: dict[str, Any], slack: SlackSandbox) -> list[str]:
    return [plain_text(str(b["text"]["text"]), slack) for b in view.get("blocks") or []
            if isinstance(b.get("text"), dict) and b.get("type") in ("section", "header")]


# ------------------------------------------------------------------------------------------------ Salesforce
def _rest(sf_info: SandboxInfo) -> Any:
    """simple-salesforce as the integration user (the org's client credentials, as ``_read_org`` logs in)."""
    from simple_salesforce import Salesforce


    session = sandbox_session(sf_info)
    token = session.post(sf_info.token_url, timeout=30, data={
        "grant_type": "client_credentials", "client_id": sf_info.client_id,
        "client_secret": sf_info.client_secret}).json()
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=session,
                      version=sf_info.api_version)


def _deal(sf: Any, record_id: str) -> dict[str, Any]:
    rows = sf.query("SELECT Id, Name, StageName, Amount, CurrencyIsoCode, LastModifiedDate, LastModifiedBy.Name "
                    f"FROM Opportunity WHERE Id = '{record_id}'")["records"]
    if not rows:
        raise DemoAppError(f"Salesforce has no opportunity {record_id}")
    return dict(rows[0])


def _open_deals(settings: Settings, alias: str, owner: str) -> list[dict[str, Any]]:
    """The member's open deals in the warehouse, by Id (what the demo picks from)."""
    import duckdb

    with duckdb.connect(str(settings.org_db(alias)), read_only=True) as db:
        cursor = db.execute('SELECT "Id", "Name", "StageName", "Amount" FROM sf."Opportunity" WHERE "OwnerId" = ? '
                            'AND NOT "IsClosed" ORDER BY "Id"', [owner])
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# ------------------------------------------------------------------------------------------------ messages
def _produced(control: ControlDB, alias: str, record_id: str, known: frozenset[str] = frozenset()
              ) -> list[dict[str, Any]]:
    """The messages the notifications queued about ``record_id`` (but the ``known`` ones): outbox key, state,
    where it went, and the notification (or subscription) that fired."""
    rows = control.rows(
        "SELECT e.key, e.notification_id, e.recipient, o.state, o.sent_channel, o.sent_ts FROM notification_events e "
        "JOIN outbox o ON o.key = e.key WHERE e.alias = ? AND e.record_id = ? AND e.delivery = 'immediate' "
        "ORDER BY e.key", [alias, record_id])
    return [dict(r) for r in rows if str(r["key"]) not in known]


def _names(control: ControlDB, alias: str, slack: SlackSandbox) -> dict[str, str]:
    """Notification ids → the admin's name for them (a member's subscription: "subscription of …")."""
    names = {str(r["id"]): str(r["name"]) for r in control.rows("SELECT id, name FROM notifications WHERE alias = ?",
                                                                 [alias])}
    for r in control.rows("SELECT id, slack_user_id FROM member_subscriptions WHERE alias = ?", [alias]):
        user = slack.world.users.get(str(r["slack_user_id"]))
        names[str(r["id"])] = f"{user.profile.real_name if user else r['slack_user_id']}'s own subscription"
    return names


def _where(slack: SlackSandbox, channel: str) -> str:
    conv = slack.world.conversations.get(channel)
    if conv is not None and conv.im_user:
        user = slack.world.users.get(conv.im_user)
        return f"DM to {user.profile.real_name if user else conv.im_user}"
    return f"#{conv.name}" if conv is not None and conv.name else channel


def _print_messages(console: Console, slack: SlackSandbox, control: ControlDB, alias: str,
                    rows: list[dict[str, Any]], *, brief: bool = False) -> None:
    """Each message sent, as its reader sees it (``brief``: a DM on one line, a channel's message in full)."""
    from rich.panel import Panel

    names = _names(control, alias, slack)
    for row in rows:
        record = next((m for m in slack.messages(row["sent_channel"]) if m.ts == row["sent_ts"]), None)
        if record is None:
            raise DemoAppError(f"the outbox says {row['key']} was sent, the Slack sandbox has no such message")
        where = _where(slack, str(row["sent_channel"]))
        title = f"{where} ({names.get(str(row['notification_id']), '?')})"
        lines = plain_blocks(record.blocks or [], slack)
        if brief and where.startswith("DM "):
            console.print(f"  and a {title}: " + " · ".join(lines[:2]), soft_wrap=True, highlight=False)
        else:
            console.print(Panel("\n".join(lines), title=title, expand=False))


# ------------------------------------------------------------------------------------------------ 1. the edit
def show_edit(console: Console, control: ControlDB, settings: Settings, slack: SlackSandbox, sf_info: SandboxInfo,
              alias: str, member: Login) -> Edited:
    """The rep edits Stage and Amount of a deal from their Sales tab; what it produced (module docstring)."""
    from rich.markup import escape

    from saleshome.settings.edit_audit import read_edits
    from saleshome.settings.render import edits_table

    user = member.slack_user_id
    tab = _home(slack, user)
    listed = [b["accessory"]["value"] for b in tab["blocks"] if (b.get("accessory") or {}).get("action_id")
              == OPEN_RECORD]
    deals = {d["Id"]: d for d in _open_deals(settings, alias, member.sf_user_id)}
    sf = _rest(sf_info)
    open_stages = _open_stages(sf)
    deal = next((deals[i] for i in listed if i in deals and (deals[i]["Amount"] or 0) < BIG_DEAL
                 and deals[i]["StageName"] in open_stages[:-1]), None)  # with an open stage after theirs
    if deal is None:
        raise DemoAppError(f"no open deal under {BIG_DEAL:,} before the last open stage in {member.name}'s Sales tab "
                           "list")
    console.print(f"\n[bold]An edit from Slack[/]: {escape(member.name)} clicks Open on [bold]{escape(deal['Name'])}"
                  "[/] in their Sales tab, then Edit.", soft_wrap=True, highlight=False)
    _click(slack, user, tab, OPEN_RECORD, deal["Id"])
    record = _next_home(slack, user, SALES_TAB, tab["hash"], RECORD_ACTIONS)
    before = _modal(slack, user)
    _click(slack, user, record, "edit_record")
    form = _next_modal(slack, user, EDIT_FORM, before["hash"] if before else None)
    stages = [o["value"] for o in next(b for b in form["blocks"] if b.get("block_id") == "StageName")["element"]
              .get("options", [])]
    stage = open_stages[open_stages.index(deal["StageName"]) + 1]  # one step forward
    if stage not in stages:
        raise DemoAppError(f"the edit form of {deal['Name']} does not offer the stage {stage!r}")
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b.get("type") == "input"}
    if "Amount" not in inputs:
        raise DemoAppError(f"the edit form of {deal['Name']} offers no Amount")
    labels = [str(b["label"]["text"]) for b in form["blocks"] if b.get("type") == "input"]
    console.print(f"  The form the app filled as {escape(member.name)} (their field-level security): "
                  f"{escape(', '.join(labels))}. They choose Stage “{escape(stage)}” and Amount {NEW_AMOUNT:,}, "
                  "and submit.", soft_wrap=True, highlight=False)
    known = frozenset(str(r["key"]) for r in _produced(control, alias, deal["Id"]))  # the day's, before the edit
    outcome = slack.interactions.submit(user, view_id=form["id"], values={
        "StageName": {str(inputs["StageName"]["action_id"]): {"selected_option": _option(form, "StageName", stage)}},
        "Amount": {str(inputs["Amount"]["action_id"]): {"value": str(NEW_AMOUNT)}}})
    if not outcome.ok or outcome.errors:
        raise DemoAppError(f"the edit form was refused: {outcome.error or outcome.errors}")
    result = wait_for(lambda: (v := _modal(slack, user)) is not None and v["id"] == form["id"]
                   and v["callback_id"] in (EDIT_RESULT, EDIT_FORM) and v["hash"] != form["hash"] and v,
                   "the edit's outcome in the modal")
    if result["callback_id"] != EDIT_RESULT:
        raise DemoAppError("Salesforce did not save the edit: " + " ".join(_section_texts(result, slack)))
    console.print("  The modal: " + escape(" ".join(_section_texts(result, slack))), soft_wrap=True,
                  highlight=False)

    now = _deal(sf, deal["Id"])
    from saleshome.i18n import Formatter

    amount = Formatter().money(now["Amount"], now["CurrencyIsoCode"])
    by = (now.get("LastModifiedBy") or {}).get("Name")
    console.print(f"  Salesforce now (read back through the REST API): Stage [bold]{escape(str(now['StageName']))}"
                  f"[/], Amount [bold]{amount}[/], last modified by {escape(str(by))}.",
                  soft_wrap=True, highlight=False)
    if now["StageName"] != stage or float(now["Amount"]) != NEW_AMOUNT:
        raise DemoAppError(f"Salesforce holds {now['StageName']!r}, {now['Amount']} after the save")

    rows = wait_for(lambda: (r := _produced(control, alias, deal["Id"], known)) and all(
        x["state"] == "sent" for x in r) and r, "the messages of the change (the app's refresh, then publishing)")
    console.print(f"  The app read the record into the warehouse at once (a targeted read, no sync) and the "
                  f"notifications it triggered were published: {len(rows)} message(s), once each:",
                  soft_wrap=True, highlight=False)
    _print_messages(console, slack, control, alias, sorted(rows, key=lambda r: _where(slack, r["sent_channel"])
                                                           .startswith("DM ")), brief=True)
    edits = read_edits(control, alias=alias, record_id=deal["Id"])
    console.print("  [bold]saleshome settings audit --edits[/]:")
    console.print(edits_table(edits, width=console.width))
    return Edited(deal["Id"], str(deal["Name"]), stage, frozenset(str(r["key"]) for r in rows), known)


# ------------------------------------------------------------------------------------------------ 2. subscription
def show_subscription(console: Console, ctx: SettingsContext, admin: str, slack: SlackSandbox,
                      salesforce: SalesforceSandbox, alias: str, member: Login, edited: Edited) -> None:
    """The admin allows ``stage_changed`` for members, the rep subscribes from the Sales tab, a deal of theirs moves
    back a stage, the next sync: the DM (module docstring)."""
    from rich.markup import escape

    from saleshome.app.subscriptions.form import Block
    from saleshome.app.subscriptions.listing import SubsAction
    from saleshome.operations import deliver
    from saleshome.pipeline import after_sync
    from saleshome.settings.subscriptions import set_member_template, subscriptions_of
    from saleshome.sync.engine import sync_org

    control, settings, user = ctx.control, ctx.settings, member.slack_user_id
    assert salesforce.info is not None and salesforce.store is not None
    set_member_template(control, ctx.directory, admin, alias, TEMPLATE, True)
    console.print(f"\n[bold]A notification a member sets up[/]: [bold]saleshome notifications member-templates allow "
                  f"{TEMPLATE} --org {alias} --as {admin}[/]: members may subscribe to “Stage changed”.",
                  soft_wrap=True, highlight=False)
    home = _home(slack, user)
    _click(slack, user, home, SubsAction.OPEN.value)
    listing = _next_home(slack, user, LISTING, home["hash"])
    _click(slack, user, listing, SubsAction.NEW.value)
    start = _next_modal(slack, user, SUBS_FORM, None, Block.TEMPLATE)
    _click(slack, user, start, Block.TEMPLATE, selected_option=_option(start, Block.TEMPLATE, TEMPLATE))
    form = _next_modal(slack, user, SUBS_FORM, start["hash"], Block.SCOPE)
    chosen = {b["block_id"]: b["element"].get("initial_option", {}).get("text", {}).get("text")
              for b in form["blocks"] if b.get("type") == "input"}
    before = _home(slack, user)["hash"]
    outcome = slack.interactions.submit(user, view_id=form["id"], values={})
    if not outcome.ok or not outcome.closed:
        raise DemoAppError(f"the notification form was not saved: {outcome.error or outcome.errors}")
    subs = subscriptions_of(control, alias, user)
    if len(subs) != 1:
        raise DemoAppError(f"{member.name} has {len(subs)} subscription(s) after saving one")
    shown = _next_home(slack, user, LISTING, before)
    console.print(f"  {escape(member.name)} opens My notifications, New notification, picks “"
                  f"{escape(str(chosen.get(Block.TEMPLATE)))}” for “{escape(str(chosen.get(Block.SCOPE)))}”, "
                  f"“{escape(str(chosen.get(Block.DELIVERY)))}”, and saves; the screen lists: "
                  f"“{escape(_listed(shown, slack, subs[0].id))}”.", soft_wrap=True, highlight=False)

    sf = _rest(salesforce.info)
    stages = _open_stages(sf)
    deal = next((d for d in _open_deals(settings, alias, member.sf_user_id) if d["Id"] != edited.record_id
                 and d["StageName"] in stages[1:]), None)
    if deal is None:
        raise DemoAppError(f"no other open deal of {member.name} that can move back a stage")
    back = stages[stages.index(deal["StageName"]) - 1]
    sf.Opportunity.update(deal["Id"], {"StageName": back})
    salesforce.store.clock.advance(settings.safety_lag_seconds + 1)
    console.print(f"  In Salesforce, [bold]{escape(str(deal['Name']))}[/] (theirs) moves back from "
                  f"{escape(str(deal['StageName']))} to {escape(back)} (the admins' stage-moves tells forward moves "
                  "only). The next [bold]incremental sync[/] evaluates it:", soft_wrap=True, highlight=False)
    result = sync_org(control, settings, alias)
    if result.status != "completed":
        raise DemoAppError(f"the incremental sync of {alias} ended {result.status}: {result.error}")
    changed = ", ".join(f"{o.object} {o.inserted + o.updated + o.deleted}" for o in result.objects
                        if o.inserted + o.updated + o.deleted)
    console.print(f"  {escape(alias)}: incremental sync {result.status} ({result.api_calls} API calls; records "
                  f"changed: {escape(changed or 'none')}); then, as `saleshome sync` does:", highlight=False)
    for line in after_sync(control, settings, result).lines():
        if "notifications:" in line:
            console.print("  " + escape(line), soft_wrap=True, highlight=False)
    deliver(control, settings)
    rows = [r for r in _produced(control, alias, deal["Id"]) if r["notification_id"] == subs[0].id]
    if len(rows) != 1 or rows[0]["state"] != "sent":
        raise DemoAppError(f"expected one DM of {member.name}'s subscription, found {rows}")
    locale = control.rows("SELECT locale FROM user_map WHERE alias = ? AND slack_user_id = ?", [alias, user])
    console.print(f"  The DM {escape(member.name)} received, in their language "
                  f"({escape(str(locale[0]['locale'] if locale else '?'))}):", soft_wrap=True, highlight=False)
    _print_messages(console, slack, control, alias, rows)
    again = {str(r["key"]) for r in _produced(control, alias, edited.record_id, edited.before)}
    sent = [m for m in slack.messages() if (m.metadata or {}).get("event_payload", {}).get("key") in edited.keys]
    if again != edited.keys or len(sent) != len(edited.keys):
        raise DemoAppError(f"the edit of {edited.name} was notified again by the sync: {sorted(again)}")
    console.print(f"  The sync read the edit of {escape(edited.name)} too: its {len(edited.keys)} message(s) were "
                  "not sent again.", soft_wrap=True, highlight=False)


def _open_stages(sf: Any) -> list[str]:
    """The org's open opportunity stages in their sales-process order (``OpportunityStage``, through the REST API)."""
    rows = sf.query("SELECT ApiName, IsClosed, SortOrder FROM OpportunityStage ORDER BY SortOrder")["records"]
    return [str(r["ApiName"]) for r in rows if not r["IsClosed"]]
