"""``saleshome demo`` (what ``make demo`` shows): the demo's wiring, everything on 127.0.0.1.

1. Start the Salesforce sandbox (HTTPS) with a seeded org, and the Slack sandbox beside it.
2. Read the org through simple-salesforce: records per object, list views, a Bulk API 2.0 job.
3. The Slack primary owner declares the plan and makes the Salesforce administrator sales
   admin, who connects the org to Sales Home (`org add`: credentials from the environment,
   the connection verified) and applies ``examples/sales-home.yaml`` (lists, layouts,
   restrictions, celebrations, five notifications); the settings summary is printed.  Run the
   initial sync with progress (silent), then a working day of simulated activity in three
   bursts (ties and late commits included), each followed by an incremental sync with its
   per-object summary and what the change log caught.  Each sync is followed, as in ``saleshome sync``, by the user map
   (Salesforce users → Slack users by email), the notifications' evaluation and the
   celebrations of won deals, one line each.
4. Publish the outbox (notifications, celebration messages, a welcome message), set the
   celebration banners with the admin token, store the celebration messages' permalinks; run
   the hourly digest step as of the first hour when a recipient's local digest hour has come;
   print the notification stats, the celebrations (owner, deal, permalink, the owner's profile
   page in the viewer showing the banner), a summary table, the Slack sandbox viewer's URL and
   the path of a static HTML copy of the viewer; the messages posted are kept as JSON too
   (``.demo/slack-messages.json``).
5. After the summary table, start the Slack app beside the sandboxes and show a
   member's Sales tab end to end (``demo_app.py``: a rep connects Salesforce and sees their records, a member
   without the permission set gets the access screen); the rep edits a deal's Stage and Amount from Slack
   and subscribes to "stage changed on my deals", which DMs them at the next sync (``demo_edit.py``: what
   each produced is printed); with ``--keep-running``, say how to open a member's Sales tab in the viewer's
   Slack client, and to try Edit and My notifications there.

Besides the CLI's sandbox commands, this is the only module that starts the sandboxes; they, the
pipeline, duckdb, requests and rich are imported inside the functions, so that ``saleshome --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from saleshome.config import Settings
    from saleshome.sandbox.salesforce.server import SandboxInfo
    from saleshome.sandbox.slack.server import SlackSandbox
    from saleshome.settings.context import SettingsContext
    from saleshome.settings.orgs import Org
    from saleshome.warehouse.control import ControlDB

DEMO_OPPORTUNITIES = 5000
DEMO_HOME = Path(".demo")
ALIAS = "demo-org"
CELEBRATIONS_SHOWN = 5
# A working day of activity in the org, each burst followed by an incremental run (as the 10-minute schedule does).
WORKING_DAY = (("Morning", 150), ("Midday", 150), ("Afternoon", 150))
EXAMPLE_SETTINGS = Path(__file__).resolve().parents[2] / "examples" / "sales-home.yaml"

app = typer.Typer()


@app.command()
def demo(
    keep_running: Annotated[bool, typer.Option(
        help="Keep the sandboxes, the Slack viewer and the Slack app up until Ctrl-C (and say how to open a "
             "member's Sales tab in the viewer).")] = False,
) -> None:
    """Run the pipeline end to end against the local Salesforce and Slack sandboxes, printing what it does."""
    run_demo(keep_running=keep_running)


def _read_org(console: Console, info: dict[str, str]) -> None:
    import requests
    from rich.table import Table
    from simple_salesforce import Salesforce

    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify (requests #3829)
    session.verify = info["ca_file"]
    token = session.post(info["token_url"], timeout=30, data={
        "grant_type": "client_credentials", "client_id": info["client_id"], "client_secret": info["client_secret"],
    }).json()
    sf = Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=session,
                    version=info["api_version"])
    org = sf.query("SELECT Name, OrganizationType FROM Organization")["records"][0]
    counts = Table(title=f"{org['Name']} ({org['OrganizationType']}): records, read through simple-salesforce")
    counts.add_column("Object")
    counts.add_column("Records", justify="right")
    for obj in ("User", "Account", "Contact", "Lead", "Case", "Opportunity", "OpportunityHistory"):
        counts.add_row(obj, f"{sf.query(f'SELECT COUNT() FROM {obj}')['totalSize']:,}")
    console.print(counts)
    views = (sf.restful("sobjects/Opportunity/listviews") or {}).get("listviews", [])
    console.print("Opportunity list views: " + ", ".join(v["label"] for v in views))


def _change_log(console: Console, db_path: Path, run_id: str) -> None:
    import duckdb
    from rich.table import Table

    with duckdb.connect(str(db_path), read_only=True) as db:
        rows = db.execute(
            "SELECT object, operation, count(DISTINCT record_id) FROM change_log WHERE run_id = ? "
            "GROUP BY ALL ORDER BY 1, 2", [run_id]).fetchall()
        stages = db.execute(
            "SELECT new_value, count(*) FROM change_log WHERE run_id = ? AND object = 'Opportunity' "
            "AND field = 'StageName' GROUP BY 1 ORDER BY 2 DESC LIMIT 5", [run_id]).fetchall()
    table = Table(title="Change log of the incremental run (what notifications will read)")
    for col in ("Object", "Operation", "Records"):
        table.add_column(col)
    for obj, op, n in rows:
        table.add_row(obj, op, str(n))
    console.print(table)
    if stages:
        console.print("Opportunities moved to: " + ", ".join(f"{stage} ({n})" for stage, n in stages))


def _make_sales_admin(console: Console, ctx: SettingsContext, slack: SlackSandbox) -> str:
    """The primary owner declares the plan and makes the Salesforce administrator sales admin (returned)."""
    from saleshome.settings.roles import grant_sales_admin
    from saleshome.settings.workspace import Plan, set_plan

    owner = slack.world.primary_owner_id
    admin = next(u for u in slack.world.users.values() if u.person is not None and u.person.level == "admin")
    found = set_plan(ctx.control, ctx.directory, ctx.workspace, actor=owner, plan=Plan.ENTERPRISE_PLUS)
    grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=owner, user=admin.id)
    console.print(f"\n[bold]saleshome workspace set-plan enterprise_plus --as {owner}[/] (the primary owner): "
                  f"{found.plan_label}, Sales Home available; [bold]saleshome roles grant {admin.id} --as {owner}[/]: "
                  f"{admin.profile.real_name} is sales admin.")
    return admin.id


def _connect_org(console: Console, ctx: SettingsContext, admin: str, sf_info: SandboxInfo) -> Org:
    """The sales admin connects the org (credentials from the environment, never in the database)."""
    from saleshome.salesforce.credentials import AuthMethod, env_prefix_for
    from saleshome.settings.orgs import add_org_as

    prefix = env_prefix_for(ALIAS)
    os.environ[f"{prefix}_CLIENT_ID"] = sf_info.client_id
    os.environ[f"{prefix}_CLIENT_SECRET"] = sf_info.client_secret
    org = add_org_as(ctx.control, ctx.settings, ctx.directory, ALIAS, actor=admin, login_url=sf_info.instance_url,
                     auth_method=AuthMethod.CLIENT_CREDENTIALS, credential_ref=f"env:{prefix}",
                     ca_file=sf_info.ca_file)
    console.print(f"[bold]saleshome org add {ALIAS} --as {admin}[/]: verified {org.org_name} ({org.org_id}); "
                  f"credentials stay in the environment ({prefix}_*), never in the database.")
    return org


def _apply_settings(console: Console, ctx: SettingsContext, admin: str) -> None:
    """The example settings file, applied by the sales admin; then the settings summary."""
    from saleshome.settings.apply import import_yaml
    from saleshome.settings.summary import print_summary

    text = EXAMPLE_SETTINGS.read_text(encoding="utf-8").replace("  demo-org:", f"  {ALIAS}:")
    changes = import_yaml(ctx, admin, text)
    console.print(f"[bold]saleshome settings import {EXAMPLE_SETTINGS.name} --as {admin}[/]: "
                  f"{len(changes.changes)} section(s) set, audited: " + ", ".join(c.target for c in changes.changes))
    print_summary(ctx, console)


def _welcome(control: ControlDB, org: Org, slack: SlackSandbox, team_id: str) -> None:
    """A first message in #sales, through the outbox like everything else."""
    from saleshome.slack.text import escape
    from saleshome.warehouse.outbox import OutboxMessage, enqueue, idempotency_key

    name = escape(org.org_name or org.alias)
    with control.transaction() as db:
        enqueue(db, [OutboxMessage(
            key=idempotency_key("demo-welcome", org.org_id), kind="notification", channel=slack.channel_id("sales"),
            team_id=team_id, text=f"Sales Home is connected to {name}",
            blocks=[
                {"type": "header", "text": {"type": "plain_text", "text": "Sales Home is connected"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": (
                    f"*{name}* is synced: notifications and deal celebrations will show up here.")}},
            ],
        )])


def _publish_and_share(console: Console, control: ControlDB, settings: Settings) -> None:
    """Publish the outbox, set the celebration banners, keep the celebration messages' permalinks
    (what ``saleshome outbox publish`` does)."""
    from saleshome.celebrate import BannerStats
    from saleshome.operations import deliver

    delivery = deliver(control, settings)
    stats, banners, links = delivery.published, delivery.banners or BannerStats(), delivery.permalinks
    console.print(f"\n[bold]Published[/] through the outbox: {stats.sent} message(s) sent, {stats.dead} dead-lettered, "
                  f"{stats.blocked} blocked by the restrictions.")
    console.print(f"Celebration banners: {banners.set} set on members' profiles (admin token), {banners.skipped} "
                  f"skipped (a status of their own, or too late); {links.stored} permalink(s) stored for sharing.")


def _digest_moment(control: ControlDB, now: datetime) -> datetime:
    """The first hour from ``now`` at which some waiting digest recipient's local hour has come."""
    from saleshome.notify.digest import due_period

    waiting = control.rows("SELECT DISTINCT schedule, tz FROM digest_items WHERE digest_key IS NULL")
    start = now.replace(minute=0, second=0, microsecond=0)
    for hours in range(25):
        moment = max(now, start + timedelta(hours=hours))
        if any(due_period(w["schedule"], w["tz"], moment) for w in waiting):
            return moment
    return now


def _digests(console: Console, control: ControlDB, settings: Settings) -> None:
    """The hourly digest run (``saleshome digest``), as of the first hour when a recipient's local digest hour
    has come; publish."""
    from saleshome.operations import run_digest

    now = datetime.now(UTC)
    moment = _digest_moment(control, now)
    run = run_digest(control, settings, moment)
    summary, stats = run.digests, run.published
    when = "now" if moment == now else f"as of {moment:%Y-%m-%d %H:%M} UTC (the next hour when a recipient's local 9:00 has come)"
    console.print(f"[bold]Digest run[/] {when}: {summary.sent} digest(s) carrying {summary.items} item(s) "
                  f"queued and {stats.sent} sent; {summary.waiting} recipient(s) still waiting for their hour.")


def _notification_stats(console: Console, control: ControlDB, settings: Settings) -> None:
    """``saleshome notifications stats`` for the demo org."""
    from rich.table import Table

    from saleshome.notify.stats import notification_stats

    rows = notification_stats(control, settings.workspace, ALIAS)
    table = Table(title="Notifications (saleshome notifications stats)")
    columns = ("notification", "template", "matched", "queued", "delivered", "failed", "blocked", "pending",
               "last_24h")
    for column in columns:
        table.add_column(column, justify="left" if column in ("notification", "template") else "right")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)


def _celebrations(console: Console, control: ControlDB, settings: Settings, slack: SlackSandbox,
                  viewer_url: str) -> None:
    """The celebrations: owner, opportunity, permalink, and the owner's profile page showing the banner."""
    import duckdb
    from rich.markup import escape

    from saleshome.celebrate import recent_celebrations
    from saleshome.i18n import Formatter

    found = recent_celebrations(control, alias=ALIAS)
    with duckdb.connect(str(settings.org_db(ALIAS)), read_only=True) as db:
        names = dict(db.execute('SELECT "Id", "Name" FROM sf."Opportunity" WHERE "Id" IN (SELECT unnest(?))',
                                [[c["opportunity_id"] for c in found]]).fetchall()) if found else {}
    console.print(f"\n[bold]Celebrations[/] ({len(found)}): the message in #deals-won (its permalink, to share it), "
                  "the banner on the owner's Slack profile (the viewer's profile page):")
    for c in found[:CELEBRATIONS_SHOWN]:
        user = slack.world.users.get(c["slack_user_id"]) if c["slack_user_id"] else None
        amount = Formatter().money(c["amount"], c["currency"])
        banner = f"banner {c['banner_state']}" + (f" ({c['banner_reason']})" if c["banner_reason"] else "")
        console.print(f"  {c['status_emoji'] or ''} [bold]{escape(user.profile.real_name if user else '(no Slack account)')}"
                      f"[/] won [bold]{escape(str(names.get(c['opportunity_id'], c['opportunity_id'])))}[/] "
                      f"({amount}), {banner}", soft_wrap=True)
        for link in c["permalinks"] or []:
            console.print(f"      message: {link}", soft_wrap=True, highlight=False)
        if user:
            console.print(f"      profile: {viewer_url}users/{user.id}", soft_wrap=True, highlight=False)
    if len(found) > CELEBRATIONS_SHOWN:
        console.print(f"  ... and {len(found) - CELEBRATIONS_SHOWN} more (saleshome.celebrate.recent_celebrations).")


def _as_members_see_them(console: Console, control: ControlDB, slack: SlackSandbox) -> None:
    """One direct message as a French-speaking member reads it and one as an English-speaking member does."""
    from rich.panel import Panel

    from saleshome.cli.demo_app import plain_blocks

    sent = control.rows(
        "SELECT o.sent_channel AS channel, o.sent_ts AS ts, o.channel AS member, m.locale FROM outbox o "
        "JOIN user_map m ON m.slack_user_id = o.channel WHERE o.kind = 'notification' AND o.state = 'sent' "
        "AND m.locale IS NOT NULL ORDER BY o.seq")
    for language, title in (("fr", "in French"), ("en", "in English")):
        found = next((r for r in sent if str(r["locale"]).startswith(language)), None)
        if found is None:
            continue
        record = next((m for m in slack.messages(found["channel"]) if m.ts == found["ts"]), None)
        if record is None:
            continue
        member = slack.world.users[found["member"]]
        lines = plain_blocks(record.blocks or [], slack)
        console.print(Panel("\n".join(lines), title=f"A message {title}, as {member.profile.real_name} ({found['locale']}) "
                                                     "reads it in Slack", expand=False))


def _write_message_log(slack: SlackSandbox, path: Path) -> None:
    """Every message the app posted, as the Slack sandbox's log holds it (what members read, as JSON)."""
    posted = [m.to_dict() for m in slack.messages() if m.source == "api" and not m.deleted]
    path.write_text(json.dumps(posted, ensure_ascii=False, indent=1, default=str))


def _summary(console: Console, control: ControlDB) -> None:
    """One table of what the demo did, read back from the control database."""
    from rich.table import Table

    runs = control.rows("SELECT kind, count(*) AS n, sum(api_calls) AS calls FROM sync_runs "
                        "WHERE status = 'completed' GROUP BY kind ORDER BY min(started_at)")
    sent = {r["kind"]: r for r in control.rows(
        "SELECT kind, count(*) FILTER (WHERE state = 'sent') AS sent, count(*) AS queued, "
        "count(*) FILTER (WHERE state IN ('dead', 'blocked')) AS failed FROM outbox GROUP BY kind")}
    celebrated = control.rows("SELECT count(*) AS wins, count(*) FILTER (WHERE banner_state = 'set') AS banners "
                              "FROM celebrations")[0]
    table = Table(title="What the demo did")
    for column in ("step", "count", "detail"):
        table.add_column(column)
    for r in runs:
        table.add_row(f"{r['kind']} sync runs", str(r["n"]), f"{r['calls'] or 0} Salesforce API calls")
    for kind, label in (("notification", "notifications"), ("digest", "digests"), ("celebration", "celebration messages"),
                        ("banner", "profile banners")):
        if kind in sent:
            row = sent[kind]
            table.add_row(label, str(row["sent"]),
                          f"{row['queued']} queued, {row['sent']} delivered, {row['failed']} dead-lettered or blocked")
    table.add_row("won deals celebrated", str(celebrated["wins"]), f"{celebrated['banners']} banners set")
    console.print(table)


def run_demo(opportunities: int = DEMO_OPPORTUNITIES, *, keep_running: bool = False) -> None:
    """Run the demo end to end and print what it shows."""
    import requests
    from rich.console import Console

    from saleshome.cli.demo_app import DemoApp, print_try_it, show_sales_tab, start_app
    from saleshome.cli.demo_edit import show_edit, show_subscription
    from saleshome.cli.sync import sync_with_progress
    from saleshome.sandbox.extra import require_sandbox_extra
    from saleshome.warehouse.control import control_db

    require_sandbox_extra()  # before anything is removed or started
    from saleshome.config import load_settings
    from saleshome.sandbox.salesforce.server import SalesforceSandbox
    from saleshome.sandbox.slack.server import SlackSandbox
    from saleshome.settings.context import SettingsContext

    console = Console(width=max(150, shutil.get_terminal_size().columns))
    started = time.perf_counter()
    shutil.rmtree(DEMO_HOME, ignore_errors=True)
    salesforce = SalesforceSandbox(seed=42, opportunities=opportunities)
    slack = SlackSandbox(seed=42, opportunities=opportunities, time_scale=20)
    with console.status(f"Starting the sandboxes (an org with {opportunities:,} opportunities)..."):
        sf_info = salesforce.start()
        slack_info = slack.start()
    running: DemoApp | None = None
    try:
        console.print(f"[bold]Salesforce sandbox[/] {sf_info.instance_url} (org {sf_info.org_id}, API "
                      f"v{sf_info.api_version}); [bold]Slack sandbox[/] {slack_info.api_url}")
        _read_org(console, vars(sf_info))

        settings = load_settings(home=DEMO_HOME, bulk_threshold=2000, slack_api_url=slack_info.api_url,
                                 slack_bot_token=slack_info.bot_token, slack_admin_token=slack_info.admin_token,
                                 slack_posts_per_second=20)
        control = control_db(settings)  # the demo's one handle on the control store
        ctx = SettingsContext(control, settings)
        admin = _make_sales_admin(console, ctx, slack)
        org = _connect_org(console, ctx, admin, sf_info)
        _apply_settings(console, ctx, admin)
        console.print("\n[bold]Initial sync[/] (silent: no notification for what existed before):")
        sync_with_progress(control, settings, ALIAS, console=console)

        assert salesforce.store is not None
        session = requests.Session()
        session.trust_env = False
        for moment, changes in WORKING_DAY:
            report = session.post(f"{sf_info.instance_url}/_sandbox/simulate", verify=sf_info.ca_file, timeout=300,
                                  json={"changes": changes, "late_commits": True}).json()
            salesforce.store.clock.advance(settings.safety_lag_seconds + 1)
            console.print(f"\n[bold]{moment}[/]: {sum(report['counts'].values())} changes in the org, "
                          f"{report['same_millisecond']} in the same millisecond as the one before, "
                          f"{len(report['late_committed_ids'])} committed late (older SystemModstamp than what was "
                          "already visible). [bold]Incremental sync[/], then the user map, notifications and "
                          "celebrations (`saleshome sync` does the same):")
            sync_with_progress(control, settings, ALIAS, console=console)
            last = control.rows(
                "SELECT run_id FROM sync_runs WHERE alias = ? ORDER BY started_at DESC LIMIT 1", [ALIAS])[0]["run_id"]
            _change_log(console, settings.org_db(ALIAS), last)

        _welcome(control, org, slack, slack_info.teams[0]["id"])
        _publish_and_share(console, control, settings)
        _digests(console, control, settings)
        _notification_stats(console, control, settings)
        _as_members_see_them(console, control, slack)
        _celebrations(console, control, settings, slack, slack_info.viewer_url)
        _summary(console, control)
        running = start_app(settings, control, slack, sf_info)
        shown = show_sales_tab(console, running, control, slack, sf_info, ALIAS, DEMO_HOME)
        edited = show_edit(console, control, settings, slack, sf_info, ALIAS, shown.member)
        show_subscription(console, ctx, admin, slack, salesforce, ALIAS, shown.member, edited)
        snapshot = slack.write_viewer_snapshot(DEMO_HOME / "slack-viewer")
        _write_message_log(slack, DEMO_HOME / "slack-messages.json")
        console.print(f"Slack sandbox viewer: [link]{slack_info.viewer_url}[/link]"
                      + ("" if keep_running else " (run `saleshome demo --keep-running` to browse it)"))
        console.print(f"A static copy of the viewer, to open without the sandbox: {snapshot.resolve()}",
                      soft_wrap=True, highlight=False)
        console.print(f"\n[green]Demo done[/] in {time.perf_counter() - started:.1f}s. State kept in {DEMO_HOME}/. "
                      "Everything ran on 127.0.0.1.")
        if keep_running:
            print_try_it(console, shown, slack_info.viewer_url, sf_info)
            console.print("Sandboxes and the Slack app running; press Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    finally:
        if running is not None:
            running.stop()
        slack.stop()
        salesforce.stop()
