"""A small web viewer of the sandbox: workspaces, channels and their messages, user profiles, and a Slack
client (``/client``, ``viewer_client.py``: choose who you are, the app's Home tab, modals).

Server-rendered HTML and a little CSS; only the client has a script.  Block Kit is rendered readably
(``viewer_blocks.py``), mrkdwn as described in ``mrkdwn.py``; every value is HTML-escaped.  Routes (GET): ``/`` (index),
``/channels/<id>``, ``/users``, ``/users/<id>`` (profile with status and expiry), and
``/archives/<channel>/p<ts>`` (Slack-shaped permalinks, redirected to the message).
:func:`write_snapshot` writes the same pages as static files with relative links, to read
without the server running.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from .api import Request, Response, SlackApi
from .mrkdwn import emojize, render_plain
from .viewer_blocks import BlockRenderer
from .viewer_blocks import esc as _e
from .viewer_blocks import when as _when
from .viewer_client import ClientRoutes
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


_CLIENT_LINK = '<a href="/client">Slack client</a>'  # live only: a static snapshot has no client


def _page(title: str, body: str) -> Response:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)} · Slack sandbox</title>'
        f"<style>{_CSS}</style></head><body>"
        f'<header class="top"><a href="/">Slack sandbox</a><a href="/users">People</a>{_CLIENT_LINK}</header>'
        f"<main>{body}</main></body></html>"
    )
    return Response(200, document.encode(), content_type=HTML_TYPE)


def _not_found(what: str) -> Response:
    response = _page("Not found", f"<h1>Not found</h1><p>{_e(what)}</p>")
    response.status = 404
    return response


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
    renderer = BlockRenderer(world)
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
    client = ClientRoutes(api, _page)

    def handle(req: Request) -> Response:
        if req.path == "/client" or req.path.startswith("/client/"):
            return client.handle(req)  # takes the lock itself, never while the app is called
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

        text = _LINK.sub(link, body.decode().replace(_CLIENT_LINK, "", 1))
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return directory / "index.html"
