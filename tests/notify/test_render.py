"""Digest rendering beyond Block Kit's limits: "…and N more" with a link, and Slack's own validation
(the Slack sandbox's Block Kit validator)."""

from __future__ import annotations

import re

import pytest

from saleshome.errors import ValidationError
from saleshome.i18n import messages
from saleshome.notify.fields import Shown
from saleshome.notify.render import (
    DIGEST_ITEMS_PER_GROUP,
    TEXT_FALLBACK_MAX,
    ChangeLine,
    DigestGroup,
    RenderedRecord,
    digest_message,
    list_url,
    notification_message,
)
from saleshome.sandbox.slack.blocks import validate_blocks
from saleshome.slack.text import FIELD_TEXT_MAX, HEADER_TEXT_MAX, MAX_BLOCKS, SECTION_TEXT_MAX
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import OutboxMessage, counts, enqueue, idempotency_key

INSTANCE = "https://acme.my.salesforce.com"
EN = messages("en-US", "notify")


def _line(i: int, width: int = 60) -> str:
    name = f"Deal {i} " + "x" * max(0, width - 50)
    return f"• <{INSTANCE}/006{i:012d}|{name}> — *Stage*: Prospecting → Closed Won"


def _texts(blocks: list[dict[str, object]]) -> list[str]:
    return [str(b["text"]["text"]) for b in blocks if b["type"] == "section"]  # type: ignore[index]


def test_list_url_is_the_objects_list_view() -> None:
    assert list_url(INSTANCE + "/", "Opportunity") == f"{INSTANCE}/lightning/o/Opportunity/list"
    assert list_url(INSTANCE, "My_Object__c") == f"{INSTANCE}/lightning/o/My_Object__c/list"


def test_items_beyond_a_group_come_with_a_link_to_the_list() -> None:
    url = list_url(INSTANCE, "Opportunity")
    groups = [DigestGroup("big <deals> & co", [_line(i) for i in range(25)], url),
              DigestGroup("few", [_line(i) for i in range(3)], list_url(INSTANCE, "Account"))]
    text, blocks = digest_message("Your Sales Home digest", groups, "2025-06-01 · 28 updates · org acme", EN)
    assert validate_blocks(blocks) == []
    sections = _texts(blocks)
    assert sections[0] == "*big &lt;deals&gt; &amp; co* (25)"
    lines = sections[1].split("\n")
    assert len(lines) == DIGEST_ITEMS_PER_GROUP + 1
    assert lines[-1] == f"…and {25 - DIGEST_ITEMS_PER_GROUP} more · <{url}|see them in Salesforce>"
    assert "more" not in sections[3]  # all 3 shown, no link needed
    assert text.startswith("Your Sales Home digest: 28 updates from big &lt;deals&gt; &amp; co, few")


def test_long_items_are_cut_by_characters_and_the_link_still_fits() -> None:
    url = list_url(INSTANCE, "Opportunity")
    items = [_line(i, width=590) for i in range(DIGEST_ITEMS_PER_GROUP)]  # 10 items of ~600 characters
    _, blocks = digest_message("Digest", [DigestGroup("wide", items, url)], "ctx", EN)
    assert validate_blocks(blocks) == []
    body = _texts(blocks)[1]
    assert len(body) <= SECTION_TEXT_MAX
    shown = body.count("• <")
    assert 0 < shown < len(items)
    assert body.endswith(f"…and {len(items) - shown} more · <{url}|see them in Salesforce>")


def test_notifications_beyond_the_block_limit_are_listed_with_their_links() -> None:
    # short items, so that the block limit is reached before the ~12,000 characters of text Slack accepts
    groups = [DigestGroup(f"notification {g}", [f"• Deal {i} — *Stage*: A → B" for i in range(12)],
                          list_url(INSTANCE, f"Object{g}__c")) for g in range(40)]
    groups.append(DigestGroup("deleted since", [_line(1)], None))
    text, blocks = digest_message("Your weekly Sales Home digest", groups, "2025-W23 · 481 updates · org acme", EN)
    assert validate_blocks(blocks) == []
    assert len(blocks) <= MAX_BLOCKS
    assert blocks[0]["type"] == "header" and blocks[-1]["type"] == "context"
    shown = (MAX_BLOCKS - 3) // 2
    last = _texts(blocks)[-1]
    assert last.startswith(f"…and {(40 - shown) * 12 + 1} more from {40 - shown + 1} other notifications:")
    assert f"• *notification {shown}* (12) · <{INSTANCE}/lightning/o/Object{shown}__c/list|see them in Salesforce>" \
        in last
    assert last.endswith("• *deleted since* (1)")
    # every group shown in full links to its own list
    for g in range(shown):
        assert f"<{INSTANCE}/lightning/o/Object{g}__c/list|see them in Salesforce>" in _texts(blocks)[2 * g + 1]
    assert len(re.findall(r"\|see them in Salesforce>", str(blocks))) == 40
    assert len(text) <= 3000


BROKEN_ESCAPE = re.compile(r"&(?!amp;|lt;|gt;)|&(?:am|a|l|g|amp|lt|gt)?…")  # a bare & or an escape cut in half


def _record(**overrides: object) -> RenderedRecord:
    values: dict[str, object] = {
        "title": "New big deal", "record_name": "Acme renewal", "url": f"{INSTANCE}/006000000000001AAA",
        "changes": [ChangeLine("Stage", Shown("Prospecting"), Shown("Closed Won"))],
        "fields": [("Amount", Shown("$120,000.00")), ("Owner", Shown("Ana Lima", mention="U0ANA"))],
        "context": "big-deals · acme",
    }
    values.update(overrides)
    return RenderedRecord(**values)  # type: ignore[arg-type]


def test_a_long_title_is_cut_to_the_header_limit() -> None:
    title = "Closed won: " + "Acme & Sons <global> " * 30
    text, blocks = notification_message(_record(title=title), EN)
    header = blocks[0]["text"]["text"]
    assert blocks[0]["type"] == "header" and len(title) > HEADER_TEXT_MAX
    assert len(header) == HEADER_TEXT_MAX and header.endswith("…") and title.startswith(header[:-1])
    assert validate_blocks(blocks) == []
    assert text.startswith("Closed won: Acme &amp; Sons &lt;global&gt;") and len(text) <= TEXT_FALLBACK_MAX


def test_a_long_field_value_is_cut_to_the_field_limit_without_breaking_an_escape() -> None:
    value = "R&D <team> " * 600  # 6,600 characters, longer still once escaped
    _, blocks = notification_message(_record(fields=[("Description", Shown(value)), ("Amount", Shown("5"))]), EN)
    [fields] = [b["fields"] for b in blocks if b["type"] == "section" and "fields" in b]
    description, amount = (f["text"] for f in fields)
    # as long as fits: within one escape (``&amp;``, 5 characters) of the limit, never over it
    assert FIELD_TEXT_MAX - 5 < len(description) <= FIELD_TEXT_MAX and description.startswith("*Description*\nR&amp;D &lt;team&gt; ")
    assert description.endswith("…") and not BROKEN_ESCAPE.search(description)
    assert amount == "*Amount*\n5"
    assert validate_blocks(blocks) == []


def test_a_long_record_name_is_cut_within_the_section_limit_and_the_button_keeps_the_link() -> None:
    name = "Acme <!channel> & | partners " * 200  # 5,800 characters
    url = f"{INSTANCE}/006000000000001AAA"
    text, blocks = notification_message(_record(record_name=name), EN)
    section = blocks[1]["text"]["text"]
    assert len(section) <= SECTION_TEXT_MAX
    match = re.fullmatch(r"\*([^*<>]+)\*", section)
    assert match is not None, section[-80:]
    assert blocks[1]["accessory"]["url"] == url  # the record's button keeps its URL whatever the name's length
    assert blocks[1]["accessory"]["text"]["text"] == "View in Salesforce"
    label = match.group(1)
    assert label.startswith("Acme &lt;!channel&gt; &amp; | partners") and label.endswith("…")
    assert "<!channel>" not in section and not BROKEN_ESCAPE.search(label)
    assert len(text) <= TEXT_FALLBACK_MAX and text.endswith("…") and not BROKEN_ESCAPE.search(text)
    assert validate_blocks(blocks) == []


def test_enqueue_refuses_a_message_without_plain_text(control_url: str) -> None:
    control = ControlDB(control_url)
    fine = OutboxMessage(idempotency_key("ok"), "notification", "C0SALES", "Deal won")
    blank = OutboxMessage(idempotency_key("blank"), "notification", "C0SALES", "",
                          blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "blocks only"}}])
    assert counts(control) == {}
    with pytest.raises(ValidationError, match=f"outbox message {blank.key} has no plain-text fallback"), \
            control.transaction() as db:
        enqueue(db, [fine, blank])
    assert counts(control) == {}  # refused as a whole: not even the good one
