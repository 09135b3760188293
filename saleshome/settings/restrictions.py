"""Notification restrictions, enforced by the publisher for every message at send time.

Channel restrictions: which conversation types may receive Sales Home messages (public,
private, direct and group direct messages) and whether Slack Connect external channels
count; workspace restrictions: which workspaces of an Enterprise organisation may receive
them.  Whatever was configured when a message was produced, the settings in force at
publish time decide.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from saleshome.warehouse.control import ControlDB, Tx


class Restrictions(BaseModel):
    """Defaults: every channel type, no Slack Connect external channel, every workspace."""

    allow_public: bool = True
    allow_private: bool = True
    allow_direct: bool = True
    include_external: bool = False
    allowed_teams: list[str] | None = None


def load_restrictions(control: ControlDB, workspace: str) -> Restrictions:
    rows = control.rows("SELECT * FROM notification_restrictions WHERE workspace = ?", [workspace])
    if not rows:
        return Restrictions()
    row = rows[0]
    return Restrictions(
        allow_public=row["allow_public"], allow_private=row["allow_private"], allow_direct=row["allow_direct"],
        include_external=row["include_external"], allowed_teams=row["allowed_teams"],
    )


def save_restrictions(control: ControlDB, workspace: str, restrictions: Restrictions) -> None:
    """Store ``restrictions`` as they are: no check, no audit.

    Sales admins change restrictions through ``saleshome.settings`` (``saleshome restrictions
    set``, a settings import), which validates the workspaces in Slack, checks the actor and
    records the change in the audit log.
    """
    with control.transaction() as db:
        write_restrictions(db, workspace, restrictions)


def write_restrictions(db: Tx, workspace: str, restrictions: Restrictions) -> None:
    """Store ``restrictions`` inside the caller's transaction."""
    db.upsert("notification_restrictions", {
        "workspace": workspace, "allow_public": restrictions.allow_public, "allow_private": restrictions.allow_private,
        "allow_direct": restrictions.allow_direct, "include_external": restrictions.include_external,
        "allowed_teams": restrictions.allowed_teams, "updated_at": datetime.now(UTC)})


def conversation_kind(conversation: dict[str, Any]) -> str:
    if conversation.get("is_im") or conversation.get("is_mpim"):
        return "direct"
    return "private" if conversation.get("is_private") else "public"


def blocked_reason(restrictions: Restrictions, conversation: dict[str, Any], team_id: str | None) -> str | None:
    """Why this conversation may not receive a Sales Home message now (None: it may)."""
    kind = conversation_kind(conversation)
    allowed = {"public": restrictions.allow_public, "private": restrictions.allow_private,
               "direct": restrictions.allow_direct}[kind]
    if not allowed:
        return f"restricted: {kind} conversations may not receive notifications"
    if conversation.get("is_ext_shared") and not restrictions.include_external:
        return "restricted: Slack Connect external channels are excluded"
    team = conversation.get("context_team_id") or team_id
    if restrictions.allowed_teams is not None and team not in restrictions.allowed_teams:
        return f"restricted: workspace {team} may not receive notifications"
    return None
