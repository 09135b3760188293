"""Restrictions stored through the settings are what the publisher built from the settings enforces.

Each message is queued first; the sales admin then changes the restrictions (``set_restrictions``,
as ``saleshome restrictions set`` does); the publisher made by ``publisher_from_settings`` blocks
what the stored restrictions forbid, records why, and sends the rest.
"""

from __future__ import annotations

from pathlib import Path

from saleshome.config import Settings
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.publish.setup import publisher_from_settings
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.changes import set_restrictions
from saleshome.settings.context import SettingsContext
from saleshome.settings.restrictions import load_restrictions
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.outbox import OutboxMessage, idempotency_key
from tests.fixtures.outbox import put
from tests.fixtures.slack_workspace import make_ready

DIRECT = "restricted: direct conversations may not receive notifications"
PUBLIC = "restricted: public conversations may not receive notifications"


def _settings(slack: SlackSandbox, home: Path) -> Settings:
    assert slack.info is not None
    return Settings(home=home, slack_bot_token=slack.info.bot_token, slack_api_url=slack.info.api_url,  # type: ignore[arg-type]
                    slack_posts_per_second=50)


def _message(tag: str, channel: str) -> OutboxMessage:
    return OutboxMessage(idempotency_key("restricted", tag), "notification", channel, f"{tag} message")


def _outcomes(control: ControlDB, tags: list[str]) -> dict[str, tuple[str, str | None]]:
    wanted = {idempotency_key("restricted", t): t for t in tags}
    rows = control.rows("SELECT key, state, last_error FROM outbox")
    return {wanted[r["key"]]: (r["state"], r["last_error"]) for r in rows if r["key"] in wanted}


def _posted(slack: SlackSandbox) -> set[str]:
    return {m.text for m in slack.messages(event_type=METADATA_EVENT) if not m.deleted}


def test_stored_restrictions_block_dms_public_channels_and_other_workspaces(
    slack: SlackSandbox, tmp_path: Path
) -> None:
    settings = _settings(slack, tmp_path)
    admin = make_ready(settings, slack)
    ctx = SettingsContext(control_db(settings), settings)
    control = ControlDB(settings.control_db)
    world = slack.world
    [mpim] = [c for c in world.conversations.values() if c.kind == "mpim"]
    [dm] = [c for c in world.conversations.values() if c.kind == "im"]
    assert dm.im_user is not None
    main_team, emea_team = world.org_team_ids
    sales, leadership = slack.channel_id("sales"), slack.channel_id("sales-leadership")
    emea = slack.channel_id("emea-pipeline")

    # 1. No direct messages: the group DM, the existing DM (by its D id) and a DM to a user id are blocked.
    first = ["mpim", "dm", "user", "public-1"]
    put(control, [_message("mpim", mpim.id), _message("dm", dm.id), _message("user", dm.im_user),
                  _message("public-1", sales)])
    set_restrictions(ctx, admin, channel_types=["public", "private"])
    assert load_restrictions(control, settings.workspace).allow_direct is False
    stats = publisher_from_settings(control_db(settings), settings).publish()
    assert _outcomes(control, first) == {
        "mpim": ("blocked", DIRECT), "dm": ("blocked", DIRECT), "user": ("blocked", DIRECT),
        "public-1": ("sent", None),
    }
    assert (stats.sent, stats.blocked, stats.blocked_reasons) == (1, 3, {DIRECT: 3})
    assert _posted(slack) == {"public-1 message"}

    # 2. Direct and private only: the public channel is blocked, the group DM and the private channel get theirs.
    second = ["public-2", "private", "mpim-2"]
    put(control, [_message("public-2", sales), _message("private", leadership), _message("mpim-2", mpim.id)])
    set_restrictions(ctx, admin, channel_types=["private", "direct"])
    stats = publisher_from_settings(control_db(settings), settings).publish()
    assert _outcomes(control, second) == {
        "public-2": ("blocked", PUBLIC), "private": ("sent", None), "mpim-2": ("sent", None),
    }
    assert (stats.sent, stats.blocked) == (2, 1)
    assert [m.text for m in slack.messages(mpim.id) if m.event_type == METADATA_EVENT] == ["mpim-2 message"]

    # 3. Only the main workspace: a channel of the EMEA workspace is blocked.
    third = ["emea", "public-3"]
    put(control, [_message("emea", emea), _message("public-3", sales)])
    set_restrictions(ctx, admin, channel_types=["public", "private", "direct"], workspaces=[main_team])
    assert load_restrictions(control, settings.workspace).allowed_teams == [main_team]
    stats = publisher_from_settings(control_db(settings), settings).publish()
    assert _outcomes(control, third) == {
        "emea": ("blocked", f"restricted: workspace {emea_team} may not receive notifications"),
        "public-3": ("sent", None),
    }
    assert (stats.sent, stats.blocked) == (1, 1)
    assert _posted(slack) == {"public-1 message", "private message", "mpim-2 message", "public-3 message"}
    assert not [m for m in slack.messages(emea) if m.event_type == METADATA_EVENT]
