"""Digests: notification items accumulated per recipient, sent at the recipient's local hour.

:func:`run_digests` is what the hourly digest flow calls.  For each recipient and schedule
(``daily@09``, ``weekly-mon@09``) with waiting items, it looks at the recipient's local time
(time zone from the Slack user map; channels use UTC): once the hour has come (and, weekly,
on the day), and if no digest went to them for this period yet, one message grouping the
items by notification, each group under the notification's title, goes to the outbox (beyond
Block Kit's limits, "…and N more" links to the object's list in Salesforce).  It is written in
the recipient's language (:mod:`.readers`), and its footer names the period — the recipient's
local day or week — as they write dates.  The digest, its items and the period it covers
are written in one control-database transaction: an item is never in two digests and a
recipient never gets two digests for one period (``digest_sends`` is keyed by recipient,
schedule and period; the outbox key is derived from them too).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from saleshome.config import Settings
from saleshome.i18n import Formatter, messages
from saleshome.settings.notifications.catalog import WEEKDAYS
from saleshome.slack.text import escape
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.outbox import OutboxMessage, enqueue, idempotency_key
from saleshome.warehouse.outbox_states import OutboxKind

from .readers import read_readers
from .render import DigestGroup, digest_message, list_url, period_text
from .titles import title_of


@dataclass
class DigestSummary:
    sent: int = 0  # digests queued in the outbox
    items: int = 0  # items they carry
    waiting: int = 0  # recipients with items whose hour has not come (or already served this period)
    recipients: list[str] = field(default_factory=list)


def _zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz) if tz else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def due_period(schedule: str, tz: str | None, now: datetime) -> str | None:
    """The period a digest of ``schedule`` covers at ``now`` in ``tz``, or None when its hour has not come."""
    kind, _, hour = schedule.partition("@")
    local = now.astimezone(_zone(tz))
    if local.hour < int(hour):
        return None
    if kind == "daily":
        return local.date().isoformat()
    weekday = kind.removeprefix("weekly-")
    if WEEKDAYS[local.weekday()] != weekday:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class _Watched:
    """What a digest shows of a notification: its title (None: the template's), template, object, list URL."""

    title: str | None
    template: str
    object: str
    list_url: str | None


def _watched(db: Tx, ids: set[str]) -> dict[str, _Watched]:
    """Per notification still there, its title and the list in Salesforce of the object it watches (the
    "…and N more" link)."""
    if not ids:
        return {}
    rows = db.execute("SELECT n.id, n.definition, n.template, n.object, "
                      "o.instance_url FROM notifications n LEFT JOIN orgs o ON o.alias = n.alias "
                      f"WHERE n.id IN ({db.elements()})", [sorted(ids)]).fetchall()
    watched = {nid: _Watched(json.loads(definition).get("spec", {}).get("title"), template, obj,
                             list_url(url, obj) if url else None)
               for nid, definition, template, obj, url in rows}
    # Members' subscriptions (issue 20 §2): titled by their template, in the reader's language.
    rows = db.execute("SELECT s.id, s.template, s.object, o.instance_url FROM member_subscriptions s "
                      f"LEFT JOIN orgs o ON o.alias = s.alias WHERE s.id IN ({db.elements()})",
                      [sorted(ids - set(watched))]).fetchall()
    watched.update({sid: _Watched(None, template, obj, list_url(url, obj) if url else None)
                    for sid, template, obj, url in rows})
    return watched


def run_digests(control: ControlDB, settings: Settings, now: datetime | None = None) -> DigestSummary:
    """Queue the digests that are due at ``now`` (default: the present); safe to run any number of times."""
    now = now or datetime.now(UTC)
    summary = DigestSummary()
    with control.transaction() as db:
        cur = db.execute("SELECT key, recipient, schedule, team_id, tz, alias, notification_id, notification_name, line, "
                         "created_at FROM digest_items WHERE digest_key IS NULL ORDER BY created_at, key")
        names = [d[0] for d in cur.description or []]
        pending = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        watched = _watched(db, {i["notification_id"] for i in pending})
        readers = read_readers(db, settings.workspace)
        groups: OrderedDict[tuple[str, str], list[dict[str, Any]]] = OrderedDict()
        for item in pending:
            groups.setdefault((item["recipient"], item["schedule"]), []).append(item)
        outgoing: list[OutboxMessage] = []
        for (recipient, schedule), items in groups.items():
            tz = next((i["tz"] for i in reversed(items) if i["tz"]), None)
            period = due_period(schedule, tz, now)
            if period is None or db.execute(
                "SELECT 1 FROM digest_sends WHERE recipient = ? AND schedule = ? AND period = ?",
                [recipient, schedule, period],
            ).fetchone():
                summary.waiting += 1
                continue
            orgs = sorted({i["alias"] for i in items})
            by_notification: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
            for item in items:
                by_notification.setdefault(item["notification_id"], []).append(item)
            reader = readers.of(recipient, tz)
            words = messages(reader.locale, "notify")
            digest_groups = []
            for nid, its in by_notification.items():
                seen = watched.get(nid)
                name = title_of(seen.title, seen.template, seen.object, words) if seen else its[-1]["notification_name"]
                digest_groups.append(DigestGroup(name + ("" if len(orgs) == 1 else f" ({its[-1]['alias']})"),
                                                 [i["line"] for i in its], seen.list_url if seen else None,
                                                 (its[-1]["alias"], seen.object) if seen else None))
            key = idempotency_key("digest", recipient, schedule, period)
            title = words.gettext("Your Sales Home digest") if schedule.startswith("daily") \
                else words.gettext("Your weekly Sales Home digest")
            footer = words.ngettext("{period} · {n} update · org {orgs}", "{period} · {n} updates · org {orgs}",
                                    len(items), orgs=", ".join(orgs),
                                    period=period_text(period, Formatter.for_reader(reader.locale, reader.tz), words))
            text, blocks = digest_message(title, digest_groups, escape(footer), words)
            outgoing.append(OutboxMessage(key=key, kind=OutboxKind.DIGEST, channel=recipient, text=text, blocks=blocks,
                                          alias=orgs[0] if len(orgs) == 1 else None, team_id=items[-1]["team_id"]))
            db.execute(f"UPDATE digest_items SET digest_key = ? WHERE key IN ({db.elements()})",
                       [key, [i["key"] for i in items]])
            db.execute("INSERT INTO digest_sends VALUES (?, ?, ?, ?, ?, ?)",
                       [recipient, schedule, period, key, len(items), now])
            summary.sent += 1
            summary.items += len(items)
            summary.recipients.append(recipient)
        enqueue(db, outgoing)
    return summary


def waiting_items(control: ControlDB) -> int:
    """Digest items not in a digest yet (``run_digests`` queues them once their recipient's hour has come)."""
    rows = control.rows("SELECT count(*) AS n FROM digest_items WHERE digest_key IS NULL")
    return int(rows[0]["n"]) if rows else 0
