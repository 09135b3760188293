"""`saleshome celebrations show | set | won-stage`: deal celebrations.

Thin commands over ``saleshome.settings`` (imported inside each command, so that ``saleshome --help`` stays
fast): each builds the settings context (:mod:`saleshome.cli.common`) and calls one core function.
Every change takes the acting Slack user, ``--as U…`` (default ``SALESHOME_ACTOR``), checked in Slack, and is
audited.
"""

from __future__ import annotations

from typing import Annotated

import typer

from saleshome.cli.common import ActorOption, acting_user, print_table, ready, report_changes, split_names

app = typer.Typer(help="Deal celebrations: on/off, message, channels, won stage.", no_args_is_help=True)


@app.command("show")
def celebrations_show() -> None:
    """Show the celebration settings (and each org's won stage)."""

    from saleshome.errors import SalesHomeError
    from saleshome.settings.apply import current_state
    from saleshome.settings.render import celebrations_table

    ctx = ready(read_only=True)
    state = current_state(ctx)
    names: dict[str, str] = {}
    for channel in state.celebrations.channels:
        try:
            names[channel] = f"{ctx.directory.channel(channel).label} ({channel})"
        except SalesHomeError:
            names[channel] = f"{channel} (not found)"
    print_table(celebrations_table(state, names))


@app.command("set")
def celebrations_set(
    enabled: Annotated[bool | None, typer.Option("--on/--off", help="Switch celebrations on or off.")] = None,
    message: Annotated[str | None, typer.Option(
        help="Message template: {owner} {opportunity} {account} {amount} {close_date} {stage}.")] = None,
    channel: Annotated[list[str] | None, typer.Option(
        help="Channel where celebrations are shared (#name or id; repeat). Replaces the list.")] = None,
    no_channels: Annotated[bool, typer.Option("--no-channels", help="Share in no channel.")] = False,
    actor: ActorOption = None,
) -> None:
    """Change the celebration settings (options left out stay as they are)."""
    from saleshome.settings.changes import set_celebrations

    ctx = ready()
    channels = [] if no_channels else (split_names(channel) or None)
    report_changes(set_celebrations(ctx, acting_user(ctx, actor), enabled=enabled, message=message, channels=channels))


@app.command("won-stage")
def celebrations_won_stage(
    org: Annotated[str, typer.Argument(help="The org.")],
    stage: Annotated[str, typer.Argument(help="A StageName value of the org, or `any` (any stage with IsWon).")],
    actor: ActorOption = None,
) -> None:
    """Choose which opportunity stage counts as won in an org."""
    from saleshome.settings.changes import set_won_stage

    ctx = ready()
    report_changes(set_won_stage(ctx, acting_user(ctx, actor), org, None if stage == "any" else stage))
