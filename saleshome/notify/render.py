"""Block Kit for notifications and digests: escaped Salesforce text, within Slack's limits.

A notification: a header (the title), the record's name linked to the record in Salesforce
(instance URL + Id), old → new for the fields that changed, the fields shown (the record
layout by default), and a context line (notification name, org).  A digest: one message per
recipient and period, grouped by notification; beyond Block Kit's limits, "and N more" with a
link to the object's list in Salesforce.  Every message has a plain-text ``text`` fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from saleshome.slack.text import (
    FIELD_TEXT_MAX,
    HEADER_TEXT_MAX,
    MAX_BLOCKS,
    MAX_FIELDS,
    SECTION_TEXT_MAX,
    escape,
    escape_within,
    link,
    link_within,
    truncate,
)

TEXT_FALLBACK_MAX = 3000
DIGEST_ITEMS_PER_GROUP = 10


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None
    new: str | None


def show(value: Any) -> str:
    """A value as a person reads it (not escaped)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}".removesuffix(".00")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def show_text(value: str | None) -> str:
    """A change-log text value as a person reads it."""
    if value is None or value == "":
        return "—"
    if value in ("true", "false"):
        return "Yes" if value == "true" else "No"
    return value.removesuffix(".00") if value.replace(".", "", 1).lstrip("-").isdigit() else value


def record_url(instance_url: str, record_id: str) -> str:
    return f"{instance_url.rstrip('/')}/{record_id}"


@dataclass(frozen=True)
class RenderedRecord:
    """What a message says about one record (built once, sent to each recipient)."""

    title: str
    record_name: str
    url: str
    changes: list[Change]
    fields: list[tuple[str, str]]  # (label, value) shown
    context: str


def change_line(change: Change, label: str) -> str:
    return f"*{escape(label)}*: {escape(show_text(change.old))} → {escape(show_text(change.new))}"


def notification_message(r: RenderedRecord, labels: Mapping[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """(plain-text fallback, blocks) of one notification."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(r.title or "Sales Home", HEADER_TEXT_MAX),
                                    "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": link_within(r.url, r.record_name, SECTION_TEXT_MAX, wrap="*")}},
    ]
    if r.changes:
        lines = [change_line(c, labels.get(c.field, c.field)) for c in r.changes]
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _fit_lines(lines, SECTION_TEXT_MAX)}})
    fields = [{"type": "mrkdwn", "text": _field_text(label, value)} for label, value in r.fields]
    room = MAX_BLOCKS - len(blocks) - 1
    for start in range(0, len(fields), MAX_FIELDS):
        if room <= 0:
            break
        blocks.append({"type": "section", "fields": fields[start:start + MAX_FIELDS]})
        room -= 1
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                    "text": escape_within(r.context, SECTION_TEXT_MAX)}]})
    changes = "; ".join(f"{labels.get(c.field, c.field)}: {show_text(c.old)} → {show_text(c.new)}" for c in r.changes)
    text = f"{r.title}: {r.record_name}" + (f" ({changes})" if changes else "")
    return escape_within(text, TEXT_FALLBACK_MAX), blocks


def _field_text(label: str, value: str) -> str:
    """``*label*`` and the value below it, in at most FIELD_TEXT_MAX characters (the value cut first)."""
    head = f"*{escape_within(label, 200)}*\n"
    return head + escape_within(value, FIELD_TEXT_MAX - len(head))


def digest_line(r: RenderedRecord, labels: Mapping[str, str]) -> str:
    """One digest item, as escaped mrkdwn (kept with the item until the digest goes out)."""
    parts = [change_line(c, labels.get(c.field, c.field)) for c in r.changes[:3]]
    return truncate(f"• {link(r.url, r.record_name)}" + (" — " + ", ".join(parts) if parts else ""), 600)


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    out: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        more = f"…and {len(lines) - i} more"
        if size + len(line) + 1 > limit - len(more) - 1:
            out.append(more)
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) or "—"


def list_url(instance_url: str, object_name: str) -> str:
    """The object's list in Salesforce (Lightning list view page: the user's last list view of it)."""
    return f"{instance_url.rstrip('/')}/lightning/o/{quote(object_name, safe='')}/list"


@dataclass(frozen=True)
class DigestGroup:
    """One notification's items in a digest; ``more_url``: where to see the items left out (the
    object's list in Salesforce), None when unknown (the notification was deleted since)."""

    name: str
    items: Sequence[str]
    more_url: str | None = None


def _more(count: int, url: str | None) -> str:
    text = f"…and {count} more"
    return text + (f" · {link(url, 'see them in Salesforce')}" if url else "")


def _items_text(items: Sequence[str], url: str | None, *, cap: int, limit: int) -> str:
    """At most ``cap`` items within ``limit`` characters, then "…and N more" with the link."""
    shown: list[str] = []
    size = 0
    for i, line in enumerate(items[:cap]):
        reserve = len(_more(len(items) - i, url)) + 1 if len(items) > i + 1 else 0
        if size + len(line) + 1 > limit - reserve:
            break
        shown.append(line)
        size += len(line) + 1
    if len(shown) < len(items):
        shown.append(_more(len(items) - len(shown), url))
    return "\n".join(shown) or "—"


def _other_groups_text(groups: Sequence[DigestGroup], limit: int) -> str:
    """The groups with no room left in the message: per notification its count and link."""
    total = sum(len(g.items) for g in groups)
    head = f"…and {total} more from {len(groups)} other notification{'s' if len(groups) != 1 else ''}:"
    lines = [f"• *{escape(g.name)}* ({len(g.items)})" + (f" · {link(g.more_url, 'see them in Salesforce')}"
                                                         if g.more_url else "") for g in groups]
    return _fit_lines([head, *lines], limit)


def digest_message(title: str, groups: Sequence[DigestGroup], context: str) -> tuple[str, list[dict[str, Any]]]:
    """(fallback, blocks) of a digest: per notification its name, count and items; beyond Block Kit's
    limits (items per group, characters per section, blocks per message), "…and N more" with a link to
    the object's list in Salesforce."""
    total = sum(len(g.items) for g in groups)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_TEXT_MAX), "emoji": True}},
    ]
    room = MAX_BLOCKS - 3  # the header, the context line and a last "and N more"
    shown_groups = 0
    for g in groups:
        if room < 2:
            break
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(
            f"*{escape(g.name)}* ({len(g.items)})", SECTION_TEXT_MAX)}})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _items_text(
            g.items, g.more_url, cap=DIGEST_ITEMS_PER_GROUP, limit=SECTION_TEXT_MAX)}})
        room -= 2
        shown_groups += 1
    if shown_groups < len(groups):
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _other_groups_text(groups[shown_groups:], SECTION_TEXT_MAX)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(escape(context),
                                                                                      SECTION_TEXT_MAX)}]})
    text = f"{title}: {total} update{'s' if total != 1 else ''} from " + ", ".join(g.name for g in groups)
    return truncate(escape(text), TEXT_FALLBACK_MAX), blocks[:MAX_BLOCKS]
