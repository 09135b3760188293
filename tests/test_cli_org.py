"""`saleshome org add|list|remove`, `saleshome sync` and `saleshome status` against a sandbox org.

Each command runs in-process through `saleshome.cli.main` (what the console script runs), with
the org's credentials in the environment and `SALESHOME_HOME` in a temporary directory.  Orgs
are connected and removed by a sales admin (`SALESHOME_ACTOR`, or `--as`), on an Enterprise+
workspace of the Slack sandbox.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import requests
from sqlalchemy import Boolean, Float, Integer, Numeric, inspect

from saleshome.cli.org import AuthChoice
from saleshome.config import Settings, load_settings
from saleshome.salesforce.credentials import AuthMethod
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.audit import read_audit
from saleshome.settings.context import SettingsContext
from saleshome.settings.orgs import same_org_id
from saleshome.settings.workspace import Plan, set_plan
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.control_tables import column_kinds
from tests.fixtures.cli import Cli, Outcome
from tests.fixtures.sandboxes import set_org_credentials, use_slack
from tests.fixtures.slack_workspace import make_ready

# The module's own sandboxes, ``info`` (their org's credentials, budget and faults reset after each test) and
# ``cli`` (`saleshome ARGS...` in-process): tests/fixtures/.
pytestmark = [pytest.mark.integration, pytest.mark.sandboxes(seed=5, opportunities=200)]


@pytest.fixture(scope="module")
def other_sandbox() -> Iterator[SalesforceSandbox]:
    """Another Salesforce org (another org id): a Salesforce org is connected once, so `beta` is this one."""
    with SalesforceSandbox(seed=6, opportunities=60) as sb:
        yield sb


@pytest.fixture()
def beta_info(other_sandbox: SalesforceSandbox) -> SandboxInfo:
    assert other_sandbox.info is not None
    return other_sandbox.info


@pytest.fixture()
def unready_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, info: SandboxInfo, beta_info: SandboxInfo, slack: SlackSandbox,
    control_url: str,
) -> Settings:
    """A fresh Sales Home talking to the Slack sandbox (no plan, no sales admin yet), and credentials in the
    environment: of the org ``info`` for aliases `acme` and `acme2`, of the org ``beta_info`` for `beta`
    and `gamma`."""
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables at full width, whatever the terminal
    use_slack(monkeypatch, slack)
    monkeypatch.delenv("SALESHOME_ACTOR", raising=False)
    for alias, org in (("acme", info), ("acme2", info), ("beta", beta_info), ("gamma", beta_info)):
        set_org_credentials(monkeypatch, alias, org)
    return load_settings()


@pytest.fixture()
def home(unready_home: Settings, monkeypatch: pytest.MonkeyPatch, slack: SlackSandbox) -> Settings:
    """``unready_home`` on Enterprise+, with a sales admin acting by default (SALESHOME_ACTOR)."""
    monkeypatch.setenv("SALESHOME_ACTOR", make_ready(unready_home, slack))
    return load_settings()


def add(cli: Cli, info: SandboxInfo, alias: str, *extra: str) -> Outcome:
    return cli("org", "add", alias, "--login-url", info.instance_url, "--auth", "client-credentials",
               "--ca-file", info.ca_file, *extra)


def org_rows(settings: Settings) -> list[tuple[str, str]]:
    control = ControlDB(settings.control_db)
    if not control.exists():
        return []
    return [(r["alias"], r["credential_ref"]) for r in control.rows(
        "SELECT alias, credential_ref FROM orgs")]


def test_auth_choices_match_the_auth_methods() -> None:
    assert [c.value for c in AuthChoice] == [m.value for m in AuthMethod]


def test_org_add_list_sync_status_remove(cli: Cli, home: Settings, info: SandboxInfo) -> None:
    added = add(cli, info, "acme")
    assert added.code == 0, added.text
    assert "Connected acme" in added.out and info.org_id in added.out and "production" in added.out
    assert "env:SALESHOME_SF_ACME" in added.out
    assert info.client_secret not in added.text and info.client_id not in added.text

    listed = cli("org", "list")
    assert listed.code == 0
    row = next(line for line in listed.out.splitlines() if " acme " in line)
    assert info.org_id in row and "production" in row and "new" in row

    synced = cli("sync")
    assert synced.code == 0, synced.text
    assert "initial sync completed" in synced.out
    for obj in ("User", "Account", "Opportunity", "OpportunityHistory", "PermissionSetAssignment"):
        assert f"acme {obj}" in synced.out  # its progress bar
        assert f"│ {obj} " in synced.out  # its summary row
    assert "cursor before → after" in synced.out and "REST" in synced.out

    with duckdb.connect(str(home.org_db("acme")), read_only=True) as db:
        opportunities = db.execute('SELECT count(*) FROM sf."Opportunity"').fetchone()
    assert opportunities is not None

    status = cli("status")
    assert status.code == 0, status.text
    assert "acme (" in status.out and ": ok" in status.out and "API budget left" in status.out
    opportunity = next(line for line in status.out.splitlines() if "│ Opportunity " in line)
    assert f"{opportunities[0]:,}" in opportunity and "REST" in opportunity

    listed = cli("org", "list")
    row = next(line for line in listed.out.splitlines() if " acme " in line)
    assert " ok " in row and " - " not in row.split("│")[5]  # last sync is set

    kept = cli("org", "remove", "acme", stdin="n\n")
    assert kept.code != 0 and "Aborted" in kept.text
    assert home.org_db("acme").exists() and org_rows(home)

    removed = cli("org", "remove", "acme", "--yes")
    assert removed.code == 0, removed.text
    assert not home.org_db("acme").exists()
    assert org_rows(home) == []
    assert "No org connected yet" in cli("org", "list").out


def test_remove_asks_and_goes_on_when_confirmed(cli: Cli, home: Settings, info: SandboxInfo) -> None:
    assert add(cli, info, "acme").code == 0
    assert cli("sync", "--object", "Account").code == 0
    removed = cli("org", "remove", "acme", stdin="y\n")
    assert removed.code == 0, removed.text
    assert "Remove org acme" in removed.out
    assert not home.org_db("acme").exists() and org_rows(home) == []


def test_a_bad_secret_is_refused_clearly_and_nothing_is_saved(
    cli: Cli, home: Settings, info: SandboxInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "0" * 64
    monkeypatch.setenv("SALESHOME_SF_ACME_CLIENT_SECRET", wrong)
    refused = add(cli, info, "acme")
    assert refused.code == 1
    assert "error: Salesforce refused the client-credentials login of org 'acme'" in refused.err
    assert "hint:" in refused.err and "Traceback" not in refused.err
    assert wrong not in refused.text and info.client_secret not in refused.text
    assert org_rows(home) == []
    assert not home.org_db("acme").exists()


def test_missing_credentials_say_what_is_missing(cli: Cli, home: Settings, info: SandboxInfo) -> None:
    missing = add(cli, info, "delta")
    assert missing.code == 1
    assert "needs client_id, client_secret" in missing.err and "org 'delta'" in missing.err
    assert org_rows(home) == []


def test_env_prefix_and_secret_block_exclude_each_other(cli: Cli, home: Settings, info: SandboxInfo) -> None:
    both = add(cli, info, "acme", "--env-prefix", "X", "--secret-block", "y")
    assert both.code == 2 and "not both" in both.err


def test_the_org_limit_refuses_one_more(
    cli: Cli, home: Settings, info: SandboxInfo, beta_info: SandboxInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings.model_fields["max_orgs"].default == 20
    monkeypatch.delenv("SALESHOME_MAX_ORGS", raising=False)
    assert load_settings().max_orgs == 20
    monkeypatch.setenv("SALESHOME_MAX_ORGS", "2")  # the same rule, faster to reach
    assert add(cli, info, "acme").code == 0
    assert add(cli, beta_info, "beta").code == 0
    refused = add(cli, beta_info, "gamma")
    assert refused.code == 1
    assert "already has 2 connected orgs; Sales Home allows at most 2" in refused.err
    assert "saleshome org remove" in refused.err
    assert [a for a, _ in org_rows(home)] == ["acme", "beta"]


def test_sync_options_pick_the_org_and_objects(
    cli: Cli, home: Settings, info: SandboxInfo, beta_info: SandboxInfo,
) -> None:
    assert add(cli, info, "acme").code == 0
    assert add(cli, beta_info, "beta").code == 0
    one = cli("sync", "--org", "beta", "--object", "Account,Opportunity", "--object", "User")
    assert one.code == 0, one.text
    assert "beta Account" in one.out and "beta User" in one.out and "│ Lead " not in one.out
    assert "acme" not in one.out
    again = cli("sync", "--org", "beta", "--object", "Account", "--full")
    assert again.code == 0 and "full sync completed" in again.out
    unknown = cli("sync", "--org", "nope")
    assert unknown.code == 1 and "no org called 'nope' (connected: acme, beta)" in unknown.err


def test_a_quota_pause_is_a_note_not_a_failure(
    cli: Cli, home: Settings, info: SandboxInfo, sandbox: SalesforceSandbox
) -> None:
    assert add(cli, info, "acme").code == 0
    sandbox.budget.set(used=95_000, daily_max=100_000)  # 5% left, under the 10% reserve
    paused = cli("sync")
    assert paused.code == 0, paused.text
    assert "paused for quota" in paused.out and "not a failure" in paused.out
    assert "acme (" in cli("status").out and "paused_for_quota" in cli("status").out


def test_a_failed_sync_exits_non_zero_with_the_message(
    cli: Cli, home: Settings, info: SandboxInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert add(cli, info, "acme").code == 0
    monkeypatch.delenv("SALESHOME_SF_ACME_CLIENT_SECRET")
    failed = cli("sync")
    assert failed.code == 1
    assert "error: acme: the client-credentials login needs client_secret" in failed.err
    assert "hint:" in failed.err


def test_status_reads_only_the_control_database(
    cli: Cli, home: Settings, info: SandboxInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert add(cli, info, "acme").code == 0
    assert cli("sync", "--object", "Account").code == 0
    monkeypatch.setenv("SALESHOME_LOCK_TIMEOUT_SECONDS", "1")
    holder = subprocess.Popen(  # another process holds the org's DuckDB file, as a running sync does
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time, duckdb
            db = duckdb.connect({str(home.org_db("acme"))!r})
            print("held", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        status = cli("status")
        assert status.code == 0, status.text
        assert "│ Account " in status.out
        locked = cli("sync", "--object", "Account")  # the sync itself waits for the file, then gives up
        assert locked.code == 75 and "locked by another process" in locked.err
    finally:
        holder.communicate("", timeout=30)


def test_status_and_sync_without_orgs(cli: Cli, home: Settings) -> None:
    assert "No org connected yet" in cli("status").out
    assert "No org connected yet" in cli("sync").out


# ---------------------------------------------------------------------------------------- who may connect orgs
def audit_of_orgs(settings: Settings) -> list[tuple[str, str, str, object, object]]:
    control = SettingsContext(control_db(settings), settings).control
    return [(e.action, e.actor, e.target, e.before, e.after) for e in read_audit(control, settings.workspace)
            if e.action.startswith("org.")]


def test_only_a_sales_admin_connects_and_removes_orgs_and_both_are_audited(
    cli: Cli, home: Settings, info: SandboxInfo, slack: SlackSandbox,
) -> None:
    sales_admin = home.actor
    assert sales_admin
    owner = slack.world.primary_owner_id
    refused = add(cli, info, "acme", "--as", owner)  # even the primary owner: only sales admins change settings
    assert refused.code == 1, refused.text
    assert f"({owner}) is not a sales admin" in refused.err and f"roles grant {owner}" in refused.err
    assert org_rows(home) == [] and not home.org_db("acme").exists() and audit_of_orgs(home) == []

    added = add(cli, info, "acme")  # as SALESHOME_ACTOR
    assert added.code == 0, added.text
    assert "recorded in the audit log" in added.out
    refused = cli("org", "remove", "acme", "--as", owner)  # refused before asking anything
    assert refused.code == 1 and "is not a sales admin" in refused.err and "Remove org" not in refused.out
    assert org_rows(home) == [("acme", "env:SALESHOME_SF_ACME")]
    removed = cli("org", "remove", "acme", "--yes", "--as", sales_admin)
    assert removed.code == 0, removed.text
    assert org_rows(home) == []

    entries = audit_of_orgs(home)
    assert [(action, actor, target) for action, actor, target, _, _ in entries] == [
        ("org.add", sales_admin, "orgs.acme"), ("org.remove", sales_admin, "orgs.acme")]
    (_, _, _, before, after), (_, _, _, removed_before, removed_after) = entries
    assert before is None and removed_after is None and after == removed_before
    assert isinstance(after, dict)
    assert after["credential_ref"] == "env:SALESHOME_SF_ACME" and after["org_id"] == info.org_id
    assert after["auth_method"] == "client-credentials" and after["login_url"] == info.instance_url
    audit_text = repr(entries)
    assert info.client_secret not in audit_text and info.client_id not in audit_text


def test_org_commands_need_an_acting_user(
    cli: Cli, home: Settings, info: SandboxInfo, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SALESHOME_ACTOR")
    for outcome in (add(cli, info, "acme"), cli("org", "remove", "acme", "--yes")):
        assert outcome.code == 1
        assert "no acting Slack user" in outcome.err and "--as U" in outcome.err and "SALESHOME_ACTOR" in outcome.err
    assert org_rows(home) == []


def test_org_commands_refuse_when_the_plan_lacks_sales_home(
    cli: Cli, unready_home: Settings, info: SandboxInfo, slack: SlackSandbox, monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = slack.world.primary_owner_id
    no_plan = add(cli, info, "acme", "--as", owner)
    assert no_plan.code == 1 and "no Slack plan is set" in no_plan.err and "set-plan" in no_plan.err
    assert cli("org", "list").code == 1

    sales_admin = make_ready(unready_home, slack)  # Enterprise+: the sales admin connects an org
    assert add(cli, info, "acme", "--as", sales_admin).code == 0
    ctx = SettingsContext(control_db(unready_home), unready_home)
    set_plan(ctx.control, ctx.directory, ctx.workspace, actor=owner, plan=Plan.PRO,  # then a downgrade
             teams=[ctx.directory.teams()[0].id])
    audited = len(read_audit(ctx.control, ctx.workspace))
    for refused in (add(cli, info, "beta", "--as", sales_admin), cli("org", "remove", "acme", "--yes", "--as", sales_admin),
                    cli("org", "list")):
        assert refused.code == 1, refused.text
        assert "Sales Home is not available on the Pro plan" in refused.err
        assert "Sales Elevate" in refused.err and "Business+" in refused.err and "Enterprise+" in refused.err
    assert org_rows(unready_home) == [("acme", "env:SALESHOME_SF_ACME")]
    assert len(read_audit(ctx.control, ctx.workspace)) == audited


# ---------------------------------------------------------------------------------------- what `org remove` leaves
def _placeholder(name: str, data_type: object, text: str) -> object:
    """A value of a control-table column's type (unique per table and org when it is text)."""
    kind = column_kinds().get(name, "plain")
    if kind == "list":
        return [text]
    if kind == "bool" or isinstance(data_type, Boolean):
        return False
    if kind == "timestamp":
        return datetime.now(UTC)
    if name in ("definition", "blocks", "info", "before", "after"):  # JSON documents
        return "{}"
    if isinstance(data_type, (Integer, Float, Numeric)):
        return 0
    return text


def fill_every_org_table(settings: Settings, alias: str) -> list[str]:
    """A row of ``alias`` in every control table with an ``alias`` column that has none yet (a future
    table included); a version of one of its notifications. Returns the tables."""
    with ControlDB(settings.control_db).transaction() as db:
        found = inspect(db.conn)
        tables = sorted(t for t in found.get_table_names() if any(c["name"] == "alias" for c in found.get_columns(t)))
        for table in tables:
            have = db.execute(f'SELECT count(*) FROM "{table}" WHERE alias = ?', [alias]).fetchone()
            if have and have[0]:
                continue
            generated = set(found.get_pk_constraint(table)["constrained_columns"]) & {"seq"}
            columns = [(c["name"], c["type"]) for c in found.get_columns(table)
                       if c["default"] is None and c["name"] not in generated]
            values = [alias if name == "alias" else _placeholder(name, kind, f"{alias}-{table}-{name}")
                      for name, kind in columns]
            names = ", ".join(f'"{name}"' for name, _ in columns)
            db.execute(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})', values)
        db.execute("INSERT INTO notification_versions SELECT id, version + 1, name, definition, created_by, "
                   "created_at FROM notifications WHERE alias = ?", [alias])
    return tables


def rows_by_alias(settings: Settings, tables: list[str]) -> dict[str, dict[str, int]]:
    with ControlDB(settings.control_db).reading() as db:
        counts = {table: dict(db.execute(f'SELECT alias, count(*) FROM "{table}" GROUP BY alias').fetchall())
                  for table in tables}
        counts["notification_versions"] = dict(db.execute(
            "SELECT n.alias, count(*) FROM notification_versions v JOIN notifications n ON n.id = v.id "
            "GROUP BY n.alias").fetchall())
        counts["notification_versions"]["orphans"] = db.execute(
            "SELECT count(*) FROM notification_versions WHERE id NOT IN (SELECT id FROM notifications)"
        ).fetchall()[0][0]
    return counts


def test_remove_leaves_no_row_of_the_org_in_any_control_table(
    cli: Cli, home: Settings, info: SandboxInfo, beta_info: SandboxInfo,
) -> None:
    assert add(cli, info, "acme").code == 0 and add(cli, beta_info, "beta").code == 0
    synced = cli("sync", "--object", "Account,User")  # real sync runs, object state, API budget for both
    assert synced.code == 0, synced.text
    tables = fill_every_org_table(home, "acme")
    assert fill_every_org_table(home, "beta") == tables
    for expected in ("orgs", "sync_runs", "object_state", "api_budget", "outbox", "user_map", "org_settings",
                     "default_list_views", "record_layouts", "notifications", "notification_events",
                     "notification_evaluations", "digest_items", "celebrations"):
        assert expected in tables
    before = rows_by_alias(home, tables)
    assert all(before[t].get("acme") and before[t].get("beta") for t in [*tables, "notification_versions"])
    assert ControlDB(home.control_db).rows(
        "SELECT count(*) AS n FROM sync_runs WHERE alias = 'acme' AND status = 'completed'") == [{"n": 1}]

    removed = cli("org", "remove", "acme", "--yes")
    assert removed.code == 0, removed.text
    after = rows_by_alias(home, tables)
    for table in [*tables, "notification_versions"]:
        assert "acme" not in after[table], f"{table} keeps rows of the removed org"
        assert after[table].get("beta") == before[table]["beta"], f"{table} lost rows of another org"
    assert after["notification_versions"]["orphans"] == 0
    assert home.org_db("beta").exists() and not home.org_db("acme").exists()
    assert "unsent ones included" in cli("org", "remove", "--help").out


# ---------------------------------------------------------------------------------------- org add verifies first
def assert_nothing_saved(settings: Settings, alias: str) -> None:
    assert org_rows(settings) == []
    assert not settings.org_db(alias).exists()
    assert audit_of_orgs(settings) == []


def test_an_api_version_the_org_does_not_serve_is_refused_and_nothing_is_saved(
    cli: Cli, home: Settings, info: SandboxInfo,
) -> None:
    refused = add(cli, info, "acme", "--api-version", "99.0")
    assert refused.code == 1, refused.text
    assert "error: org 'acme' does not serve REST API v99.0 (it serves v50.0 to v62.0)" in refused.err
    assert "hint: pass --api-version with a version it serves, e.g. --api-version 62.0" in refused.err
    assert "Traceback" not in refused.text
    assert_nothing_saved(home, "acme")
    older = add(cli, info, "acme", "--api-version", "58.0")  # one it serves is accepted
    assert older.code == 0, older.text
    assert "API v58.0" in older.out


def test_an_identity_naming_another_org_is_refused_and_nothing_is_saved(
    cli: Cli, home: Settings, info: SandboxInfo,
) -> None:
    other = "00D000000000OTHERA"
    session = requests.Session()
    session.trust_env = False
    faults = f"{info.instance_url}/_sandbox/faults"
    armed = session.post(faults, json={"kind": "rewrite", "path": r"^/id/", "times": 0,
                                       "fields": {"organization_id": other}}, verify=info.ca_file, timeout=30)
    assert armed.status_code == 200, armed.text
    try:
        refused = add(cli, info, "acme")
    finally:
        session.delete(faults, verify=info.ca_file, timeout=30)
    assert refused.code == 1, refused.text
    assert (f"error: org 'acme': the identity names org '{other}' but the Organization record is "
            f"'{info.org_id}'; nothing was saved") in refused.err
    assert "hint: check that the login URL and the credentials belong to the same org" in refused.err
    assert info.client_secret not in refused.text
    assert_nothing_saved(home, "acme")
    assert add(cli, info, "acme").code == 0  # the same org, its identity back to normal


# ---------------------------------------------------------------------------------------- one Salesforce org, one alias
def test_same_org_id_compares_the_15_character_prefix_case_insensitively() -> None:
    assert same_org_id("00D8d00004X6GAsEAN", "00D8d00004X6GAs")  # the 18- and 15-character forms
    assert same_org_id("00D8d00004X6GAsEAN", "00d8d00004x6gaseaN")
    assert not same_org_id("00D8d00004X6GAsEAN", "00D8d00004X6GAtEAN")


def test_a_second_alias_for_a_connected_org_is_refused_naming_the_alias_that_holds_it(
    cli: Cli, home: Settings, info: SandboxInfo,
) -> None:
    assert add(cli, info, "acme").code == 0
    assert cli("sync", "--object", "Account").code == 0
    before = (org_rows(home), audit_of_orgs(home), sorted(p.name for p in (home.home / "orgs").iterdir()))

    twice = add(cli, info, "acme2")  # the credentials of the org connected as acme
    assert twice.code == 1, twice.text
    assert (f"error: org {info.org_id} (" in twice.err and "is already connected as 'acme'; connecting it again as "
            "'acme2' would sync it twice and send every notification and celebration twice" in twice.err)
    assert "hint: keep using 'acme', or move it" in twice.err and "--replace" in twice.err
    assert "Traceback" not in twice.text
    assert (org_rows(home), audit_of_orgs(home), sorted(p.name for p in (home.home / "orgs").iterdir())) == before


def test_replace_moves_the_org_with_its_data_settings_and_history(cli: Cli, home: Settings, info: SandboxInfo) -> None:
    assert add(cli, info, "acme").code == 0
    assert cli("sync").code == 0
    with duckdb.connect(str(home.org_db("acme")), read_only=True) as db:
        synced = db.execute('SELECT count(*), max("LastModifiedDate") FROM sf."Opportunity"').fetchone()

    moved = add(cli, info, "acme2", "--replace", "--api-version", "58.0")
    assert moved.code == 0, moved.text
    assert "Moved acme to acme2 (its synced data, settings and history kept)." in moved.out
    assert "Connected acme2" in moved.out and "API v58.0" in moved.out
    assert org_rows(home) == [("acme2", "env:SALESHOME_SF_ACME2")]
    assert not home.org_db("acme").exists() and not home.org_db("acme").with_suffix(".duckdb.wal").exists()
    with duckdb.connect(str(home.org_db("acme2")), read_only=True) as db:
        assert db.execute('SELECT count(*), max("LastModifiedDate") FROM sf."Opportunity"').fetchone() == synced
    listed = cli("org", "list").out
    assert " acme2 " in listed and " acme " not in listed
    again = cli("sync", "--org", "acme2")  # the org goes on where it was: no initial sync, nothing twice
    assert again.code == 0, again.text
    assert "initial sync" not in again.out and "incremental" in again.out
    (entry,) = [e for e in audit_of_orgs(home) if e[0] == "org.replace"]
    _, actor, target, was, now = entry
    assert (actor, target) == (home.actor, "orgs.acme2")
    assert isinstance(was, dict) and isinstance(now, dict)
    assert (was["alias"], was["api_version"], now["alias"], now["api_version"]) == ("acme", "62.0", "acme2", "58.0")
    assert was["org_id"] == now["org_id"] == info.org_id

    in_place = add(cli, info, "acme2", "--replace")  # on the alias that holds it: its connection is replaced
    assert in_place.code == 0, in_place.text
    assert "Replaced the connection of acme2" in in_place.out and "API v62.0" in in_place.out
    assert [a for a, _ in org_rows(home)] == ["acme2"]

    tables = fill_every_org_table(home, "acme2")  # a row of the org in every control table, a future one included
    before = rows_by_alias(home, tables)
    assert add(cli, info, "acme", "--replace", "--env-prefix", "SALESHOME_SF_ACME2").code == 0  # and back
    after = rows_by_alias(home, tables)
    for table in [*tables, "notification_versions"]:
        assert "acme2" not in after[table], f"{table} keeps rows of the old alias"
        assert after[table].get("acme") == before[table]["acme2"], f"{table} did not move"
    assert org_rows(home) == [("acme", "env:SALESHOME_SF_ACME2")]
    assert home.org_db("acme").exists() and not home.org_db("acme2").exists()


def test_replace_never_takes_an_alias_that_holds_another_org(
    cli: Cli, home: Settings, info: SandboxInfo, beta_info: SandboxInfo,
) -> None:
    assert add(cli, info, "acme").code == 0 and add(cli, beta_info, "beta").code == 0
    before = (org_rows(home), audit_of_orgs(home))
    refused = add(cli, info, "beta", "--replace", "--env-prefix", "SALESHOME_SF_ACME")  # acme's org, as beta
    assert refused.code == 1, refused.text
    assert (f"error: 'beta' is connected to org {beta_info.org_id}, not to org {info.org_id} that these "
            "credentials reach; nothing was saved") in refused.err
    assert "saleshome org remove beta" in refused.err
    assert (org_rows(home), audit_of_orgs(home)) == before
    again = add(cli, info, "beta")  # without --replace: the alias is taken, refused before logging in
    assert again.code == 1 and "an org called 'beta' is already connected" in again.err and "--replace" in again.err


# ---------------------------------------------------------------------------------------- private by default
def modes(home: Path) -> dict[str, int]:
    """The permission bits of the home and of everything in it, by path relative to the home's parent."""
    found: dict[str, int] = {}
    for path in [home, *home.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):  # a file the run dropped while we walked
            found[str(path.relative_to(home.parent))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def not_private(found: dict[str, int], home: Path) -> dict[str, str]:
    return {path: oct(mode) for path, mode in found.items()
            if mode != (0o700 if (home.parent / path).is_dir() else 0o600)}


def test_everything_in_the_home_is_private_whatever_the_umask(
    cli: Cli, unready_home: Settings, info: SandboxInfo, slack: SlackSandbox, sandbox: SalesforceSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = unready_home.home
    monkeypatch.setenv("SALESHOME_BULK_THRESHOLD", "1")  # every window through Bulk 2.0, into staged CSV files
    script = shutil.which("saleshome", path=str(Path(sys.executable).parent))
    assert script is not None
    previous = os.umask(0o022)  # a permissive umask, the usual default: files 0644, folders 0755
    try:
        monkeypatch.setenv("SALESHOME_ACTOR", make_ready(unready_home, slack))  # creates the home
        assert add(cli, info, "acme").code == 0
        # Deleting the first Bulk job (its results all downloaded, not loaded yet) stalls for 30 s (under the
        # client's 60 s timeout): the sync is killed there, leaving its staged files and write-ahead logs.
        sandbox.faults.add("slow", method="DELETE", path=r"/jobs/query/[^/]+$", times=1, delay=30)
        sync = subprocess.Popen([script, "sync"], env=dict(os.environ), umask=0o022,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while sync.poll() is None and time.monotonic() < deadline:
            if any(p.is_file() for p in (home / "staging").rglob("*")):
                break
            time.sleep(0.05)
        sync.kill()
        _, err = sync.communicate(timeout=60)
        killed = modes(home)
        sandbox.faults.clear()
        resumed = cli("sync")  # in this process, umask 022 as well
        assert resumed.code == 0, resumed.text
        done = modes(home)
    finally:
        os.umask(previous)
    assert any("/staging/acme/" in p and (home.parent / p).suffix == ".csv" for p in killed), (killed, err)
    assert any(p.endswith(".duckdb.wal") for p in killed), killed
    store = ["home/control.sqlite"] if unready_home.database_url is None else []  # PostgreSQL: no file in the home
    assert {"home", *store, "home/orgs", "home/orgs/acme.duckdb"} <= set(done)
    assert not_private(killed, home) == {}
    assert not_private(done, home) == {}
