"""The Sales Home flows on a Prefect test server, against both sandboxes with simulated activity.

``sales_home`` syncs the org, evaluates the notifications of ``examples/sales-home.yaml`` over the
run's change log, celebrates the won deals, publishes, sets the banners and stores the
permalinks; the Slack sandbox's message log must then hold exactly what the outbox sent, once.
``digest`` sends the digests that are due; ``housekeeping`` reports the dead letters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client

from flows.sales_home import SalesHomeRun, digest, housekeeping, sales_home, sales_home_all
from saleshome.config import Settings, load_settings
from saleshome.notify.digest import due_period
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.apply import import_yaml
from saleshome.settings.context import SettingsContext
from saleshome.settings.subscriptions import SubscriptionDraft, set_member_template, subscribe
from saleshome.warehouse.control import ControlDB, control_db
from tasks.celebrate import celebration_summary_key, celebrations_key
from tasks.concurrency import org_limit_name
from tasks.notify import notification_summary_key, subscriptions_key
from tasks.publish import DEAD_LETTER_REPORT_KEY
from tests.fixtures.sandboxes import set_org_credentials, use_slack
from tests.fixtures.slack_workspace import make_ready, sales_admin_of
from tests.flows.test_sync_flow import artifacts, connect, flow_run_id, simulate, task_run_names

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("prefect_harness", "no_running_event_loop"),
              pytest.mark.sandboxes(seed=31, opportunities=300)]  # the module's own sandboxes

ALIAS = "acme"
EXAMPLE = Path(__file__).parents[2] / "examples" / "sales-home.yaml"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SalesforceSandbox, slack: SlackSandbox) -> Settings:
    """A Sales Home on an Enterprise+ workspace, org ``acme`` connected, the example settings applied."""
    assert sandbox.info is not None and slack.info is not None
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    use_slack(monkeypatch, slack)
    monkeypatch.setenv("SALESHOME_SLACK_ADMIN_TOKEN", slack.info.admin_token)
    monkeypatch.setenv("SALESHOME_SLACK_POSTS_PER_SECOND", "50")
    set_org_credentials(monkeypatch, ALIAS, sandbox.info)
    admin = make_ready(load_settings(), slack)
    settings = load_settings()
    connect(settings, sandbox.info, ALIAS)
    import_yaml(SettingsContext(control_db(settings), settings), admin, EXAMPLE.read_text().replace("  demo-org:", f"  {ALIAS}:"))
    return settings


def sent_keys(slack: SlackSandbox) -> list[str]:
    """The idempotency keys of every message the publisher posted (from the message metadata), in order."""
    return [str((m.metadata or {}).get("event_payload", {}).get("key"))
            for m in slack.messages(event_type=METADATA_EVENT) if not m.deleted]


def outbox(settings: Settings) -> list[dict[str, Any]]:
    return ControlDB(settings.control_db).rows("SELECT key, kind, state, channel, last_error FROM outbox ORDER BY seq")


def table(artifact: Any) -> list[dict[str, Any]]:
    data = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    return list(data)


def test_sales_home_notifies_celebrates_and_publishes_once(
    home: Settings, sandbox: SalesforceSandbox, slack: SlackSandbox,
) -> None:
    assert sandbox.info is not None
    slack.clear_messages()

    # the initial run: silent (nothing existed "before"), the user map built
    state = sales_home(ALIAS, return_state=True)
    assert state.is_completed(), state.message
    first = state.result()
    assert isinstance(first, SalesHomeRun) and first.sync.kind == "initial"
    assert first.notifications is not None and first.notifications.silent and first.notifications.messages == 0
    assert first.celebrations is not None and first.celebrations.celebrated == 0
    assert sent_keys(slack) == []
    assert ControlDB(home.control_db).rows("SELECT count(*) AS n FROM user_map WHERE alias = ? AND status = 'matched'",
                                           [ALIAS])[0]["n"] > 0

    # a member's own subscription, beside the admins' notifications (counted in the run's artifacts)
    context = SettingsContext(control_db(home), home)
    assert set_member_template(context.control, context.directory, sales_admin_of(slack), ALIAS, "stage_changed", True)
    member = ControlDB(home.control_db).rows("SELECT slack_user_id FROM user_map WHERE alias = ? AND status = "
                                             "'matched' AND sales_home_user ORDER BY slack_user_id", [ALIAS])[0]
    subscribe(context.control, context, ALIAS, member["slack_user_id"], SubscriptionDraft(template="stage_changed"))

    # a burst of activity, then the scheduled run: notifications, celebrations, banners, permalinks
    simulate(sandbox.info, sandbox, changes=400)
    state = sales_home(ALIAS, return_state=True)
    assert state.is_completed(), state.message
    run = state.result()
    assert isinstance(run, SalesHomeRun) and run.sync.kind == "incremental"
    assert run.notifications is not None and run.celebrations is not None and run.published is not None
    assert run.notifications.messages > 0 and run.notifications.digest_items > 0
    assert run.celebrations.celebrated > 0 and run.banners is not None and run.banners.set > 0
    assert run.permalinks is not None and run.permalinks.stored == run.celebrations.messages

    rows = outbox(home)
    messages = [r for r in rows if r["kind"] in ("notification", "celebration")]
    assert messages and all(r["state"] == "sent" for r in messages), [r for r in messages if r["state"] != "sent"]
    keys = sent_keys(slack)
    assert sorted(keys) == sorted(r["key"] for r in messages)  # every message once, nothing else
    deals_won = slack.channel_id("deals-won")
    kinds_in_deals_won = {r["kind"] for r in messages if r["channel"] == deals_won}
    assert kinds_in_deals_won == {"celebration"}  # wins only: deals closed (won or lost) go to #sales
    assert "notification" in {r["kind"] for r in messages if r["channel"] == slack.channel_id("sales")}
    assert any(r["channel"].startswith("U") for r in messages), "owners get direct messages (stage moves)"
    celebrated = ControlDB(home.control_db).rows(
        "SELECT slack_user_id, status_text, banner_state FROM celebrations WHERE banner_state = 'set'")
    api = slack.api
    assert api is not None and celebrated
    with api.lock:
        shown = {api.world.users[c["slack_user_id"]].profile.status_text for c in celebrated}
    assert shown & {c["status_text"] for c in celebrated}, "the latest win's banner is on the owner's profile"

    # what the run shows in Prefect: task runs named by org, the summary tables
    run_id = flow_run_id(state)
    names = task_run_names(run_id)
    for name in (f"users-{ALIAS}", f"evaluate-{ALIAS}", f"celebrate-{ALIAS}", "publish-outbox", "banners",
                 f"permalinks-{ALIAS}", f"notification-summary-{ALIAS}", f"sync-{ALIAS}-Opportunity"):
        assert name in names, (name, names)
    found = artifacts(run_id)
    stats = {r["notification"]: r for r in table(found[notification_summary_key(ALIAS)])}
    assert set(stats) == {"stage-moves", "big-deals", "close-date-slips", "deals-closed", "wins-digest"}
    assert sum(r["this run: queued"] for r in stats.values()) == (
        run.notifications.messages + run.notifications.digest_items)
    assert stats["deals-closed"]["delivered"] == stats["deals-closed"]["queued"] > 0
    subscriptions = table(found[subscriptions_key(ALIAS)])
    assert [(r["template"], r["allowed"], r["subscriptions"], r["members"]) for r in subscriptions] == [
        ("stage_changed", True, 1, 1)]
    outcomes = {r["outcome"]: r["count"] for r in table(found[celebration_summary_key(ALIAS)])}
    assert outcomes["celebrated"] == run.celebrations.celebrated
    assert all(r["permalinks"] for r in table(found[celebrations_key(ALIAS)]))
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(org_limit_name(ALIAS))
    assert limit.limit == 1 and limit.active_slots == 0  # one run per org; released at the end

    # nothing changed in the org: a run over every org sends nothing more
    states = sales_home_all()
    assert all(s.is_completed() for s in states)
    assert sorted(sent_keys(slack)) == sorted(keys)

    # the digest step as of an hour when a waiting recipient's local digest hour has come
    waiting = ControlDB(home.control_db).rows("SELECT DISTINCT recipient, schedule, tz FROM digest_items "
                                              "WHERE digest_key IS NULL")
    moment = next(m for m in (datetime.now(UTC) + timedelta(hours=h) for h in range(25))
                  if any(due_period(w["schedule"], w["tz"], m) for w in waiting))
    digest_state = digest(now=moment, return_state=True)
    assert digest_state.is_completed(), digest_state.message
    digests = digest_state.result()
    assert digests.digests.sent > 0 and digests.published.sent == digests.digests.sent
    digest_rows = [r for r in outbox(home) if r["kind"] == "digest"]
    assert len(digest_rows) == digests.digests.sent and all(r["state"] == "sent" for r in digest_rows)
    assert sorted(sent_keys(slack)) == sorted(keys + [r["key"] for r in digest_rows])
    assert digest(now=moment).digests.sent == 0, "a recipient never gets two digests for one period"

    # housekeeping: no banner expired yet, the dead-letter report says there is none
    kept = housekeeping(return_state=True)
    assert kept.is_completed(), kept.message
    assert kept.result().dead_letters == 0 and kept.result().banners.cleared == 0
    report = table(artifacts(flow_run_id(kept))[DEAD_LETTER_REPORT_KEY])
    assert report[0]["reason"] == "no dead letter"
