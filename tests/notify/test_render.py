"""Digest rendering beyond Block Kit's limits: "…and N more" with a link, and Slack's own validation
(the Slack sandbox's Block Kit validator)."""

from __future__ import annotations

import re

from saleshome.notify.render import DIGEST_ITEMS_PER_GROUP, DigestGroup, digest_message, list_url
from saleshome.sandbox.slack.blocks import validate_blocks
from saleshome.slack.text import MAX_BLOCKS, SECTION_TEXT_MAX

INSTANCE = "https://acme.my.salesforce.com"


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
    text, blocks = digest_message("Your Sales Home digest", groups, "2025-06-01 · 28 updates · org acme")
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
    _, blocks = digest_message("Digest", [DigestGroup("wide", items, url)], "ctx")
    assert validate_blocks(blocks) == []
    body = _texts(blocks)[1]
    assert len(body) <= SECTION_TEXT_MAX
    shown = body.count("• <")
    assert 0 < shown < len(items)
    assert body.endswith(f"…and {len(items) - shown} more · <{url}|see them in Salesforce>")


def test_notifications_beyond_the_block_limit_are_listed_with_their_links() -> None:
    groups = [DigestGroup(f"notification {g}", [_line(i) for i in range(12)], list_url(INSTANCE, f"Object{g}__c"))
              for g in range(40)]
    groups.append(DigestGroup("deleted since", [_line(1)], None))
    text, blocks = digest_message("Your weekly Sales Home digest", groups, "2025-W23 · 481 updates · org acme")
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
