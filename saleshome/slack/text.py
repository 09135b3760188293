"""Text from Salesforce made safe for Slack messages, within Block Kit's limits.

Slack's mrkdwn treats ``&``, ``<`` and ``>`` as control characters (``<!channel>``,
``<@U123>``, ``<https://…|label>``); escaping them as ``&amp;``, ``&lt;``, ``&gt;`` makes a
record name that contains them stay literal text ("Formatting text for app surfaces").
"""

from __future__ import annotations

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
MESSAGE_TEXT_MAX = 40_000
MAX_BLOCKS = 50
MAX_FIELDS = 10


def escape(text: str) -> str:
    """Escape mrkdwn control characters (``&`` first, so nothing is escaped twice)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link(url: str, label: str) -> str:
    """A mrkdwn link whose label is escaped (a ``|`` or ``>`` in a name cannot break it)."""
    return f"<{url}|{escape(label).replace('|', '¦')}>"
