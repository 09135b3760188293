"""Block Kit and messages as read-only HTML, for the viewer's channel pages (and the base of the client's
interactive surfaces, ``viewer_surface.py``).

Block Kit is rendered readably (header, section text and fields, context, divider, buttons, images
as placeholders, rich text), mrkdwn as described in ``mrkdwn.py``; every value is HTML-escaped and
only http(s)/mailto links become links.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

from .messages import StoredMessage
from .mrkdwn import emojize, link_html, render_mrkdwn, render_plain
from .world import World


def esc(value: object) -> str:
    """``value`` as HTML text or attribute value."""
    return html.escape(str(value), quote=True)


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class BlockRenderer:
    """Block Kit, mrkdwn and messages of one world as HTML."""

    def __init__(self, world: World) -> None:
        self.world = world

    def user_name(self, user_id: str) -> str | None:
        user = self.world.users.get(user_id)
        return (user.profile.display_name or user.profile.real_name) if user else None

    def channel_name(self, channel_id: str) -> str | None:
        conv = self.world.conversations.get(channel_id)
        return conv.name if conv else None

    def mrkdwn(self, text: str) -> str:
        return render_mrkdwn(text, self.user_name, self.channel_name)

    def text_object(self, obj: Any) -> str:
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            return ""
        if obj.get("type") == "mrkdwn":
            return self.mrkdwn(obj["text"])
        return render_plain(obj["text"], emoji=obj.get("emoji", True) is not False)

    def element(self, el: Any) -> str:
        if not isinstance(el, dict):
            return ""
        kind = el.get("type")
        if kind == "button":
            style = el.get("style") if el.get("style") in ("primary", "danger") else ""
            label = self.text_object(el.get("text"))
            url = el.get("url")
            if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
                return f'<a class="b-button {style}" href="{esc(url)}" rel="noopener noreferrer">{label}</a>'
            return f'<span class="b-button {style}">{label}</span>'
        if kind == "image":
            return f'<span class="b-element">🖼 {esc(el.get("alt_text", "image"))}</span>'
        if kind in ("plain_text", "mrkdwn"):
            return f"<span>{self.text_object(el)}</span>"
        placeholder = self.text_object(el.get("placeholder")) if el.get("placeholder") else ""
        return f'<span class="b-element">[{esc(kind)}{": " + placeholder if placeholder else ""}]</span>'

    def rich_text(self, elements: Any) -> str:
        out = []
        for section in elements if isinstance(elements, list) else []:
            inner = []
            for item in section.get("elements", []) if isinstance(section, dict) else []:
                if not isinstance(item, dict):
                    continue
                kind = item.get("type")
                if kind == "text":
                    piece = render_plain(str(item.get("text", "")))
                    style = item.get("style") or {}
                    if style.get("bold"):
                        piece = f"<strong>{piece}</strong>"
                    if style.get("italic"):
                        piece = f"<em>{piece}</em>"
                    inner.append(piece)
                elif kind == "link":
                    url = str(item.get("url", ""))
                    inner.append(link_html(url, str(item.get("text") or url)))
                elif kind == "user":
                    name = self.user_name(str(item.get("user_id", ""))) or item.get("user_id", "")
                    inner.append(f'<span class="mention">@{esc(name)}</span>')
                elif kind == "emoji":
                    inner.append(emojize(f":{esc(item.get('name', ''))}:"))
                elif kind == "rich_text_section":
                    inner.append(self.rich_text([item]))
            tag = "pre" if isinstance(section, dict) and section.get("type") == "rich_text_preformatted" else "div"
            out.append(f"<{tag}>{''.join(inner)}</{tag}>")
        return "".join(out)

    def block(self, block: Any) -> str:
        if not isinstance(block, dict):
            return ""
        kind = block.get("type")
        if kind == "header":
            return f'<h3 class="b-header">{self.text_object(block.get("text"))}</h3>'
        if kind == "section":
            text = f'<div class="b-text">{self.text_object(block["text"])}</div>' if "text" in block else ""
            fields = "".join(f'<div class="b-field">{self.text_object(f)}</div>' for f in block.get("fields") or [])
            fields_html = f'<div class="b-fields">{fields}</div>' if fields else ""
            accessory = self.element(block["accessory"]) if "accessory" in block else ""
            return f'<div class="b-section"><div class="b-section-body">{text}{fields_html}</div>{accessory}</div>'
        if kind == "context":
            return f'<div class="b-context">{"".join(self.element(el) for el in block.get("elements") or [])}</div>'
        if kind == "divider":
            return '<hr class="b-divider">'
        if kind == "actions":
            return f'<div class="b-actions">{"".join(self.element(el) for el in block.get("elements") or [])}</div>'
        if kind == "image":
            title = self.text_object(block.get("title")) if block.get("title") else ""
            url = block.get("image_url")
            link = link_html(url, "open image") if isinstance(url, str) else ""
            return (
                f'<figure class="b-image"><div class="img-placeholder">🖼 {esc(block.get("alt_text", ""))} {link}</div>'
                f"<figcaption>{title}</figcaption></figure>"
            )
        if kind == "rich_text":
            return f'<div class="b-rich">{self.rich_text(block.get("elements"))}</div>'
        if kind == "input":
            return (
                f'<div class="b-input"><label>{self.text_object(block.get("label"))}</label> '
                f"{self.element(block.get('element'))}</div>"
            )
        return f'<div class="b-element">[{esc(kind)} block]</div>'

    def message(self, m: StoredMessage, replies: list[StoredMessage]) -> str:
        author = self.world.users.get(m.user)
        name = author.profile.real_name if author else m.user
        flags = '<span class="app">APP</span>' if m.bot_id else ""
        if m.edit_count:
            flags += '<span class="badge">edited</span>'
        if m.deleted_at is not None:
            flags += '<span class="badge warn">deleted</span>'
        if m.answer_dropped:
            flags += '<span class="badge warn">answer dropped</span>'
        body = (
            f'<div class="blocks">{"".join(self.block(b) for b in m.blocks)}</div>'
            if m.blocks
            else f'<div class="text">{self.mrkdwn(m.text)}</div>'
        )
        meta = ""
        if m.metadata is not None:
            payload = json.dumps(m.metadata.get("event_payload"), indent=2, ensure_ascii=False)
            meta = (
                f'<details class="metadata"><summary>metadata: {esc(m.metadata.get("event_type"))}</summary>'
                f"<pre>{esc(payload)}</pre></details>"
            )
        thread = "".join(self.message(r, []) for r in replies)
        thread_html = f'<div class="thread">{thread}</div>' if thread else ""
        css = "msg deleted" if m.deleted_at is not None else "msg"
        return (
            f'<article class="{css}" id="m{esc(m.ts.replace(".", ""))}" data-ts="{esc(m.ts)}">'
            f'<div class="meta"><span class="author">{esc(name)}</span>{flags} '
            f'<time datetime="{esc(datetime.fromtimestamp(m.ts_us / 1e6, UTC).isoformat())}">{esc(when(m.ts_us / 1e6))}</time>'
            f"</div>{body}{meta}{thread_html}</article>"
        )
