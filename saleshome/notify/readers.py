"""Who reads a message: the locale and time zone each recipient gets, from the control store.

Issue 16.2's rule, as :mod:`saleshome.settings.locales` states it: a DM reads its recipient's
Slack locale (``user_map.locale``, else the workspace's default), in their time zone; a channel
reads the workspace's default (``en-US`` unless changed) in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from saleshome.settings.locales import locale_in, reader_locale
from saleshome.warehouse.control import Tx
from saleshome.warehouse.control_tables import LINKED

from .fields import Reader


@dataclass(frozen=True)
class Readers:
    """The workspace's channel reader and its members' (Slack user Id → reader)."""

    channel: Reader
    members: dict[str, Reader] = field(default_factory=dict)

    def of(self, recipient: str, tz: str | None = None) -> Reader:
        """The reader of ``recipient`` (a Slack user or channel Id); ``tz`` overrides a member's zone."""
        member = self.members.get(recipient)
        if member is None:
            return self.channel
        return Reader(member.locale, tz or member.tz)


def read_readers(db: Tx, workspace: str) -> Readers:
    """The readers of ``workspace``: its default locale for channels, each mapped member's own (the rule is
    :mod:`saleshome.settings.locales`')."""
    default = locale_in(db, workspace)
    members = {str(slack_id): Reader(reader_locale(locale, default), tz) for slack_id, locale, tz in
               db.execute("SELECT slack_user_id, max(locale), max(tz) FROM user_map "
                          f"WHERE {LINKED} AND slack_user_id IS NOT NULL GROUP BY slack_user_id").fetchall()}
    return Readers(Reader(default, None), members)
