"""A small web viewer of the sandbox: workspaces, channels and their messages, user profiles.

Server-rendered HTML and a little CSS, no JavaScript.  Block Kit is rendered readably (header,
section text and fields, context, divider, buttons, images as placeholders, rich text), mrkdwn
as described in ``mrkdwn.py``; every value is HTML-escaped.  Routes (GET): ``/`` (index),
``/channels/<id>``, ``/users``, ``/users/<id>`` (profile with status and expiry), and
``/archives/<channel>/p<ts>`` (Slack-shaped permalinks, redirected to the message).
:func:`write_snapshot` writes the same pages as static files with relative links, to read
without the server running.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .api import Request, Response, SlackApi
from .messages import StoredMessage
from .mrkdwn import emojize, link_html, render_mrkdwn, render_plain
from .world import Conversation, User, World

HTML_TYPE = "text/html; charset=utf-8"
_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d1c1d;background:#fff}
header.top{background:#3f0e40;color:#fff;padding:10px 20px}header.top a{color:#fff;text-decoration:none;margin-right:16px}
main{padding:16px 24px;max-width:960px}h1{font-size:22px}h2{font-size:18px;margin-top:24px}
ul.channels{list-style:none;padding:0}ul.channels li{padding:3px 0}
.badge{display:inline-block;font-size:11px;padding:1px 6px;border-radius:8px;background:#e8e8e8;color:#444;margin-left:6px}
.badge.ext{background:#fce4b6}.badge.org{background:#d8ecff}.badge.warn{background:#ffd6d6}
.archived{color:#888;text-decoration:line-through}
article.msg{border-top:1px solid #eee;padding:8px 0}article.msg.deleted{opacity:.45}
.meta{font-size:13px;color:#616061}.author{font-weight:700;color:#1d1c1d}
.app{font-size:10px;background:#e8e8e8;padding:0 4px;border-radius:3px;margin-left:4px}
.text{margin:4px 0}.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.b-header{font-size:18px;margin:6px 0}.b-section{margin:6px 0;display:flex;gap:12px;align-items:flex-start}
.b-section-body{flex:1}.b-fields{display:grid;grid-template-columns:1fr 1fr;gap:6px 24px;margin-top:4px}
.b-context{font-size:12px;color:#616061;margin:4px 0;display:flex;gap:8px;flex-wrap:wrap}
.b-divider{border:0;border-top:1px solid #ddd;margin:8px 0}
.b-actions{display:flex;gap:8px;flex-wrap:wrap;margin:6px 0}
.b-button{display:inline-block;border:1px solid #bbb;border-radius:4px;padding:4px 12px;font-weight:700;
color:#1d1c1d;text-decoration:none;font-size:14px}
.b-button.primary{background:#007a5a;border-color:#007a5a;color:#fff}.b-button.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
.b-image{margin:6px 0}.img-placeholder{border:1px dashed #bbb;padding:12px;color:#616061;font-size:13px}
.b-element{font-size:13px;color:#616061;border:1px solid #ddd;border-radius:4px;padding:2px 8px}
blockquote{border-left:4px solid #ddd;margin:2px 0;padding-left:8px;color:#555}
pre{background:#f8f8f8;border:1px solid #ddd;padding:6px;white-space:pre-wrap}code{background:#f4f4f4;color:#e01e5a;padding:0 2px}
details.metadata{font-size:12px;color:#616061}.thread{margin-left:28px;border-left:3px solid #eee;padding-left:10px}
.status{font-size:18px;padding:10px 14px;background:#f4ede4;border-radius:8px;display:inline-block}
.status.none{background:#f4f4f4;color:#888}table.users td{padding:2px 10px 2px 0}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _page(title: str, body: str) -> Response:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)} · Slack sandbox</title>'
        f"<style>{_CSS}</style></head><body>"
        '<header class="top"><a href="/">Slack sandbox</a><a href="/users">People</a></header>'
        f"<main>{body}</main></body></html>"
    )
    return Response(200, document.encode(), content_type=HTML_TYPE)


def _not_found(what: str) -> Response:
    response = _page("Not found", f"<h1>Not found</h1><p>{_e(what)}</p>")
    response.status = 404
    return response


class _Renderer:
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
                return f'<a class="b-button {style}" href="{_e(url)}" rel="noopener noreferrer">{label}</a>'
            return f'<span class="b-button {style}">{label}</span>'
        if kind == "image":
            return f'<span class="b-element">🖼 {_e(el.get("alt_text", "image"))}</span>'
        if kind in ("plain_text", "mrkdwn"):
            return f"<span>{self.text_object(el)}</span>"
        placeholder = self.text_object(el.get("placeholder")) if el.get("placeholder") else ""
        return f'<span class="b-element">[{_e(kind)}{": " + placeholder if placeholder else ""}]</span>'

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
                    inner.append(f'<span class="mention">@{_e(name)}</span>')
                elif kind == "emoji":
                    inner.append(emojize(f":{_e(item.get('name', ''))}:"))
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
                f'<figure class="b-image"><div class="img-placeholder">🖼 {_e(block.get("alt_text", ""))} {link}</div>'
                f"<figcaption>{title}</figcaption></figure>"
            )
        if kind == "rich_text":
            return f'<div class="b-rich">{self.rich_text(block.get("elements"))}</div>'
        if kind == "input":
            return (
                f'<div class="b-input"><label>{self.text_object(block.get("label"))}</label> '
                f"{self.element(block.get('element'))}</div>"
            )
        return f'<div class="b-element">[{_e(kind)} block]</div>'

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
                f'<details class="metadata"><summary>metadata: {_e(m.metadata.get("event_type"))}</summary>'
                f"<pre>{_e(payload)}</pre></details>"
            )
        thread = "".join(self.message(r, []) for r in replies)
        thread_html = f'<div class="thread">{thread}</div>' if thread else ""
        css = "msg deleted" if m.deleted_at is not None else "msg"
        return (
            f'<article class="{css}" id="m{_e(m.ts.replace(".", ""))}" data-ts="{_e(m.ts)}">'
            f'<div class="meta"><span class="author">{_e(name)}</span>{flags} '
            f'<time datetime="{_e(datetime.fromtimestamp(m.ts_us / 1e6, UTC).isoformat())}">{_e(_when(m.ts_us / 1e6))}</time>'
            f"</div>{body}{meta}{thread_html}</article>"
        )


def _conversation_label(world: World, conv: Conversation) -> str:
    if conv.kind == "im":
        other = world.users.get(conv.im_user or "")
        return f"DM with {other.profile.real_name if other else conv.im_user}"
    return f"{'🔒 ' if conv.is_private else '#'}{conv.name}"


def _badges(world: World, conv: Conversation) -> str:
    out = ""
    if conv.is_legacy_group:
        out += '<span class="badge">legacy private (G)</span>'
    if conv.is_ext_shared:
        out += '<span class="badge ext">Slack Connect</span>'
    if conv.is_org_shared:
        out += '<span class="badge org">org-shared</span>'
    if conv.is_archived:
        out += '<span class="badge">archived</span>'
    if world.bot_user_id not in conv.members:
        out += '<span class="badge warn">bot not a member</span>'
    return out


def _index(api: SlackApi) -> Response:
    world = api.world
    parts = [f'<h1>{_e(world.enterprise.name)} <span class="badge">{_e(world.enterprise.id)}</span></h1>']
    for team_id in world.org_team_ids:
        team = world.teams[team_id]
        items = []
        for conv in world.conversations_of_team(team_id):
            css = ' class="archived"' if conv.is_archived else ""
            count = api.messages.count(conv.id)
            items.append(
                f'<li><a{css} href="/channels/{_e(conv.id)}">{_e(_conversation_label(world, conv))}</a>'
                f'{_badges(world, conv)}<span class="badge">{count} messages</span></li>'
            )
        parts.append(
            f'<h2>{_e(team.name)} <span class="badge">{_e(team.id)}</span></h2>'
            f'<ul class="channels">{"".join(items)}</ul>'
        )
    return _page(world.enterprise.name, "".join(parts))


def _channel(api: SlackApi, channel_id: str) -> Response:
    world = api.world
    conv = world.conversations.get(channel_id)
    if conv is None:
        return _not_found(f"no conversation {channel_id}")
    renderer = _Renderer(world)
    everything = api.messages.all_of(conv.id)
    by_ts = {m.ts_us: m for m in everything}
    top = [m for m in everything if not m.is_reply]
    rows = [renderer.message(m, [by_ts[r] for r in m.replies if r in by_ts]) for m in top]
    teams = ", ".join(world.teams[t].name for t in conv.teams if t in world.teams)
    head = (
        f"<h1>{_e(_conversation_label(world, conv))}{_badges(world, conv)}</h1>"
        f'<p class="meta">{_e(conv.id)} · {_e(teams)} · {emojize(_e(conv.purpose))}</p>'
    )
    body = "".join(rows) if rows else "<p>No messages yet.</p>"
    return _page(_conversation_label(world, conv), head + f'<section class="messages">{body}</section>')


def _users(api: SlackApi) -> Response:
    rows = []
    for user in api.world.users.values():
        flags = " (deactivated)" if user.deleted else " (bot)" if user.is_bot else ""
        rows.append(
            f'<tr><td><a href="/users/{_e(user.id)}">{_e(user.profile.real_name)}</a>{_e(flags)}</td>'
            f"<td>{_e(user.profile.title)}</td><td>{_e(user.profile.email or '')}</td>"
            f"<td>{_e(user.profile.status_emoji)} {_e(user.profile.status_text)}</td></tr>"
        )
    return _page("People", f'<h1>People</h1><table class="users">{"".join(rows)}</table>')


def _user(api: SlackApi, user_id: str) -> Response:
    user: User | None = api.world.users.get(user_id)
    if user is None:
        return _not_found(f"no user {user_id}")
    now = api.clock.now()
    p = user.profile
    p.clear_expired_status(now)
    if p.status_text or p.status_emoji:
        until = f" — until {_when(p.status_expiration)}" if p.status_expiration else " — no expiry"
        status = (
            f'<div class="status" id="status"><span class="status-emoji">{emojize(_e(p.status_emoji))}</span> '
            f'<span class="status-text">{render_plain(p.status_text)}</span>'
            f'<span class="status-expiry">{_e(until)}</span></div>'
        )
    else:
        status = '<div class="status none" id="status">No status</div>'
    details = []
    if user.tz:
        tz, label, offset = user.tz_fields(now)
        details.append(f"<li>Time zone: {_e(label)} ({_e(tz)}, UTC{offset / 3600:+g})</li>")
    details.append(f'<li>Language: <span id="locale">{_e(user.locale)}</span></li>')
    if p.email:
        details.append(f"<li>Email: {_e(p.email)}</li>")
    if user.person is not None and user.person.salesforce_email != p.email:
        details.append(f"<li>Salesforce email: {_e(user.person.salesforce_email)}</li>")
    details.append(f"<li>Workspaces: {_e(', '.join(api.world.teams[t].name for t in user.teams))}</li>")
    role = (
        "Primary owner"
        if user.is_primary_owner
        else "Owner"
        if user.is_owner
        else "Admin"
        if user.is_admin
        else "Bot"
        if user.is_bot
        else "Member"
    )
    badge = '<span class="badge warn">deactivated</span>' if user.deleted else ""
    body = (
        f"<h1>{_e(p.real_name)}{badge}</h1><p>{_e(p.title)} · {_e(role)} · {_e(user.id)}</p>"
        f'<section class="profile-status">{status}</section><ul>{"".join(details)}</ul>'
    )
    return _page(p.real_name, body)


_ARCHIVE = re.compile(r"^/archives/(?P<channel>[A-Z0-9]+)/p(?P<ts>\d+)$")


def viewer_handler(api: SlackApi) -> Callable[[Request], Response]:
    def handle(req: Request) -> Response:
        if req.method not in ("GET", "HEAD"):
            return _not_found(f"{req.method} is not served here")
        path = req.path.rstrip("/") or "/"
        with api.lock:
            if path == "/":
                return _index(api)
            if path.startswith("/channels/"):
                return _channel(api, path.removeprefix("/channels/"))
            if path == "/users":
                return _users(api)
            if path.startswith("/users/"):
                return _user(api, path.removeprefix("/users/"))
            match = _ARCHIVE.match(path)
            if match:
                return Response(
                    302,
                    b"",
                    content_type=HTML_TYPE,
                    headers={"Location": f"/channels/{match['channel']}#m{match['ts']}"},
                )
        return _not_found(path)

    return handle


# ------------------------------------------------------------------------------- static snapshot
_LINK = re.compile(r'href="(?:http://127\.0\.0\.1:\d+)?(/[^"]*)"')  # the sandbox's own pages and permalinks


def _relative(href: str, depth: int) -> str:
    """A server path as a link between snapshot files (``depth``: folders below the snapshot root)."""
    up = "../" * depth
    path, _, anchor = href.partition("#")
    anchor = f"#{anchor}" if anchor else ""
    archive = _ARCHIVE.match(path)
    if archive:
        return f"{up}channels/{archive['channel']}.html#m{archive['ts']}"
    path = path.rstrip("/") or "/"
    if path == "/":
        return f"{up}index.html{anchor}"
    if path == "/users":
        return f"{up}users.html{anchor}"
    if path.startswith(("/channels/", "/users/")):
        return f"{up}{path.lstrip('/')}.html{anchor}"
    return href


def write_snapshot(api: SlackApi, directory: Path) -> Path:
    """Write the viewer's pages as static HTML under ``directory`` (``index.html``, ``users.html``,
    ``channels/<id>.html`` and ``users/<id>.html`` for every conversation and person); links between them are relative.  Returns the path of ``index.html``."""
    with api.lock:
        pages: dict[str, bytes] = {"index.html": _index(api).body, "users.html": _users(api).body}
        for conv in api.world.conversations.values():
            pages[f"channels/{conv.id}.html"] = _channel(api, conv.id).body
        for user in api.world.users.values():
            pages[f"users/{user.id}.html"] = _user(api, user.id).body
    for name, body in pages.items():
        depth = name.count("/")

        def link(match: re.Match[str], depth: int = depth) -> str:
            return f'href="{html.escape(_relative(html.unescape(match[1]), depth))}"'

        text = _LINK.sub(link, body.decode())
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return directory / "index.html"
