"""Slack's object shapes: the user, profile, conversation, message and team objects as the Web
API returns them (docs "User object", "Conversation object", "Message object", ``team.info``)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from .ids import format_ts
from .messages import StoredMessage
from .world import Conversation, Team, User, World


def _image_urls(user: User) -> dict[str, str]:
    base = f"https://secure.gravatar.com/avatar/{user.profile.avatar_hash or 'slackbot'}.jpg?s="
    return {f"image_{size}": f"{base}{size}" for size in (24, 32, 48, 72, 192, 512)}


def profile_json(user: User, world: World, now: float, *, with_email: bool) -> dict[str, Any]:
    p = user.profile
    p.clear_expired_status(now)
    body: dict[str, Any] = {
        "title": p.title,
        "phone": p.phone,
        "skype": "",
        "real_name": p.real_name,
        "real_name_normalized": p.real_name,
        "display_name": p.display_name,
        "display_name_normalized": p.display_name,
        "fields": {},
        "status_text": p.status_text,
        "status_emoji": p.status_emoji,
        "status_emoji_display_info": [],
        "status_expiration": p.status_expiration,
        "avatar_hash": p.avatar_hash,
        "pronouns": p.pronouns,
        "first_name": p.first_name,
        "last_name": p.last_name,
        **_image_urls(user),
        "team": user.team_id,
    }
    if with_email and p.email and not user.is_bot:
        body["email"] = p.email
    if user.is_bot:
        body.update({"bot_id": user.bot_id, "api_app_id": user.app_id, "always_active": True})
    return body


def user_json(
    user: User, world: World, now: float, *, with_email: bool, include_locale: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": user.color,
        "real_name": user.profile.real_name,
    }
    if user.tz is not None:
        tz, label, offset = user.tz_fields(now)
        body.update({"tz": tz, "tz_label": label, "tz_offset": offset})
    body.update(
        {
            "profile": profile_json(user, world, now, with_email=with_email),
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": user.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": user.updated,
            "is_email_confirmed": not user.is_bot and user.id != "USLACKBOT",
            "who_can_share_contact_card": "EVERYONE",
            "enterprise_user": {
                "id": user.id,
                "enterprise_id": world.enterprise.id,
                "enterprise_name": world.enterprise.name,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": user.is_primary_owner,
                "teams": list(user.teams),
            },
        }
    )
    if include_locale:
        body["locale"] = user.locale
    return body


def conversation_json(
    conv: Conversation,
    world: World,
    viewer: str,
    *,
    include_num_members: bool = False,
) -> dict[str, Any]:
    """The conversation object as ``viewer`` (a user id) sees it."""
    if conv.kind == "im":
        other = world.users[conv.im_user] if conv.im_user else None
        return {
            "id": conv.id,
            "created": conv.created,
            "is_archived": conv.is_archived,
            "is_im": True,
            "is_org_shared": False,
            "context_team_id": conv.context_team_id,
            "updated": conv.updated,
            "user": conv.im_user,
            "is_user_deleted": bool(other and other.deleted),
            "priority": 0,
            "is_channel": False,
            "is_group": False,
            "is_mpim": False,
            "is_private": True,
            "is_shared": False,
            "is_ext_shared": False,
            "shared_team_ids": [conv.context_team_id],
            "connected_team_ids": [],
            "enterprise_id": world.enterprise.id,
        }
    body: dict[str, Any] = {
        "id": conv.id,
        "name": conv.name,
        "is_channel": conv.kind == "public" or (conv.kind == "private" and not conv.is_legacy_group),
        "is_group": conv.is_legacy_group or conv.kind == "mpim",  # group DMs are "groups" in Slack
        "is_im": False,
        "is_mpim": conv.kind == "mpim",
        "is_private": conv.is_private,
        "created": conv.created,
        "is_archived": conv.is_archived,
        "is_general": conv.is_general,
        "unlinked": 0,
        "name_normalized": conv.name,
        "is_shared": conv.is_ext_shared or conv.is_org_shared,
        "is_org_shared": conv.is_org_shared,
        "is_ext_shared": conv.is_ext_shared,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": conv.context_team_id,
        "updated": conv.updated,
        "parent_conversation": None,
        "creator": conv.creator,
        "shared_team_ids": list(conv.shared_team_ids),
        "connected_team_ids": list(conv.connected_team_ids),
        "pending_connected_team_ids": [],
        "enterprise_id": world.enterprise.id,
        "is_member": viewer in conv.members,
        "topic": {"value": conv.topic, "creator": "", "last_set": 0},
        "purpose": {"value": conv.purpose, "creator": conv.creator if conv.purpose else "", "last_set": conv.created},
        "previous_names": [],
    }
    if include_num_members:
        body["num_members"] = len(conv.members)
    return body


def _block_id(ts: str, index: int) -> str:
    return hashlib.sha1(f"{ts}:{index}".encode()).hexdigest()[:5].upper()


def message_json(
    m: StoredMessage, world: World, store_replies: list[StoredMessage], *, with_metadata: bool
) -> dict[str, Any]:
    """The message object of ``conversations.history`` and of the ``chat.*`` answers."""
    body: dict[str, Any] = {"type": "message"}
    if m.bot_id:
        body.update({"user": m.user, "bot_id": m.bot_id, "app_id": m.app_id})
    else:
        body["user"] = m.user
    body.update({"text": m.text, "ts": m.ts, "team": m.team_id})
    if m.blocks is not None:
        blocks = copy.deepcopy(m.blocks)
        for i, block in enumerate(blocks):
            if isinstance(block, dict):
                block.setdefault("block_id", _block_id(m.ts, i))
        body["blocks"] = blocks
    if m.bot_id:
        bot = world.users.get(m.user)
        body["bot_profile"] = {
            "id": m.bot_id,
            "app_id": m.app_id,
            "name": bot.profile.real_name if bot else "Sales Home",
            "deleted": False,
            "team_id": m.team_id,
            "icons": {"image_48": "https://a.slack-edge.com/bot-48.png"},
        }
    if m.edited_at is not None and m.edited_ts_us is not None:
        body["edited"] = {"user": m.user, "ts": format_ts(m.edited_ts_us)}
    if m.thread_ts_us is not None:
        body["thread_ts"] = m.thread_ts
    elif store_replies:
        body["thread_ts"] = m.ts
    if store_replies:
        body.update(
            {
                "reply_count": len(store_replies),
                "reply_users_count": len({r.user for r in store_replies}),
                "latest_reply": store_replies[-1].ts,
                "reply_users": sorted({r.user for r in store_replies}),
                "is_locked": False,
                "subscribed": False,
            }
        )
    if with_metadata and m.metadata is not None:
        body["metadata"] = copy.deepcopy(m.metadata)
    return body


def team_json(team: Team, world: World) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "url": f"https://{team.domain}.slack.com/",
        "domain": team.domain,
        "email_domain": team.email_domain,
        "icon": {"image_default": True, "image_34": "https://a.slack-edge.com/team-34.png"},
        "avatar_base_url": "https://ca.slack-edge.com/",
        "is_verified": False,
        "enterprise_id": world.enterprise.id,
        "enterprise_name": world.enterprise.name,
        "enterprise_domain": world.enterprise.domain,
    }
