"""Text from Salesforce made safe for Slack messages, within Block Kit's limits.

Slack's mrkdwn treats ``&``, ``<`` and ``>`` as control characters (``<!channel>``,
``<@U123>``, ``<https://…|label>``); escaping them as ``&amp;``, ``&lt;``, ``&gt;`` makes a
record name that contains them stay literal text ("Formatting text for app surfaces").

The formatting characters ``*``, ``_``, ``~`` and `````` ` `````` have no escape in mrkdwn: Slack's
answer is that a backslash does not escape them (slackhq/slack-api-docs#34), and a zero-width
space around one makes Slack *start* formatting there rather than stop it (jsx-slack,
docs/about-escape-and-exact-mode.md, "exact mode").  So, as jsx-slack's ``<Escape>`` does where
nothing else works (inside links), :func:`escape` replaces each with a look-alike that Slack never
reads as a delimiter (``*`` → ``∗`` U+2217, ``_`` → ``ˍ`` U+02CD, ``~`` → ``∼`` U+223C, `````` ` ``````
→ ``ˋ`` U+02CB, and their full-width forms): a deal named ``*bold*`` reads as itself and cannot
open or close the template's own bold.  A line starting with ``&gt;`` (a quote) gets a soft
hyphen before it.  Every renderer (notifications, digests, celebrations) escapes through here.

Slack refuses a message whose blocks hold more than about 12,000 characters of text in all
(``msg_blocks_too_long``): :data:`BLOCKS_TEXT_MAX`, measured by :func:`blocks_text_length`.
"""

from __future__ import annotations

from typing import Any

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
MESSAGE_TEXT_MAX = 40_000  # chat.postMessage's ``text``
BLOCKS_TEXT_MAX = 12_000  # the text of all of a message's blocks together (msg_blocks_too_long)
MAX_BLOCKS = 50
MAX_FIELDS = 10


_LOOK_ALIKES = str.maketrans({"*": "\u2217", "\uff0a": "\ufe61", "_": "\u02cd", "\uff3f": "\u2e0f",
                              "~": "\u223c", "`": "\u02cb", "\uff40": "\u02cb"})
SOFT_HYPHEN = "\u00ad"


def escape(text: str) -> str:
    """Salesforce text as literal mrkdwn: ``& < >`` escaped (``&`` first, so nothing is escaped twice),
    formatting characters replaced by look-alikes, a leading quote defused (see the module docstring)."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").translate(_LOOK_ALIKES)
    if "&gt;" in out:
        out = "\n".join(SOFT_HYPHEN + line if line.startswith("&gt;") else line for line in out.split("\n"))
    return out


def blocks_text_length(blocks: list[dict[str, Any]]) -> int:
    """The characters of text in ``blocks`` (every ``text`` string of every text object and element), as
    Slack counts them against :data:`BLOCKS_TEXT_MAX`."""
    total = 0
    stack: list[Any] = list(blocks)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "text" and isinstance(value, str):
                    total += len(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return total


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape_within(text: str, limit: int) -> str:
    """``escape(text)`` in at most ``limit`` characters: cut before escaping (ending with an ellipsis),
    so an escape such as ``&amp;`` is never cut in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    low, high = 0, min(len(text), limit - 1)  # the longest prefix whose escape fits beside the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if len(escape(text[:middle])) <= limit - 1:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low]) + "…"


def link_within(url: str, label: str, limit: int, *, wrap: str = "") -> str:
    """``wrap + link(url, label) + wrap`` in at most ``limit`` characters: the label is shortened, never
    the URL or the brackets, so a long record name still gives a working link."""
    whole = f"{wrap}{link(url, label)}{wrap}"
    if len(whole) <= limit:
        return whole
    room = limit - len(f"{wrap}<{url}|>{wrap}")
    if room < 2:
        return escape_within(label, limit)  # not even the URL fits: plain text
    return f"{wrap}<{url}|{escape_within(label.replace('|', '¦'), room)}>{wrap}"


def link(url: str, label: str) -> str:
    """A mrkdwn link whose label is escaped (a ``|`` or ``>`` in a name cannot break it)."""
    return f"<{url}|{escape(label).replace('|', '¦')}>"

