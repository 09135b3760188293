"""What the `saleshome` commands share: exit statuses and error reporting, where org secrets are read
besides the environment, the home and settings context a command runs in, the acting Slack user, and
printing listings and settings changes.

Each command is an entry point: it opens the control store once (``control_db(settings)``, here in
:func:`existing_home` and :func:`context`, or in the command itself) and passes that handle down; the
pipeline, the settings and the stores never open one.

Invariants: this module imports only typer, the standard library and the error tree at import (every
command module imports it, and ``saleshome --help`` imports every command module); a command that only
reads never creates the home (:func:`existing_home`, ``context(read_only=True)``); a change always
names the acting Slack user (``--as U…`` or ``SALESHOME_ACTOR``), else it is refused before anything
is opened.  Prefect is imported only when an org's credentials live in a Prefect Secret block
(``prefect-secret:NAME``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from saleshome.errors import ConfigurationError, InputFileError, SalesHomeError, is_retriable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from saleshome.config import Settings
    from saleshome.salesforce.credentials import Resolver
    from saleshome.settings.apply import ChangeSet
    from saleshome.settings.context import SettingsContext
    from saleshome.warehouse.control import ControlDB

__all__ = [
    "EXIT_FAILURE", "EXIT_OK", "EXIT_TEMPFAIL", "EXIT_USAGE", "RESOLVERS", "ActorOption", "acting_user", "context",
    "existing_home", "exit_status", "print_org_error", "print_plan_problem", "print_table", "ready", "report_changes",
    "report_error", "split_names",
]

# --- exit statuses and errors ---------------------------------------------------------------
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2  # a bad option (click) or a file that is not UTF-8 YAML of the right shape (InputFileError)
EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: try again later


def exit_status(exc: SalesHomeError) -> int:
    """75 when retrying may help, 2 for a file that cannot be read (as for a bad option), 1 otherwise."""
    return EXIT_TEMPFAIL if is_retriable(exc) else EXIT_USAGE if isinstance(exc, InputFileError) else EXIT_FAILURE


def report_error(exc: SalesHomeError) -> int:
    """Print an error that ends the command as its message and hint on stderr, no traceback; its exit status."""
    typer.secho(f"error: {exc.message}", err=True, fg=typer.colors.RED)
    if exc.hint:
        typer.echo(f"hint: {exc.hint}", err=True)
    return exit_status(exc)


def print_org_error(console: Console, alias: str, exc: SalesHomeError) -> None:
    """An error of one org among several (the others go on): its message and hint."""
    from rich.markup import escape

    console.print(f"[red]error:[/] {escape(alias)}: {escape(exc.message)}")
    if exc.hint:
        console.print(f"hint: {escape(exc.hint)}")


# --- org secrets ----------------------------------------------------------------------------
def _secret_block(name: str) -> Mapping[str, Any]:
    from tasks.credentials import read_secret_block

    return read_secret_block(name)


RESOLVERS: dict[str, Resolver] = {"prefect-secret": _secret_block}
"""Where the CLI finds org secrets besides the environment: a Prefect Secret block (``prefect-secret:NAME``)."""


# --- the home, the settings context, the acting user ------------------------------------------
ActorOption = Annotated[str | None, typer.Option(
    "--as", help="The Slack user (U…) making the change.", show_default="SALESHOME_ACTOR")]


def existing_home() -> tuple[Settings, ControlDB]:
    """The settings of a command that only reads and its control store: refused, creating nothing, when the home
    does not exist."""
    from saleshome.config import load_settings

    settings = load_settings()
    return settings, _existing(settings)


def _existing(settings: Settings) -> ControlDB:
    """The control store of ``settings`` once its home exists; on PostgreSQL, once the database holds a control
    store (a read never creates the tables in an empty database)."""
    from saleshome.config import require_existing_home
    from saleshome.warehouse.control import control_db

    require_existing_home(settings)
    control = control_db(settings)
    if settings.database_url is not None and not control.exists():
        raise ConfigurationError(
            f"no Sales Home in {control.where} (the database holds no control store); nothing to show",
            hint="set SALESHOME_DATABASE_URL to the database of an existing Sales Home, or start one by "
                 "connecting an org (`saleshome org add`)")
    return control


def context(*, read_only: bool = False) -> SettingsContext:
    """The settings context of a command; ``read_only`` (lists, show, export, audit, dry runs): refused, creating
    nothing, when the home does not exist yet."""
    from saleshome.config import load_settings
    from saleshome.settings.context import SettingsContext
    from saleshome.warehouse.control import control_db

    settings = load_settings()
    control = _existing(settings) if read_only else control_db(settings)
    return SettingsContext(control, settings, resolvers=RESOLVERS)


def ready(*, read_only: bool = False) -> SettingsContext:
    """A context, once the workspace's plan includes Sales Home (every command but `workspace`)."""
    from saleshome.settings.workspace import require_sales_home

    ctx = context(read_only=read_only)
    require_sales_home(ctx.control, ctx.workspace)
    return ctx


def acting_user(ctx: SettingsContext, given: str | None) -> str:
    """The Slack user making a change: ``--as``, else ``SALESHOME_ACTOR``; refused when neither is given."""
    actor = given or ctx.settings.actor
    if not actor:
        raise ConfigurationError("who is making this change? no acting Slack user",
                                 hint="pass --as U… (your Slack member ID) or set SALESHOME_ACTOR")
    return actor


def split_names(values: list[str] | None) -> list[str]:
    """``--object A --object B,C`` → ``[A, B, C]``."""
    return [n.strip() for v in values or [] for n in v.split(",") if n.strip()]


# --- printing -------------------------------------------------------------------------------
def print_table(table: Table) -> None:
    """Print a listing so that it reads well at the terminal's width (:func:`saleshome.listing.fit`)."""
    from rich.console import Console

    from saleshome.listing import fit

    console = Console()
    console.print(fit(table, width=console.width))


def report_changes(changes: ChangeSet, *, dry_run: bool = False) -> None:
    """What a settings change did (or, ``dry_run``, would do)."""
    if not changes.changes:
        typer.echo("No change: the settings already say this.")
        return
    if dry_run:
        typer.echo(changes.diff(), nl=False)
        typer.echo(f"Dry run: {len(changes.changes)} change(s) would be applied; nothing was changed.")
        return
    typer.echo("Changed: " + ", ".join(c.target for c in changes.changes) + " (recorded in the audit log)")


def print_plan_problem(console: Console, control: ControlDB, settings: Settings) -> bool:
    """When Sales Home cannot run on this workspace's plan, say so first, in red (True: a problem was shown).

    Read-only views (``status``, ``outbox list``) still show what they hold, so that a data engineer
    sees the state of a workspace whose plan lapsed; every command that syncs, sends or changes refuses.
    """
    from rich.markup import escape

    from saleshome.settings.workspace import sales_home_problem

    problem = sales_home_problem(control, settings.workspace)
    if problem is None:
        return False
    console.print(f"[bold red]Sales Home is not running:[/] {escape(problem.message)}"
                  + (f"\n[bold]hint:[/] {escape(problem.hint)}" if problem.hint else "")
                  + "\nsync, notifications, celebrations and publishing refuse until then.")
    return True
