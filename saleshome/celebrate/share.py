"""Sharing a celebration: the permalink of each posted message, and the list of recent celebrations.

Once the publisher has posted a celebration message (outbox ``sent``, with its channel and
``ts``), :func:`store_permalinks` asks Slack for its permalink (``chat.getPermalink``, bot
token) and keeps it in the outbox row.  Anyone can paste that link into any conversation: Slack
unfurls it into a preview of the celebration for the people who can see the channel (or they
use *Share message* in the message's menu).  :func:`recent_celebrations` lists them with their
permalinks (the CLI and the demo print it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.config import Settings
from saleshome.errors import ConfigurationError
from saleshome.publish.publisher import web_client
from saleshome.slack.errors import SlackErrorFamily, error_code, error_family, slack_error
from saleshome.warehouse.control import ControlDB

from .celebration import MESSAGE_KIND


@dataclass
class PermalinkStats:
    stored: int = 0
    missing: int = 0  # Slack no longer has the message (deleted): nothing to share


def store_permalinks(
    control: ControlDB, settings: Settings, *, token: str | None = None, client: WebClient | None = None,
    limit: int = 1000,
) -> PermalinkStats:
    """Fetch and keep the permalink of every posted celebration message that has none yet."""
    rows = control.rows(
        "SELECT key, sent_channel, sent_ts FROM outbox WHERE kind = ? AND state = 'sent' AND permalink IS NULL "
        "AND sent_ts IS NOT NULL ORDER BY seq LIMIT ?", [MESSAGE_KIND, limit],
    )
    stats = PermalinkStats()
    if not rows:
        return stats
    if client is None:
        secret = token or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None)
        if not secret:
            raise ConfigurationError("no Slack bot token", hint="set SALESHOME_SLACK_BOT_TOKEN")
        client, _ = web_client(secret, base_url=settings.slack_api_url)
    found: list[tuple[str, str]] = []
    for row in rows:
        try:
            permalink = str(client.chat_getPermalink(channel=row["sent_channel"], message_ts=row["sent_ts"])["permalink"])
        except SlackApiError as exc:
            error = error_code(exc)
            if error_family(error) is SlackErrorFamily.AUTH:
                raise slack_error(exc, "the bot token") from None
            if error in ("message_not_found", "channel_not_found"):
                stats.missing += 1
                found.append((row["key"], ""))  # asked once: an empty permalink means "gone"
            continue
        found.append((row["key"], permalink))
        stats.stored += 1
    with control.transaction() as db:
        for key, permalink in found:
            db.execute("UPDATE outbox SET permalink = ? WHERE key = ?", [permalink, key])
    return stats


def recent_celebrations(control: ControlDB, *, alias: str | None = None, since: datetime | None = None,
                        limit: int = 50) -> list[dict[str, Any]]:
    """Celebrations, newest first, with their banner outcome and the permalinks of their messages."""
    where: list[str] = ["true"]
    params: list[Any] = []
    if alias is not None:
        where.append("c.alias = ?")
        params.append(alias)
    if since is not None:
        where.append("c.signed_at >= ?")
        params.append(since)
    with control.reading() as db:
        rows = db.rows(
            "SELECT c.alias, c.opportunity_id, c.signed_at, c.expires_at, c.slack_user_id, c.stage, c.amount, "
            "c.currency, c.status_emoji, c.status_text, c.banner_state, c.banner_reason, c.message_keys "
            f"FROM celebrations c WHERE {' AND '.join(where)} ORDER BY c.signed_at DESC LIMIT ?", [*params, limit])
        keys = sorted({k for r in rows for k in r["message_keys"]})
        sent = {k: (seq, permalink, state) for k, seq, permalink, state in db.execute(
            f"SELECT key, seq, permalink, state FROM outbox WHERE key IN ({db.elements()})", [keys]).fetchall()}
    for row in rows:
        messages = sorted(sent[k] for k in row.pop("message_keys") if k in sent)
        row["permalinks"] = [p for _, p, _ in messages if p] or None
        row["message_states"] = [state for _, _, state in messages] or None
    return rows
