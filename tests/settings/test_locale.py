"""Who reads which language: the channels' locale (a sales admin's setting, CLI and YAML, checked with Babel,
audited, all or nothing) and each member's Slack locale (the user map) — the rule of
``saleshome.settings.locales``, against the sandboxes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from saleshome.publish.publisher import web_client
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.apply import SettingsProblems, current_state, export_yaml, import_yaml
from saleshome.settings.audit import read_audit
from saleshome.settings.context import SettingsContext
from saleshome.settings.locales import channel_locale, member_locales
from saleshome.settings.workspace import get_workspace, set_plan
from saleshome.sync.users import SalesforceUser, refresh_user_map
from tests.fixtures.cli import run_cli
from tests.fixtures.workspace import ALIAS, People

from .conftest import dump_tables
from .test_import_export import example_for

pytestmark = pytest.mark.integration
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    def invoke(*args: str) -> tuple[int, str, str]:
        code, out, err = run_cli(monkeypatch, capsys, *args)
        return code, " ".join(out.split()), " ".join(err.split())  # rich wraps long lines

    return invoke


def test_a_sales_admin_sets_the_channels_locale_from_the_cli_audited(
    cli: Cli, ready: SettingsContext, people: People,
) -> None:
    code, out, _ = cli("workspace", "locale")
    assert code == 0 and "Channels read en-US" in out
    assert channel_locale(ready.control, ready.workspace) == "en-US"

    code, out, _ = cli("workspace", "locale", "fr_fr", "--as", people.sales_admin)
    assert code == 0 and "Changed: locale" in out and "Channels now read fr-FR" in out
    assert channel_locale(ready.control, ready.workspace) == "fr-FR"
    entry = read_audit(ready.control, ready.workspace)[-1]
    assert (entry.actor, entry.action, entry.target, entry.before, entry.after) == (
        people.sales_admin, "workspace.locale", "locale", "en-US", "fr-FR")
    code, out, _ = cli("workspace", "show")
    assert code == 0 and "fr-FR" in out
    code, out, _ = cli("workspace", "locale", "fr-FR", "--as", people.sales_admin)
    assert code == 0 and "No change" in out

    # the primary owner declaring the plan again keeps the locale (the plan upsert names its columns)
    set_plan(ready.control, ready.directory, ready.workspace, actor=people.primary_owner, plan="enterprise_plus")
    assert channel_locale(ready.control, ready.workspace) == "fr-FR"

    code, out, _ = cli("workspace", "locale", "default", "--as", people.sales_admin)
    assert code == 0 and "Channels now read en-US" in out
    found = get_workspace(ready.control, ready.workspace)
    assert found is not None and found.default_locale == "en-US"


def test_an_unknown_locale_or_actor_is_refused_and_nothing_changes(
    cli: Cli, ready: SettingsContext, people: People,
) -> None:
    before = dump_tables(ready.control)
    code, _, err = cli("workspace", "locale", "xx-YY", "--as", people.sales_admin)
    assert code == 1 and "locale: unknown locale 'xx-YY'" in err and "fr-FR" in err
    code, _, err = cli("workspace", "locale", "fr-XX", "--as", people.sales_admin)
    assert code == 1 and "unknown locale 'fr-XX'" in err
    code, _, err = cli("workspace", "locale", "fr-FR", "--as", people.member)
    assert code == 1 and "not a sales admin" in err
    assert dump_tables(ready.control) == before


def test_the_locale_in_the_settings_yaml_dry_run_import_export(ready: SettingsContext, people: People) -> None:
    # the example says en-US, the default: applying it changes no locale
    applied = import_yaml(ready, people.sales_admin, example_for())
    assert "locale" not in [c.target for c in applied.changes] and current_state(ready).locale == "en-US"
    assert yaml.safe_load(export_yaml(current_state(ready)))["locale"] == "en-US"

    dry = import_yaml(ready, people.sales_admin, "locale: fr-FR\n", dry_run=True)
    assert [c.target for c in dry.changes] == ["locale"] and "-en-US" in dry.diff() and "+fr-FR" in dry.diff()
    assert channel_locale(ready.control, ready.workspace) == "en-US", "a dry run changes nothing"
    import_yaml(ready, people.sales_admin, "locale: fr-FR\n")
    assert channel_locale(ready.control, ready.workspace) == "fr-FR"
    entry = read_audit(ready.control, ready.workspace)[-1]
    assert (entry.action, entry.target, entry.after) == ("settings.import", "locale", "fr-FR")

    exported = export_yaml(current_state(ready))
    assert yaml.safe_load(exported)["locale"] == "fr-FR"
    assert import_yaml(ready, people.sales_admin, exported, dry_run=True).changes == []
    assert import_yaml(ready, people.sales_admin, "celebrations: {enabled: false}\n").changes[0].target == \
        "celebrations"
    assert channel_locale(ready.control, ready.workspace) == "fr-FR", "a document without `locale` keeps it"

    # an unknown locale is reported with the other problems, at its path; nothing is written
    data = yaml.safe_load(exported)
    data["locale"] = "klingon"
    data["celebrations"]["channels"] = ["#nowhere"]
    before = dump_tables(ready.control)
    with pytest.raises(SettingsProblems) as refused:
        import_yaml(ready, people.sales_admin, yaml.safe_dump(data))
    paths = [p.split(": ")[0] for p in refused.value.problems]
    assert "locale" in paths and "celebrations.channels[0]" in paths
    assert any("unknown locale 'klingon'" in p for p in refused.value.problems)
    with pytest.raises(SettingsProblems, match="locale: Input should be a valid string"):
        import_yaml(ready, people.sales_admin, "locale: 33\n")
    assert dump_tables(ready.control) == before

    import_yaml(ready, people.sales_admin, "locale: null\n")  # back to the default
    assert channel_locale(ready.control, ready.workspace) == "en-US"


def test_dms_read_the_members_slack_locale_else_the_channels_one(
    ready: SettingsContext, people: People, slack_sandbox: SlackSandbox,
) -> None:
    assert slack_sandbox.info is not None
    humans = [u for u in slack_sandbox.world.users.values()
              if u.person is not None and not u.deleted and u.profile.email]
    users = [SalesforceUser(f"005{i:03d}", u.profile.email, True) for i, u in enumerate(humans)]
    users.append(SalesforceUser("005NOBODY", "nobody@example.invalid", True))
    client, _ = web_client(slack_sandbox.info.bot_token, base_url=slack_sandbox.info.api_url)
    refresh_user_map(ready.control, ALIAS, users, client)
    expected = {f"005{i:03d}": u.locale for i, u in enumerate(humans)}
    assert member_locales(ready.control, ALIAS) == expected  # unmatched people get no DM: left out
    assert {"fr-FR", "en-US", "en-GB"} <= set(expected.values())

    # a member whose Slack locale is not known (or not one Babel reads) reads the channels' language
    with ready.control.transaction() as db:
        db.execute("UPDATE user_map SET locale = NULL WHERE alias = ? AND sf_user_id = '005000'", [ALIAS])
        db.execute("UPDATE user_map SET locale = 'tlh-XX' WHERE alias = ? AND sf_user_id = '005001'", [ALIAS])
    import_yaml(ready, people.sales_admin, "locale: fr-FR\n")
    locales = member_locales(ready.control, ALIAS)
    assert locales["005000"] == locales["005001"] == "fr-FR" == channel_locale(ready.control, ready.workspace)
    assert {k: v for k, v in locales.items() if k not in ("005000", "005001")} == {
        k: v for k, v in expected.items() if k not in ("005000", "005001")}
    assert member_locales(ready.control, "no-such-org") == {}
