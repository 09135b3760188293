"""The `saleshome` command line (typer): the app, its global options, and `main` (the console script).

One module per command group, each exposing a ``typer.Typer()`` named ``app`` (a top-level command's
module: an unnamed one, merged into the root), registered below with one line in the order
``saleshome --help`` lists them; shared helpers (exit statuses, error reporting, where secrets are read,
the home and settings context, the acting user) in :mod:`saleshome.cli.common`; the demo's wiring in
:mod:`saleshome.cli.demo`.  tests/test_cli.py walks the whole command tree, so every new command gets its
--help checked.

Commands stay thin: they parse options and call functions of the core package, importing them inside the
command so that `saleshome --help` stays fast and nothing (clients, connections, environment reads) is
created at import.

Errors: any `SalesHomeError` reaching `main` is printed as its message and hint, without a
traceback; exit status 75 (EX_TEMPFAIL) when retrying may help, 2 for a file that cannot be read
(as for a bad option), 1 otherwise.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from saleshome.cli import (
    celebrations,
    demo,
    layouts,
    lists,
    migrate,
    notifications,
    operations,
    org,
    outbox,
    restrictions,
    roles,
    sandbox,
    settings,
    slack_app,
    status,
    sync,
    workspace,
)
from saleshome.cli.common import EXIT_FAILURE, EXIT_TEMPFAIL, EXIT_USAGE, report_error
from saleshome.errors import SalesHomeError

__all__ = ["EXIT_FAILURE", "EXIT_TEMPFAIL", "EXIT_USAGE", "app", "main"]

app = typer.Typer(
    name="saleshome",
    help="Sales Home pipelines: Salesforce orgs into DuckDB, notifications and deal celebrations into Slack.",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks must never print local variables: they may hold tokens and passwords.
    pretty_exceptions_show_locals=False,
)
about = typer.Typer()  # `saleshome version`, listed after the other top-level commands

app.add_typer(sync.app)  # saleshome sync
app.add_typer(status.app)  # saleshome status
app.add_typer(migrate.app)  # saleshome migrate
app.add_typer(operations.app)  # saleshome serve | digest | housekeeping
app.add_typer(demo.app)  # saleshome demo
app.add_typer(about)  # saleshome version
app.add_typer(sandbox.app, name="sandbox")  # saleshome sandbox salesforce | simulate | slack
app.add_typer(outbox.app, name="outbox")  # saleshome outbox publish | list | retry
app.add_typer(org.app, name="org")  # saleshome org add | list | remove
app.add_typer(workspace.app, name="workspace")  # saleshome workspace show | set-plan | locale
app.add_typer(roles.app, name="roles")  # saleshome roles list | grant | revoke
app.add_typer(lists.app, name="lists")  # saleshome lists list | show | views | add | remove | ...
app.add_typer(layouts.app, name="layouts")  # saleshome layouts show | set | reset
app.add_typer(restrictions.app, name="restrictions")  # saleshome restrictions show | set
app.add_typer(celebrations.app, name="celebrations")  # saleshome celebrations show | set | won-stage
app.add_typer(settings.app, name="settings")  # saleshome settings show | export | import | audit
app.add_typer(notifications.app, name="notifications")  # saleshome notifications templates | create | ...
app.add_typer(slack_app.app, name="app")  # saleshome app serve | rotate-keys


@app.callback()
def setup(
    log_level: Annotated[
        str, typer.Option(envvar="SALESHOME_LOG_LEVEL", help="Log level on stderr: DEBUG, INFO, WARNING or ERROR.")
    ] = "WARNING",
) -> None:
    """Sales Home pipelines: Salesforce orgs into DuckDB, notifications and deal celebrations into Slack."""
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter(f"{log_level!r} is not one of DEBUG, INFO, WARNING, ERROR", param_hint="--log-level")
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@about.command()
def version() -> None:
    """Print the installed saleshome version."""
    from saleshome import __version__

    typer.echo(__version__)


def main() -> None:
    """Console-script entry point: run the app, turning a `SalesHomeError` into a short message."""
    try:
        app()
    except SalesHomeError as exc:
        sys.exit(report_error(exc))
