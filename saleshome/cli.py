"""The `saleshome` command line (typer).

Commands stay thin: they parse options and call functions of the core package, importing
them inside the command so that `saleshome --help` stays fast and nothing (clients,
connections, environment reads) is created at import.

Errors: any `SalesHomeError` reaching `main` is printed as its message and hint, without a
traceback; exit status 75 (EX_TEMPFAIL) when retrying may help, 1 otherwise.
"""

from __future__ import annotations

import sys

import typer

from saleshome.errors import SalesHomeError, is_retriable
from saleshome.sandbox.salesforce.cli import sandbox_app

EXIT_FAILURE = 1
EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: try again later

app = typer.Typer(
    name="saleshome",
    help="Sales Home pipelines: Salesforce orgs into DuckDB, notifications and deal celebrations into Slack.",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks must never print local variables: they may hold tokens and passwords.
    pretty_exceptions_show_locals=False,
)

# --- sub-commands ---------------------------------------------------------------------------
# Each group lives next to the code it drives and exposes a `typer.Typer()`; register it here
# with one line. Keep those modules light at import (import heavy modules inside their
# commands) so `saleshome --help` stays fast. tests/test_cli.py walks the whole command tree,
# so every new command gets its --help checked.
app.add_typer(sandbox_app, name="sandbox")  # saleshome sandbox salesforce | simulate


@app.command()
def demo() -> None:
    """Start the local Salesforce sandbox, seed a small org and print a summary read through simple-salesforce."""
    from saleshome.demo import run_demo

    run_demo()


@app.command()
def version() -> None:
    """Print the installed saleshome version."""
    from saleshome import __version__

    typer.echo(__version__)


def main() -> None:
    """Console-script entry point: run the app, turning a `SalesHomeError` into a short message."""
    try:
        app()
    except SalesHomeError as exc:
        typer.secho(f"error: {exc.message}", err=True, fg=typer.colors.RED)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        sys.exit(EXIT_TEMPFAIL if is_retriable(exc) else EXIT_FAILURE)
