"""The outbox's states and kinds (``outbox.state``, ``outbox.kind``), apart from the outbox module.

Kept light: the CLI's option parsing and listings import them without the outbox.
``StrEnum`` members equal their strings, so what is stored, read back and compared stays the
plain text the control database holds (``'pending'``, ``'banner'``...).

States: ``pending`` (to send) → ``sending`` (claimed: it may have reached Slack, so it is checked
against the channel's history before any new attempt) → ``sent`` | ``dead`` (permanent failure,
with its reason) | ``blocked`` (a restriction forbids it).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["QUEUED", "UNDELIVERED", "OutboxKind", "OutboxState"]


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    BLOCKED = "blocked"


class OutboxKind(StrEnum):
    NOTIFICATION = "notification"  # an immediate notification (a channel or a DM)
    DIGEST = "digest"  # a member's digest of notifications
    CELEBRATION = "celebration"  # a won deal's message in a celebration channel
    BANNER = "banner"  # a won deal's profile status (set by saleshome.celebrate.banner, not posted)


QUEUED = (OutboxState.PENDING, OutboxState.SENDING)  # still to deliver
UNDELIVERED = (OutboxState.DEAD, OutboxState.BLOCKED)  # the dead letters: an operator acts, then retries
