"""Helpers for notification tests: an org synced once (initial sync) with its users mapped to Slack.

The sandboxes (this folder's own pair), people and a ready workspace: ``tests/fixtures/workspace.py``."""

from __future__ import annotations

from saleshome.config import Settings
from saleshome.publish.publisher import web_client
from saleshome.sync.engine import sync_org
from saleshome.sync.users import SalesforceUser, refresh_user_map
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.workspace import ALIAS


def initial_sync_and_map(settings: Settings) -> str:
    """The initial (silent) sync of org ``acme``, then its users mapped to Slack by email; returns the run id."""
    result = sync_org(control_db(settings), settings, ALIAS)
    assert result.status == "completed", result
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        users = [SalesforceUser(r[0], r[1], bool(r[2]))
                 for r in wh.conn.execute('SELECT "Id", "Email", "IsActive" FROM sf."User"').fetchall()]
    assert settings.slack_bot_token is not None
    client, _ = web_client(settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    refresh_user_map(ControlDB(settings.control_db), ALIAS, users, client)
    return result.run_id
