"""Slack ``mrkdwn`` and ``plain_text`` to safe HTML, for the viewer.

Slack's text format (docs "Formatting text for app surfaces"): ``&``, ``<`` and ``>`` of the
text arrive escaped as ``&amp;``, ``&lt;`` and ``&gt;`` and are shown decoded; ``<…>`` are
links (``<https://x|label>``), mentions (``<@U123>``, ``<#C123|name>``), special mentions
(``<!here>``) and dates (``<!date^…|fallback>``); ``*bold*``, ``_italic_``, ``~strike~``,
```` `code` ````, ```` ```pre``` ```` and ``> quotes``.  Everything that reaches the page is
HTML-escaped; links get an ``href`` only for http(s) and mailto.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

EMOJI: Mapping[str, str] = MappingProxyType(
    {
        "tada": "🎉",
        "trophy": "🏆",
        "rocket": "🚀",
        "moneybag": "💰",
        "chart_with_upwards_trend": "📈",
        "white_check_mark": "✅",
        "heavy_check_mark": "✔️",
        "x": "❌",
        "warning": "⚠️",
        "bell": "🔔",
        "star": "⭐",
        "star2": "🌟",
        "fire": "🔥",
        "clap": "👏",
        "confetti_ball": "🎊",
        "medal": "🏅",
        "sports_medal": "🏅",
        "first_place_medal": "🥇",
        "handshake": "🤝",
        "partying_face": "🥳",
        "wave": "👋",
        "calendar": "📆",
        "date": "📅",
        "memo": "📝",
        "briefcase": "💼",
        "dollar": "💵",
        "muscle": "💪",
        "eyes": "👀",
        "sweat_smile": "😅",
        "smile": "😄",
        "thumbsup": "👍",
        "+1": "👍",
        "raised_hands": "🙌",
        "100": "💯",
        "hourglass": "⌛",
        "email": "📧",
        "link": "🔗",
        "mega": "📣",
        "loudspeaker": "📢",
        "crown": "👑",
        "sparkles": "✨",
        "gem": "💎",
        "dart": "🎯",
        "bar_chart": "📊",
        "red_circle": "🔴",
        "large_green_circle": "🟢",
    }
)

Lookup = Callable[[str], str | None]
_SPECIAL = re.compile(r"<([^<>\n]+)>")
_EMOJI_CODE = re.compile(r":([a-z0-9_+\-]+):")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def decode_entities(text: str) -> str:
    """Slack's three escapes back to characters (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojize(escaped: str) -> str:
    """``:tada:`` → 🎉 for the shortcodes we know; the others stay as text."""
    return _EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), escaped)


def render_plain(text: str, *, emoji: bool = True) -> str:
    """A ``plain_text`` object: shown exactly as written (no entities, no formatting)."""
    escaped = html.escape(text).replace("\n", "<br>")
    return emojize(escaped) if emoji else escaped


def link_html(url: str, label: str) -> str:
    if url.lower().startswith(_SAFE_SCHEMES):
        return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{html.escape(label)}</a>'
    return html.escape(label if label != url else url)


def _special(token: str, users: Lookup, channels: Lookup) -> str:
    body, _, label = token.partition("|")
    label = decode_entities(label)
    if body.startswith("@"):
        name = label or users(body[1:]) or body[1:]
        return f'<span class="mention">@{html.escape(name)}</span>'
    if body.startswith("#"):
        name = label or channels(body[1:]) or body[1:]
        return f'<span class="mention">#{html.escape(name)}</span>'
    if body.startswith("!"):
        command = body[1:]
        if command in ("here", "channel", "everyone"):
            return f'<span class="mention">@{command}</span>'
        if command.startswith("subteam^"):
            return f'<span class="mention">{html.escape(label or "@group")}</span>'
        return html.escape(label or command)
    url = decode_entities(body)
    return link_html(url, label or url)


def _inline(pattern: str, tag: str, text: str) -> str:
    return re.sub(pattern, lambda m: f"<{tag}>{m.group(1)}</{tag}>", text)


def render_mrkdwn(text: str, users: Lookup, channels: Lookup) -> str:
    """A ``mrkdwn`` string (as Slack stores it) to HTML."""
    text = text.replace("\x00", "")
    pieces: list[str] = []

    def keep(fragment: str) -> str:
        pieces.append(fragment)
        return f"\x00{len(pieces) - 1}\x00"

    out: list[str] = []
    last = 0
    for match in _SPECIAL.finditer(text):
        out.append(html.escape(decode_entities(text[last : match.start()]), quote=False))
        out.append(keep(_special(match.group(1), users, channels)))
        last = match.end()
    out.append(html.escape(decode_entities(text[last:]), quote=False))
    s = "".join(out)
    s = re.sub(r"```(.+?)```", lambda m: keep(f"<pre>{m.group(1)}</pre>"), s, flags=re.S)
    s = re.sub(r"`([^`\n]+)`", lambda m: keep(f"<code>{m.group(1)}</code>"), s)
    s = _inline(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])", "strong", s)
    s = _inline(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])", "em", s)
    s = _inline(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])", "del", s)
    lines = [
        f"<blockquote>{line[5:].lstrip()}</blockquote>" if line.startswith("&gt; ") or line == "&gt;" else line
        for line in s.split("\n")
    ]
    s = emojize("<br>".join(lines))
    for _ in range(4):  # a kept fragment (``pre``) may hold others (links)
        if "\x00" not in s:
            break
        s = re.sub(r"\x00(\d+)\x00", lambda m: pieces[int(m.group(1))], s)
    return s
