"""Block Kit for notifications and digests: escaped Salesforce text, within Slack's limits, in the reader's language.

A notification: a header (the title), the record's name (the name field) with a "View in
Salesforce" button (the record's URL), old → new for the fields that changed, the fields shown
(the record layout by default), and a context line (notification name, object, org).  Labels
and values come in already formatted for the reader (:mod:`.fields`); every word of ours comes
from the ``notify`` catalog in the reader's language.  A digest: one message per recipient and
period, grouped by notification (each under its title); beyond Block Kit's limits — items per
group, characters per section, blocks per message, and the ~12,000 characters of text Slack
accepts in a message's blocks (:data:`saleshome.slack.text.BLOCKS_TEXT_MAX`) — "…and N more"
with a link to the object's list in Salesforce.  Every message has a plain-text ``text`` fallback.

Editing from a message: a notification about a record carries an **Edit** button (action ``edit_record``, the
Slack app's) whose value is the record reference only — ``{"a": alias, "o": object, "r": record id}``
(:func:`saleshome.slack.records.edit_value`), never a value of the record — and a digest, per notification, an "Edit a record" select of its
records (each option: the record's name, already in the digest, and its reference).  Whoever clicks edits with
their own Salesforce access (the app reads the record as them).  The publisher copies a message's record reference
into its metadata (:func:`saleshome.slack.records.record_ref`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from saleshome.i18n import Formatter, Messages
from saleshome.slack.records import EDIT_ACTION, edit_value
from saleshome.slack.text import (
    BLOCKS_TEXT_MAX,
    FIELD_TEXT_MAX,
    HEADER_TEXT_MAX,
    MAX_BLOCKS,
    MAX_FIELDS,
    SECTION_TEXT_MAX,
    blocks_text_length,
    escape,
    escape_within,
    link,
    truncate,
)

from .fields import Shown

TEXT_FALLBACK_MAX = 3000
DIGEST_ITEMS_PER_GROUP = 10
DIGEST_LINE_MAX = 600
DIGEST_CHANGES = 3  # changes on one digest line


OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
MAX_OPTIONS = 100


@dataclass(frozen=True)
class Change:
    """A field's change as the change log holds it (API name, old and new value as text)."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ChangeLine:
    """One field's change, as its reader reads it."""

    label: str
    old: Shown
    new: Shown

    def mrkdwn(self) -> str:
        return f"*{escape(self.label)}*: {self.old.mrkdwn()} → {self.new.mrkdwn()}"

    def plain(self) -> str:
        return f"{self.label}: {self.old.text} → {self.new.text}"


def record_url(instance_url: str, record_id: str) -> str:
    return f"{instance_url.rstrip('/')}/{record_id}"


@dataclass(frozen=True)
class RenderedRecord:
    """What a message says about one record, for readers of one locale and time zone."""

    title: str
    record_name: str
    url: str
    changes: list[ChangeLine]
    fields: list[tuple[str, Shown]]  # (label, value) shown
    context: str
    amount: Shown | None = None  # an opportunity's amount, shown first on its digest line when it did not change
    edit: tuple[str, str, str] | None = None  # (alias, object, record id): an Edit button


def notification_message(r: RenderedRecord, words: Messages) -> tuple[str, list[dict[str, Any]]]:
    """(plain-text fallback, blocks) of one notification; ``words``: the reader's ``notify`` catalog."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(r.title or "Sales Home", HEADER_TEXT_MAX),
                                    "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*" + escape_within(r.record_name, SECTION_TEXT_MAX - 2)
                                     + "*"},
         "accessory": {"type": "button", "action_id": "view_record", "url": r.url,
                       "text": {"type": "plain_text", "text": words.gettext("View in Salesforce"), "emoji": True}}},
    ]
    if r.changes:
        lines = [c.mrkdwn() for c in r.changes]
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _fit_lines(lines, SECTION_TEXT_MAX, words)}})
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": escape_within(r.context, SECTION_TEXT_MAX)}]}
    budget = BLOCKS_TEXT_MAX - blocks_text_length([*blocks, context]) - (20 if r.edit is not None else 0)
    fields = [{"type": "mrkdwn", "text": _field_text(label, value)} for label, value in r.fields]
    room = MAX_BLOCKS - len(blocks) - 1 - (1 if r.edit is not None else 0)
    for start in range(0, len(fields), MAX_FIELDS):
        chunk = fields[start:start + MAX_FIELDS]
        while chunk and blocks_text_length(chunk) > budget:
            chunk = chunk[:-1]
        if room <= 0 or not chunk:
            break
        blocks.append({"type": "section", "fields": chunk})
        budget -= blocks_text_length(chunk)
        room -= 1
    if r.edit is not None:
        blocks.append({"type": "actions", "block_id": "saleshome_edit", "elements": [
            {"type": "button", "action_id": EDIT_ACTION, "value": edit_value(*r.edit),
             "text": {"type": "plain_text", "text": words.gettext("Edit"), "emoji": True}}]})
    blocks.append(context)
    changes = "; ".join(c.plain() for c in r.changes)
    text = f"{r.title}: {r.record_name}" + (f" ({changes})" if changes else "")
    return escape_within(text, TEXT_FALLBACK_MAX), blocks


def _field_text(label: str, value: Shown) -> str:
    """``*label*`` and the value below it, in at most FIELD_TEXT_MAX characters (the value cut first)."""
    head = f"*{escape_within(label, 200)}*\n"
    body = value.mrkdwn()
    if len(head) + len(body) <= FIELD_TEXT_MAX:
        return head + body
    return head + escape_within(value.text, FIELD_TEXT_MAX - len(head))


def digest_line(r: RenderedRecord) -> str:
    """One digest item, as escaped mrkdwn (kept with the item until the digest goes out): the record's
    name linked to it, then at most three changes."""
    parts = [c.mrkdwn() for c in r.changes[:DIGEST_CHANGES]]
    if r.amount is not None:
        parts.insert(0, r.amount.mrkdwn())
    name = link(r.url, truncate(r.record_name, 200))
    tail = " — " + ", ".join(parts) if parts else ""
    if len(name) + len(tail) + 2 <= DIGEST_LINE_MAX:
        return f"• {name}{tail}"
    plain = " — " + ", ".join([*([r.amount.text] if r.amount else []), *(c.plain() for c in r.changes[:DIGEST_CHANGES])])
    return f"• {name}" + escape_within(plain, DIGEST_LINE_MAX - len(name) - 2)


def _more_lines(count: int, words: Messages) -> str:
    return words.gettext("…and {n} more", n=count)


def _fit_lines(lines: Sequence[str], limit: int, words: Messages) -> str:
    out: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        more = _more_lines(len(lines) - i, words)
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
    """One notification's items in a digest, under ``name`` (the notification's title); ``more_url``: where
    to see the items left out (the object's list in Salesforce), None when unknown (deleted since)."""

    name: str
    items: Sequence[str]
    more_url: str | None = None
    edit: tuple[str, str] | None = None  # (alias, object) of the records: an "Edit a record" select of them


_LINE_RECORD = re.compile(r"^• <[^|>]*/([a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)\|([^>]*)>")


def line_record(line: str) -> tuple[str, str] | None:
    """(record id, name as written) of a :func:`digest_line`; None for a line that is not one."""
    found = _LINE_RECORD.match(line)
    return (found[1], html.unescape(found[2])) if found else None


def _edit_select(g: DigestGroup, words: Messages) -> dict[str, Any] | None:
    if g.edit is None:
        return None
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line in g.items:
        found = line_record(line)
        if found is None or found[0] in seen or len(options) >= MAX_OPTIONS:
            continue
        seen.add(found[0])
        value = edit_value(g.edit[0], g.edit[1], found[0])
        if len(value) <= OPTION_VALUE_MAX:
            options.append({"text": {"type": "plain_text", "text": truncate(found[1] or found[0], OPTION_TEXT_MAX),
                                     "emoji": True}, "value": value})
    if not options:
        return None
    return {"type": "actions", "elements": [{
        "type": "static_select", "action_id": EDIT_ACTION, "options": options,
        "placeholder": {"type": "plain_text", "text": words.gettext("Edit a record"), "emoji": True}}]}


def _more(count: int, url: str | None, words: Messages) -> str:
    text = _more_lines(count, words)
    return text + (f" · {link(url, words.gettext('see them in Salesforce'))}" if url else "")


def _items_text(items: Sequence[str], url: str | None, words: Messages, *, cap: int, limit: int) -> str:
    """At most ``cap`` items within ``limit`` characters, then "…and N more" with the link."""
    shown: list[str] = []
    size = 0
    for i, line in enumerate(items[:cap]):
        reserve = len(_more(len(items) - i, url, words)) + 1 if len(items) > i + 1 else 0
        if size + len(line) + 1 > limit - reserve:
            break
        shown.append(line)
        size += len(line) + 1
    if len(shown) < len(items):
        shown.append(_more(len(items) - len(shown), url, words))
    return "\n".join(shown) or "—"


def _group_head(g: DigestGroup) -> str:
    return truncate(f"*{escape(g.name)}* ({len(g.items)})", SECTION_TEXT_MAX)


def _other_groups_text(groups: Sequence[DigestGroup], limit: int, words: Messages) -> str:
    """The groups with no room left in the message: per notification its count and link."""
    total = sum(len(g.items) for g in groups)
    head = words.ngettext("…and {count} more from {n} other notification:",
                          "…and {count} more from {n} other notifications:", len(groups), count=total)
    lines = [f"• *{escape(g.name)}* ({len(g.items)})" + (
        f" · {link(g.more_url, words.gettext('see them in Salesforce'))}" if g.more_url else "") for g in groups]
    return _fit_lines([head, *lines], limit, words)


OTHER_GROUPS_MAX = 1500  # kept for the "…and N more from other notifications" section
MIN_GROUP_TEXT = 300  # a group gets a section of its own only with at least this much room


def digest_message(title: str, groups: Sequence[DigestGroup], context: str,
                   words: Messages) -> tuple[str, list[dict[str, Any]]]:
    """(fallback, blocks) of a digest: per notification its title, count and items; beyond Block Kit's
    limits (items per group, characters per section, blocks per message, text per message), "…and N more"
    with a link to the object's list in Salesforce.  ``context`` (the footer) is already mrkdwn."""
    total = sum(len(g.items) for g in groups)
    header = {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_TEXT_MAX), "emoji": True}}
    footer = {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(context, SECTION_TEXT_MAX)}]}
    blocks: list[dict[str, Any]] = [header]
    budget = BLOCKS_TEXT_MAX - blocks_text_length([header, footer])
    room = MAX_BLOCKS - 3  # the header, the context line and a last "and N more"
    shown_groups = 0
    for i, g in enumerate(groups):
        head = _group_head(g)
        reserve = OTHER_GROUPS_MAX if i + 1 < len(groups) else 0
        limit = min(SECTION_TEXT_MAX, budget - reserve - len(head))
        if room < 2 or limit < MIN_GROUP_TEXT:
            break
        body = _items_text(g.items, g.more_url, words, cap=DIGEST_ITEMS_PER_GROUP, limit=limit)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": head}})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
        budget -= len(head) + len(body)
        room -= 2
        select = _edit_select(g, words)
        if select is not None and room >= 3 and blocks_text_length([select]) < budget - reserve - MIN_GROUP_TEXT:
            blocks.append(select)
            budget -= blocks_text_length([select])
            room -= 1
        shown_groups += 1
    if shown_groups < len(groups):
        limit = min(SECTION_TEXT_MAX, budget)
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _other_groups_text(groups[shown_groups:], limit, words)}})
    blocks.append(footer)
    text = words.ngettext("{title}: {n} update from {names}", "{title}: {n} updates from {names}", total,
                          title=title, names=", ".join(g.name for g in groups))
    return truncate(escape(text), TEXT_FALLBACK_MAX), blocks[:MAX_BLOCKS]


def period_text(period: str, formatter: Formatter, words: Messages) -> str:
    """A digest's period as its reader writes it: the day (``Dec 7, 2026``) or the week (``week of …``)."""
    if "-W" in period:
        year, week = period.split("-W")
        return words.gettext("week of {date}", date=formatter.date(date.fromisocalendar(int(year), int(week), 1)))
    return formatter.date(date.fromisoformat(period))
