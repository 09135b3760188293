"""The viewer's HTML (fetched over HTTP) and its mrkdwn rendering, escaping included.

Follows the Slack API docs: "Formatting text for app surfaces" (mrkdwn: ``*bold*``, ``_italic_``,
``~strike~``, code, quotes; ``<url|label>`` links, ``<@U…>`` mentions, ``<!here>``; ``&amp;``,
``&lt;``, ``&gt;`` escaping) and "Block Kit" (header, section with fields, context, divider,
actions with buttons, image).
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from saleshome.sandbox.slack.mrkdwn import render_mrkdwn, render_plain
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo


def _names(user_id: str) -> str | None:
    return {"U1": "Ana Silva"}.get(user_id)


def _channels(channel_id: str) -> str | None:
    return {"C1": "deals-won"}.get(channel_id)


def _md(text: str) -> str:
    return render_mrkdwn(text, _names, _channels)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        body: bytes = response.read()
        return body.decode()


def test_entities_are_shown_decoded_and_html_escaped() -> None:
    assert _md("Q&amp;A &lt;b&gt;not bold&lt;/b&gt;") == "Q&amp;A &lt;b&gt;not bold&lt;/b&gt;"
    assert _md("&amp;lt; stays literal") == "&amp;lt; stays literal"


def test_formatting() -> None:
    assert _md("*won* _big_ ~lost~ `code`") == "<strong>won</strong> <em>big</em> <del>lost</del> <code>code</code>"
    assert _md("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"
    assert _md("> quoted\nnext") == "<blockquote>quoted</blockquote><br>next"
    assert _md("```*not bold* <https://x.io|x>```").startswith("<pre>*not bold* <a href=")
    assert _md(":tada: :unknown_emoji:") == "🎉 :unknown_emoji:"


def test_links_and_mentions() -> None:
    assert _md("<https://ex.com/a?b=1&amp;c=2|Acme &amp; Co>") == (
        '<a href="https://ex.com/a?b=1&amp;c=2" rel="noopener noreferrer">Acme &amp; Co</a>'
    )
    assert _md("<https://ex.com>") == '<a href="https://ex.com" rel="noopener noreferrer">https://ex.com</a>'
    assert _md("<@U1> in <#C1>") == '<span class="mention">@Ana Silva</span> in <span class="mention">#deals-won</span>'
    assert _md("<@U9|someone>") == '<span class="mention">@someone</span>'
    assert _md("<!here> <!channel>") == '<span class="mention">@here</span> <span class="mention">@channel</span>'
    assert _md("<!date^1392734382^{date}|Feb 18, 2014>") == "Feb 18, 2014"


def test_unsafe_links_and_markup_stay_text() -> None:
    assert _md("<javascript:alert(1)|click>") == "click"
    assert "<script" not in _md("<script>alert(1)</script>")
    assert _md('<https://x.io/"onmouseover=alert(1)|x>').count('"') == 4
    assert render_plain("<b>plain</b> & :tada:") == "&lt;b&gt;plain&lt;/b&gt; &amp; 🎉"
    assert render_plain(":tada:", emoji=False) == ":tada:"


def test_index_lists_workspaces_and_channels(info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    page = _get(info.viewer_url)
    for team in info.teams:
        assert team["name"] in page
    assert f'href="/channels/{sandbox.channel_id("sales")}"' in page
    assert "Slack Connect" in page and "archived" in page and "bot not a member" in page


def test_channel_page_renders_blocks_escaped(bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("deals-won")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Won <img src=x onerror=alert(1)>"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Acme &amp; Co* &lt;script&gt;"},
            "fields": [{"type": "mrkdwn", "text": "*Amount*\n$5"}, {"type": "plain_text", "text": "Stage: Won"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Owner <@{sandbox.world.primary_owner_id}>"}]},
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open"},
                    "url": "https://example.com/o/1",
                    "style": "primary",
                }
            ],
        },
        {"type": "image", "image_url": "https://example.com/chart.png", "alt_text": "pipeline chart"},
    ]
    metadata = {"event_type": "deal_won", "event_payload": {"key": "<k>"}}
    bot.chat_postMessage(channel=channel, text="fallback", blocks=blocks, metadata=metadata)
    page = _get(f"{info.viewer_url}channels/{channel}")
    assert "<img src=x" not in page and "Won &lt;img src=x onerror=alert(1)&gt;" in page
    assert "<strong>Acme &amp; Co</strong> &lt;script&gt;" in page
    assert '<div class="b-field"><strong>Amount</strong><br>$5</div>' in page
    owner = sandbox.world.users[sandbox.world.primary_owner_id].profile.display_name
    assert f'<span class="mention">@{owner}</span>' in page
    assert '<a class="b-button primary" href="https://example.com/o/1"' in page
    assert "pipeline chart" in page and '<hr class="b-divider">' in page
    assert "metadata: deal_won" in page and "&lt;k&gt;" in page


def test_user_page_shows_the_status_and_its_expiry(
    admin: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox
) -> None:
    target = sandbox.world.tokens[info.member_token].user_id
    until = int(sandbox.clock.now()) + 3 * 86400
    admin.users_profile_set(
        user=target,
        profile={"status_text": "Closed Won <Acme>", "status_emoji": ":trophy:", "status_expiration": until},
    )
    page = _get(f"{info.viewer_url}users/{target}")
    assert "🏆" in page and "Closed Won &lt;Acme&gt;" in page and "until " in page
    assert "Time zone:" in page
    assert f'Language: <span id="locale">{sandbox.world.users[target].locale}</span>' in page


def test_unknown_pages_are_404(info: SlackSandboxInfo) -> None:
    import urllib.error

    for path in ("channels/C0NOPE", "users/U0NOPE"):
        try:
            urllib.request.urlopen(f"{info.viewer_url}{path}", timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
        else:
            raise AssertionError(f"{path} should be a 404")


def test_a_static_snapshot_has_the_same_pages_with_relative_links(
    bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox, tmp_path: Path
) -> None:
    channel = sandbox.channel_id("general")
    posted = bot.chat_postMessage(channel=channel, text="snapshot <b>me</b>",
                                  blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*snapshot* me"}}])
    link = bot.chat_getPermalink(channel=channel, message_ts=posted["ts"])["permalink"]
    bot.chat_postMessage(channel=channel, text=f"see <{link}|the first one>")
    index = sandbox.write_viewer_snapshot(tmp_path / "viewer")
    assert index == tmp_path / "viewer" / "index.html"
    page = (tmp_path / "viewer" / "channels" / f"{channel}.html").read_text()
    assert "<strong>snapshot</strong> me" in page and "snapshot &lt;b&gt;me" not in page.split("<main>")[0]
    # every link between pages points at a file of the snapshot (relative), none at the server
    files = {p.relative_to(tmp_path / "viewer").as_posix() for p in (tmp_path / "viewer").rglob("*.html")}
    assert "users.html" in files and any(f.startswith("users/") for f in files)
    for path in (tmp_path / "viewer").rglob("*.html"):
        for href in re.findall(r'href="([^"#]*)(?:#[^"]*)?"', path.read_text()):
            if href.startswith(("http://", "https://", "mailto:")):
                continue
            assert not href.startswith("/"), f"{path.name} links to the server: {href}"
            assert (path.parent / href).resolve().is_file(), f"{path.name} links to a missing page: {href}"
    assert f"channels/{channel}.html#m" in page, "the permalink leads to the message in the snapshot"
