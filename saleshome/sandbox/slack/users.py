"""``users.info``, ``users.list``, ``users.lookupByEmail``, ``users.profile.get`` and ``users.profile.set``."""

from __future__ import annotations

import re
from typing import Any

from .calls import Call, SlackError
from .ids import decode_cursor, encode_cursor
from .objects import profile_json, user_json
from .world import User

MAX_STATUS_TEXT = 100
MAX_PROFILE_FIELD = 255
_EMOJI = re.compile(r"^:[a-z0-9_+'\-]+(::skin-tone-[2-6])?:$")
_TEXT_FIELDS = ("first_name", "last_name", "real_name", "display_name", "title", "phone", "pronouns")


def users_info(call: Call) -> dict[str, Any]:
    user = call.user_arg()
    return {
        "user": user_json(
            user,
            call.world,
            call.now(),
            with_email=call.with_email(),
            include_locale=call.params.flag("include_locale"),
        )
    }


def users_list(call: Call) -> dict[str, Any]:
    """Every member of ``team_id`` (deactivated ones included, with ``deleted: true``), Slackbot and bots.

    Without ``limit`` (or with 0) the whole list comes in one page.
    """
    team_id = call.team_param(required=True)
    assert team_id is not None
    members = [u for u in call.world.users.values() if team_id in u.teams]
    limit = call.params.number("limit", 0, error="invalid_limit")
    limit = len(members) if limit <= 0 else min(limit, 1000)
    ids = [u.id for u in members]
    cursor = call.params.text("cursor")
    start = 0
    if cursor is not None:
        value = decode_cursor(cursor, "user")
        if value is None or value not in ids:
            raise SlackError("invalid_cursor")
        start = ids.index(value)
    page, rest = members[start : start + limit], members[start + limit :]
    now = call.now()
    return {
        "members": [
            user_json(
                u, call.world, now, with_email=call.with_email(), include_locale=call.params.flag("include_locale")
            )
            for u in page
        ],
        "cache_ts": int(now),
        "response_metadata": {"next_cursor": encode_cursor("user", rest[0].id) if rest else ""},
    }


def users_lookup_by_email(call: Call) -> dict[str, Any]:
    """Deactivated users, bots and unknown addresses are all ``users_not_found``."""
    email = call.params.text("email")
    user = call.world.user_by_email(email) if email else None
    if user is None or user.deleted or user.is_bot:
        raise SlackError("users_not_found")
    return {"user": user_json(user, call.world, call.now(), with_email=True)}


def users_profile_get(call: Call) -> dict[str, Any]:
    user = call.user_arg(default_self=True)
    return {"profile": profile_json(user, call.world, call.now(), with_email=call.with_email())}


def _profile_changes(call: Call) -> dict[str, Any]:
    if call.params.has("profile"):
        try:
            changes = call.params.parsed("profile")
        except ValueError:
            raise SlackError("invalid_profile") from None
        if not isinstance(changes, dict):
            raise SlackError("invalid_profile")
        return changes
    name = call.params.text("name")
    if name is None:
        raise SlackError("invalid_profile")
    return {name: call.params.values.get("value", "")}


def _invalid(message: str) -> SlackError:
    return SlackError("invalid_profile", response_metadata={"messages": [f"[ERROR] {message}"]})


def _check_permission(caller: User, target: User) -> None:
    """Slack: only admins and owners change someone else's profile, and only of a lower role."""
    if target.id == caller.id:
        return
    if caller.role_rank < 2:
        raise SlackError("not_admin")
    if target.is_bot and caller.role_rank < 3:
        raise SlackError("not_app_admin")
    if target.role_rank >= 2 and caller.role_rank <= target.role_rank:
        raise SlackError("cannot_update_admin_user")


def users_profile_set(call: Call) -> dict[str, Any]:
    """Needs a user token with ``users.profile:write``; ``user=`` needs an admin or owner (a paid plan)."""
    target = call.user_arg(default_self=True)
    if target.deleted:
        raise SlackError("user_not_found")
    _check_permission(call.user, target)
    changes = _profile_changes(call)
    profile = target.profile
    updates: dict[str, Any] = {}
    if "status_text" in changes:
        text = changes["status_text"]
        if not isinstance(text, str):
            raise _invalid("status_text must be a string")
        if len(text) > MAX_STATUS_TEXT:
            raise _invalid(f"status_text must be {MAX_STATUS_TEXT} characters or fewer")
        updates["status_text"] = text
    if "status_emoji" in changes:
        emoji = changes["status_emoji"]
        if not isinstance(emoji, str) or (emoji and not _EMOJI.match(emoji)):
            raise _invalid("status_emoji must look like :emoji_name:")
        updates["status_emoji"] = emoji
    if "status_expiration" in changes:
        try:
            expiration = int(changes["status_expiration"])
        except (TypeError, ValueError):
            raise _invalid("status_expiration must be a Unix time (0 for none)") from None
        if expiration < 0:
            raise _invalid("status_expiration must be a Unix time (0 for none)")
        updates["status_expiration"] = expiration
    elif "status_text" in updates or "status_emoji" in updates:
        updates["status_expiration"] = 0
    for name in _TEXT_FIELDS:
        if name in changes:
            value = changes[name]
            if not isinstance(value, str) or len(value) > MAX_PROFILE_FIELD:
                raise _invalid(f"{name} must be a string of at most {MAX_PROFILE_FIELD} characters")
            updates[name] = value
    if "email" in changes:
        if call.user.role_rank < 2:
            raise SlackError("not_admin")
        other = call.world.user_by_email(str(changes["email"]))
        if other is not None and other.id != target.id:
            raise SlackError("email_taken")
        updates["email"] = str(changes["email"])
    for name, value in updates.items():
        setattr(profile, name, value)
    target.updated = int(call.now())
    return {"username": target.name, "profile": profile_json(target, call.world, call.now(), with_email=True)}
