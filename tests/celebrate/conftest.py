"""Fixtures for celebration tests: the org synced into a fresh Sales Home, users mapped, celebrations on.

Everything goes over real HTTP(S): simple-salesforce syncs the Salesforce sandbox, slack-sdk
talks to the Slack sandbox (bot token for messages, the admin user token for banners).  The
sandboxes are this folder's own pair, shared by its tests for the session (``tests/fixtures/workspace.py``);
each test gets its own Sales Home (control and org databases) and wins opportunities nobody else touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pytest

from saleshome.celebrate import apply_banners, celebrate, store_permalinks
from saleshome.celebrate.celebration import CelebrationSummary
from saleshome.config import Settings, load_settings
from saleshome.publish.publisher import web_client
from saleshome.publish.setup import publisher_from_settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.changes import set_celebrations
from saleshome.settings.context import SettingsContext
from saleshome.settings.members import eligible_users
from saleshome.sync.engine import sync_org
from saleshome.sync.users import SalesforceUser, refresh_user_map
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.sandboxes import settle
from tests.fixtures.workspace import ALIAS, People

MESSAGE = ":tada: {owner} just won *{opportunity}* with {account}: {amount}!"
_TAKEN: set[str] = set()  # opportunities already won by a test of this session


@dataclass(frozen=True)
class Owner:
    sf_id: str
    slack_id: str | None


@dataclass
class Celebrations:
    """One test's Sales Home, with helpers to win deals, sync, celebrate and publish."""

    settings: Settings
    ctx: SettingsContext
    sf: SalesforceSandbox
    slack: SlackSandbox
    people: People
    channel: str  # #deals-won

    @property
    def control(self) -> ControlDB:
        return ControlDB(self.settings.control_db)

    def sf_now(self) -> datetime:
        assert self.sf.store is not None
        return self.sf.store.clock.now()

    def advance(self, seconds: float) -> None:
        assert self.sf.store is not None
        self.sf.store.clock.advance(seconds)

    def token_user(self, token: str) -> str:
        return self.slack.world.tokens[token].user_id

    @property
    def member_token_user(self) -> str:
        """The Slack member whose own user token the sandbox issues (they set their own status with it)."""
        assert self.slack.info is not None
        return self.token_user(self.slack.info.member_token)

    def owners(self, *, matched: bool = True) -> list[Owner]:
        """Sales members (at the org's time), with a Slack match the admin may update — or with no match."""
        with OrgWarehouse(self.settings.org_db(ALIAS)) as wh:
            members = eligible_users(wh, now=self.sf_now())
        rows = self.control.rows("SELECT sf_user_id, slack_user_id, status FROM user_map WHERE alias = ? "
                                 "ORDER BY sf_user_id", [ALIAS])
        found = []
        for r in rows:
            if r["sf_user_id"] not in members:
                continue
            if matched and r["status"] == "matched":
                if self.slack.world.users[r["slack_user_id"]].role_rank < 2:
                    found.append(Owner(r["sf_user_id"], r["slack_user_id"]))
            elif not matched and r["status"] != "matched":
                found.append(Owner(r["sf_user_id"], None))
        return found

    def _free(self, owner: str) -> list[str]:
        with duckdb.connect(str(self.settings.org_db(ALIAS)), read_only=True) as db:
            ids = [r[0] for r in db.execute(
                'SELECT "Id" FROM sf."Opportunity" WHERE NOT "IsClosed" AND NOT "IsDeleted" '
                "AND \"StageName\" <> 'Contract Signed' AND \"OwnerId\" = ? ORDER BY \"Id\"", [owner]).fetchall()]
        return [i for i in ids if i not in _TAKEN]

    def deals(self, n: int = 1, *, matched: bool = True, slack_user: str | None = None) -> tuple[Owner, list[str]]:
        """An owner with ``n`` open opportunities no test has touched (reserved for this test)."""
        reserved = {self.member_token_user} if slack_user is None else set()
        for owner in self.owners(matched=matched):
            if owner.slack_id in reserved or (slack_user is not None and owner.slack_id != slack_user):
                continue
            free = self._free(owner.sf_id)
            if len(free) < n and slack_user is not None:  # give them someone else's open deals
                others = [o for o in self.owners() if o.sf_id != owner.sf_id and o.slack_id != self.member_token_user]
                spare = next(f for f in (self._free(o.sf_id) for o in others) if len(f) >= n + 1)[-n:]
                for opportunity_id in spare:
                    self.set(opportunity_id, {"OwnerId": owner.sf_id})
                free = spare
            if len(free) >= n:
                _TAKEN.update(free[:n])
                return owner, free[:n]
        raise AssertionError(f"no owner with {n} open opportunities left (matched={matched}, user={slack_user})")

    def set(self, opportunity_id: str, values: dict[str, object], at: datetime | None = None) -> None:
        assert self.sf.store is not None
        self.sf.store.update("Opportunity", opportunity_id, values, at=at)

    def win(self, opportunity_id: str, stage: str = "Closed Won", at: datetime | None = None) -> datetime:
        """Move the opportunity to ``stage``; returns the signature time (the org's clock)."""
        moment = at or self.sf_now()
        self.set(opportunity_id, {"StageName": stage}, at=moment)
        return moment

    def sync(self) -> str:
        settle(self.sf, self.settings)
        result = sync_org(control_db(self.settings), self.settings, ALIAS)
        assert result.status == "completed", result.error
        return result.run_id

    def celebrate(self, run_id: str, now: datetime | None = None) -> CelebrationSummary:
        return celebrate(control_db(self.settings), self.settings, ALIAS, run_id, now=now or self.sf_now())

    def publish(self) -> None:
        publisher_from_settings(control_db(self.settings), self.settings).publish()
        store_permalinks(control_db(self.settings), self.settings)

    def apply(self, now: datetime | None = None) -> None:
        apply_banners(control_db(self.settings), self.settings, now)

    def status(self, slack_user: str) -> tuple[str, str, int]:
        api = self.slack.api
        assert api is not None
        with api.lock:
            p = api.world.users[slack_user].profile
            p.clear_expired_status(api.clock.now())
            return p.status_text, p.status_emoji, p.status_expiration

    def celebrations(self) -> list[dict[str, object]]:
        return self.control.rows("SELECT * FROM celebrations ORDER BY signed_at, opportunity_id")

    def outbox(self, kind: str | None = None) -> list[dict[str, object]]:
        if kind is None:
            return self.control.rows("SELECT * FROM outbox ORDER BY seq")
        return self.control.rows("SELECT * FROM outbox WHERE kind = ? ORDER BY seq", [kind])


def _clear_statuses(slack: SlackSandbox) -> None:
    api = slack.api
    assert api is not None
    with api.lock:
        for user in api.world.users.values():
            user.profile.status_text, user.profile.status_emoji, user.profile.status_expiration = "", "", 0


@pytest.fixture()
def cel(ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Celebrations]:
    assert slack_sandbox.info is not None
    monkeypatch.setenv("SALESHOME_SLACK_ADMIN_TOKEN", slack_sandbox.info.admin_token)
    monkeypatch.setenv("SALESHOME_SLACK_POSTS_PER_SECOND", "50")
    settings = load_settings()
    _clear_statuses(slack_sandbox)
    assert sync_org(control_db(settings), settings, ALIAS).status == "completed"  # the initial sync: silent
    with duckdb.connect(str(settings.org_db(ALIAS)), read_only=True) as db:
        users = [SalesforceUser(*row) for row in db.execute('SELECT "Id", "Email", "IsActive" FROM sf."User"').fetchall()]
    client, _ = web_client(slack_sandbox.info.bot_token, base_url=slack_sandbox.info.api_url)
    refresh_user_map(ControlDB(settings.control_db), ALIAS, users, client)
    ctx = SettingsContext(control_db(settings), settings)
    set_celebrations(ctx, people.sales_admin, enabled=True, message=MESSAGE, channels=["#deals-won"])
    yield Celebrations(settings, ctx, sf_sandbox, slack_sandbox, people, slack_sandbox.channel_id("deals-won"))
    _clear_statuses(slack_sandbox)


HOUR = timedelta(hours=1)
