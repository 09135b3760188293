"""Channels in the client: which ones a person sees in the sidebar, and a channel's messages with live blocks.

A person sees the channels of their workspaces that are not archived and that are public or have them
as a member (direct messages aside).  A channel shows its last :data:`SHOWN` top-level messages, oldest
first; a message's blocks are drawn by ``viewer_surface.SurfaceRenderer`` with the block ids the Web
API gives them (``objects.message_json``), so using a button, select, overflow, checkbox or date
picker of an actions block or a section accessory sends ``block_actions`` from that message
(``channel`` and ``message_ts`` on the ``article``).  Callers hold the API's lock.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .api import SlackApi
from .messages import StoredMessage
from .objects import message_json
from .viewer_blocks import esc, when
from .viewer_surface import SurfaceRenderer
from .world import Conversation, User

SHOWN = 50


def visible_channels(api: SlackApi, user: User) -> list[Conversation]:
    """The channels ``user`` finds in the sidebar, by name."""
    found = [
        c
        for c in api.world.conversations.values()
        if c.kind in ("public", "private")
        and not c.is_archived
        and any(t in user.teams for t in c.teams)
        and (c.kind == "public" or user.id in c.members)
    ]
    return sorted(found, key=lambda c: c.name)


def can_read(api: SlackApi, user: User, channel_id: str) -> Conversation | None:
    conv = api.world.conversations.get(channel_id)
    return conv if conv is not None and conv in visible_channels(api, user) else None


def message_blocks(api: SlackApi, channel: str, ts_us: int) -> list[Any] | None:
    """The blocks of a live message as the Web API shows them (block ids filled), None when there is none."""
    stored = api.messages.get(channel, ts_us)
    if stored is None or stored.deleted_at is not None:
        return None
    return list(message_json(stored, api.world, [], with_metadata=False).get("blocks") or [])


def _message(api: SlackApi, user: User, m: StoredMessage) -> str:
    author = api.world.users.get(m.user)
    name = author.profile.real_name if author else m.user
    flag = '<span class="app">APP</span>' if m.bot_id else ""
    renderer = SurfaceRenderer(api.world, user.team_id, {}, prefix=f"m{m.ts_us}", zone=user.zone)
    blocks = message_blocks(api, m.channel, m.ts_us)
    body = renderer.surface({"blocks": blocks}) if blocks else f'<div class="text">{renderer.mrkdwn(m.text)}</div>'
    return (
        f'<article class="msg" data-channel="{esc(m.channel)}" data-ts="{esc(m.ts)}">'
        f'<div class="meta"><span class="author">{esc(name)}</span>{flag} <time>{esc(when(m.ts_us / 1e6))}</time>'
        f"</div>{body}</article>"
    )


def channel_part(api: SlackApi, user: User, conv: Conversation) -> dict[str, str]:
    """The channel's messages as HTML, with a version that changes when anything shown changes."""
    shown = [m for m in api.messages.all_of(conv.id) if not m.is_reply and m.deleted_at is None][-SHOWN:]
    items = "".join(_message(api, user, m) for m in shown) or "<p>No messages yet.</p>"
    html = f'<div class="surface channel-view">{items}</div>'
    return {"channel": conv.id, "version": hashlib.sha1(html.encode()).hexdigest(), "html": html}
