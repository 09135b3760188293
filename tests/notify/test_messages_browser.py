"""Messages as members see them, in a real browser: a notification card, a digest and a celebration in English
and in French (issue 16.4).

The example settings run on the org; a working day of activity is synced and delivered with the workspace's
channels in English, then more with the channels in French. Direct messages follow each member's Slack
locale (the Slack sandbox seeds ``fr-FR``, ``en-US`` and ``en-GB`` members). Each kind of message, in each
language, is opened in the Slack sandbox's viewer in headless Chromium (Debian's ``chromium``), checked for
its language, and saved as a screenshot under ``tests/artifacts/``. Every message posted is scanned for raw
Salesforce Ids, field API names and amounts without a currency (``tests/message_scan.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from saleshome.operations import deliver, run_digest
from saleshome.pipeline import run_org
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.schema import catalog
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.apply import import_yaml
from saleshome.settings.context import SettingsContext
from saleshome.warehouse.control import control_db
from tests.browser import ARTIFACTS, launch
from tests.fixtures.sandboxes import sandbox_control, settle
from tests.fixtures.workspace import ALIAS, People
from tests.message_scan import api_names, problems

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLE = Path(__file__).parents[2] / "examples" / "sales-home.yaml"
# What each kind of message says in each language, as the viewer shows it.
WORDS = {
    ("notification", "en"): "View in Salesforce", ("notification", "fr"): "Voir dans Salesforce",
    ("celebration", "en"): "View in Salesforce", ("celebration", "fr"): "Voir dans Salesforce",
}


@pytest.fixture(scope="module")  # not session: a live sync_playwright leaves an event loop running
def browser() -> Iterator[Browser]:
    with launch() as launched:
        yield launched


def _sent(ready: SettingsContext) -> list[dict[str, object]]:
    """Every sent outbox row with the language its reader reads (DM: the member's; channel: the workspace's)."""
    return ready.control.rows(
        "SELECT o.key, o.kind, o.sent_channel, o.sent_ts, o.channel, m.locale FROM outbox o "
        "LEFT JOIN (SELECT DISTINCT slack_user_id, locale FROM user_map) m ON m.slack_user_id = o.channel "
        "WHERE o.state = 'sent' ORDER BY o.seq")


def _day(ready: SettingsContext, sf: SalesforceSandbox, seed: int) -> None:
    """Activity in the org, then `saleshome sync` and `saleshome outbox publish`, then the digests of the day."""
    settings = ready.settings
    sandbox_control(sf, "simulate", {"changes": 300, "seed": seed})
    settle(sf, settings)
    assert run_org(control_db(settings), settings, ALIAS).sync.status == "completed"
    deliver(control_db(settings), settings)
    now = datetime.now(UTC)
    for hours in range(0, 48, 3):  # the hours to come: each recipient's local digest hour comes once in them
        run_digest(control_db(settings), settings, now + timedelta(hours=hours))


def test_a_card_a_digest_and_a_celebration_in_english_and_in_french(
    browser: Browser, ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox,
    slack_sandbox: SlackSandbox,
) -> None:
    import_yaml(ready, people.sales_admin, EXAMPLE.read_text().replace("  demo-org:", f"  {ALIAS}:"))
    assert run_org(ready.control, ready.settings, ALIAS).sync.kind == "initial"  # silent; the user map reads members' locales
    _day(ready, sf_sandbox, seed=1601)
    english_channels = {str(r["key"]) for r in _sent(ready)}
    import_yaml(ready, people.sales_admin, "version: 1\nlocale: fr-FR\n")  # the channels now read French
    _day(ready, sf_sandbox, seed=1602)

    chosen: dict[tuple[str, str], dict[str, object]] = {}
    for row in _sent(ready):
        dm = str(row["channel"]).startswith("U")
        language = str(row["locale"] or "en")[:2] if dm else ("en" if row["key"] in english_channels else "fr")
        chosen.setdefault((str(row["kind"]), language), row)
    wanted = {(k, lang) for k in ("notification", "digest", "celebration") for lang in ("en", "fr")}
    assert wanted <= set(chosen), f"missing: {wanted - set(chosen)}"

    assert slack_sandbox.info is not None
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    try:
        for (kind, language), row in sorted(chosen.items()):
            if (kind, language) not in wanted:
                continue
            ts = str(row["sent_ts"])
            page.goto(f"{slack_sandbox.info.viewer_url}channels/{row['sent_channel']}", timeout=30_000)
            message = page.locator(f"#m{ts.replace('.', '')}")
            expect(message).to_be_visible()
            shown = message.inner_text()
            if (kind, language) in WORDS:
                assert WORDS[(kind, language)] in shown, shown
            if kind == "digest":
                assert ("mise à jour" in shown or "mises à jour" in shown) == (language == "fr"), shown
            ARTIFACTS.mkdir(exist_ok=True)
            message.screenshot(path=str(ARTIFACTS / f"message-{kind}-{language}.png"))
    finally:
        page.close()

    # Nothing any member read holds a raw Id, an API name or an amount without its currency.
    names = api_names(f for obj in catalog() if obj.name in ("Opportunity", "Account", "User") for f in obj.fields)
    posted = [m.to_dict() for m in slack_sandbox.messages(event_type=METADATA_EVENT) if not m.deleted]
    found = {m["ts"]: p for m in posted if (p := problems(m, names))}
    assert not found, list(found.items())[:10]
