"""``saleshome sandbox slack``: run the Slack sandbox in the foreground.

Register it on the ``sandbox`` group with ``sandbox_app.command("slack")(slack)``; it also runs
alone with ``python -m saleshome.sandbox.slack.cli``.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer


def slack(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 picks a free one).")] = 0,
    seed: Annotated[
        int, typer.Option(help="Seed of the organisation: use the Salesforce sandbox's seed so users match.")
    ] = 1,
    opportunities: Annotated[
        int, typer.Option(min=1, help="The Salesforce sandbox's --opportunities (it sets the size of the sales team).")
    ] = 2000,
    time_scale: Annotated[
        float, typer.Option(min=0.001, help="Run every rate limit this many times faster (1 = Slack's real speed).")
    ] = 1.0,
    event_url: Annotated[
        str | None, typer.Option(help="The app's Events API request URL (e.g. http://127.0.0.1:3000/slack/events).")
    ] = None,
    interactivity_url: Annotated[
        str | None, typer.Option(help="The app's interactivity request URL (Bolt serves both on /slack/events).")
    ] = None,
    signing_secret: Annotated[
        str | None, typer.Option(help="The app's signing secret, 32 hex digits (default: drawn from the seed).")
    ] = None,
) -> None:
    """Run the Slack Web API sandbox over HTTP until SIGINT/SIGTERM.

    When ready it prints ONE JSON line on stdout: api_url (ends with /api/), bot_token,
    admin_token, member_token, viewer_url, control_url, enterprise_id, teams, time_scale, seed,
    signing_secret, event_url, interactivity_url.  These are throwaway tokens of a local organisation.
    """
    from saleshome.sandbox.extra import require_sandbox_extra

    require_sandbox_extra()
    from .server import SlackSandbox

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        sandbox = SlackSandbox(
            port=port,
            seed=seed,
            opportunities=opportunities,
            time_scale=time_scale,
            signing_secret=signing_secret,
            event_url=event_url,
            interactivity_url=interactivity_url,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    info = sandbox.start()
    try:
        typer.echo(info.to_json())
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()


def main() -> None:
    """Entry point of ``python -m saleshome.sandbox.slack.cli``."""
    typer.run(slack)


if __name__ == "__main__":
    main()
