"""`saleshome org add | list | remove | approve-member | revoke-member`: connect, list and remove Salesforce orgs;
approve a Salesforce user ↔ Slack user mapping the emails do not give.

Secrets are never stored: an org keeps a reference to where they are read (the environment, or a Prefect
Secret block through :data:`saleshome.cli.common.RESOLVERS`).  A Salesforce org is connected once.
Adding, removing, approving and revoking are sales admins' changes (``--as U…``), audited.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from saleshome.cli.common import RESOLVERS, ActorOption, acting_user, context, print_table, ready, split_names

app = typer.Typer(help="Connect, list and remove Salesforce orgs.", no_args_is_help=True)


class AuthChoice(StrEnum):
    """The values of ``saleshome.salesforce.credentials.AuthMethod`` (kept here: that module is slow to import)."""

    CLIENT_CREDENTIALS = "client-credentials"
    JWT = "jwt"
    REFRESH_TOKEN = "refresh-token"
    PASSWORD = "password"


@app.command("add")
def org_add(
    alias: Annotated[str, typer.Argument(help="Short name of the org: lowercase letters, digits, dashes (acme-prod).")],
    login_url: Annotated[str, typer.Option(
        help="https://login.salesforce.com, https://test.salesforce.com or the org's My Domain URL.")],
    auth: Annotated[AuthChoice, typer.Option(help="How the integration user logs in (OAuth 2.0 flow).")],
    env_prefix: Annotated[str | None, typer.Option(
        help="Read credentials from PREFIX_CLIENT_ID, PREFIX_CLIENT_SECRET, ...", show_default="SALESHOME_SF_<ALIAS>")
    ] = None,
    secret_block: Annotated[str | None, typer.Option(
        help="Read credentials from this Prefect Secret block (a JSON object) instead of the environment.")] = None,
    ca_file: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="Trust this CA bundle only (a private CA, e.g. the local sandbox).")] = None,
    api_version: Annotated[str, typer.Option(help="Salesforce REST API version.")] = "62.0",
    objects: Annotated[str | None, typer.Option(
        help="Comma-separated objects to sync instead of the default set (User, Account, Opportunity, ...).")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="If this Salesforce org is already connected (under another alias, or this one), move it "
                          "here with this connection instead of refusing.")] = False,
    actor: ActorOption = None,
) -> None:
    """Verify the connection to an org (login, identity, org id, API version), then save it (sales admins only).

    Secrets are never stored: the org keeps a reference to where they are read from.

    A Salesforce org is connected once: credentials of an org already connected under another alias are refused
    (every notification and celebration would go out twice). With --replace the org moves instead: the alias that
    holds it is renamed to ALIAS with its synced data, sync state, settings, notifications, celebrations and unsent
    messages, and keeps this connection (login URL, auth, credentials, CA file, API version, objects); nothing is
    synced or sent again. --replace on the alias that holds the org replaces its connection in place.
    """
    from saleshome.salesforce.credentials import AuthMethod, env_prefix_for
    from saleshome.settings.orgs import add_org_as, list_orgs, same_org_id
    from saleshome.sync.render import org_kind

    if env_prefix and secret_block:
        raise typer.BadParameter("give --env-prefix or --secret-block, not both")
    ref = f"prefect-secret:{secret_block}" if secret_block else f"env:{env_prefix or env_prefix_for(alias)}"
    ctx = context()
    before = list_orgs(ctx.control, ctx.settings) if replace else []
    org = add_org_as(
        ctx.control, ctx.settings, ctx.directory, alias, actor=acting_user(ctx, actor), login_url=login_url,
        auth_method=AuthMethod(auth.value), credential_ref=ref, ca_file=str(ca_file) if ca_file else None,
        api_version=api_version, objects=tuple(split_names([objects] if objects else None)) or None,
        resolvers=RESOLVERS, replace=replace,
    )
    moved = next((o.alias for o in before if same_org_id(o.org_id, org.org_id)), None)
    if moved is not None:
        done = f"Moved {moved} to {org.alias}" if moved != org.alias else f"Replaced the connection of {org.alias}"
        typer.echo(f"{done} (its synced data, settings and history kept).")
    typer.echo(f"Connected {org.alias}: org {org.org_id} ({org.org_name or 'unnamed'}), {org_kind(org.is_sandbox)}, "
               f"API v{org.api_version}, {org.instance_url}")
    typer.echo(f"Credentials are read from {ref} when needed; nothing secret was stored (recorded in the audit log).")


@app.command("list")
def org_list() -> None:
    """List the connected orgs: alias, org id, production/sandbox, last sync, status."""
    from rich.console import Console

    from saleshome.listing import fit
    from saleshome.settings.orgs import list_orgs
    from saleshome.sync.render import orgs_table
    from saleshome.sync.status import org_states

    ctx = ready(read_only=True)
    orgs = list_orgs(ctx.control, ctx.settings)
    if not orgs:
        typer.echo("No org connected yet: connect one with `saleshome org add`.")
        return
    console = Console()  # a run whose process died: crashed, last seen …
    states = org_states(ctx.control, ctx.settings)
    console.print(fit(orgs_table(orgs, states), width=console.width, text=("name", "status")))


@app.command("remove")
def org_remove(
    alias: Annotated[str, typer.Argument(help="The org to remove.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    actor: ActorOption = None,
) -> None:
    """Remove an org with its synced data (its DuckDB file), its sync state and its settings (sales admins only).

    Everything Sales Home keeps for the org goes, in one transaction: sync runs and state, API budget,
    Sales Home objects, list views, layouts, notifications (with their events and digest items),
    celebrations, the user map and the mappings sales admins approved, and the org's outbox messages, unsent ones included (they are dropped,
    not delivered).  The settings audit keeps the removal.
    """
    from saleshome.settings.orgs import Org, remove_org_as

    def confirm(org: Org) -> None:
        if not yes:
            typer.confirm(f"Remove org {org.alias} ({org.org_id}) with all its synced data?", abort=True)

    ctx = context()
    remove_org_as(ctx.control, ctx.settings, ctx.directory, alias, actor=acting_user(ctx, actor), confirm=confirm)
    typer.echo(f"Removed {alias} and its data (recorded in the audit log).")


SalesforceUserOption = Annotated[str, typer.Option(
    "--salesforce-user", help="The Salesforce user's Id (005…, 15 or 18 characters) in the org, as synced.")]


@app.command("approve-member")
def org_approve_member(
    alias: Annotated[str, typer.Argument(help="The org.")],
    salesforce_user: SalesforceUserOption,
    slack_user: Annotated[str, typer.Option("--slack-user", help="The member's Slack user (U…).")],
    actor: ActorOption = None,
) -> None:
    """Link a Salesforce user of the org to a Slack user whatever their emails say (sales admins only, audited).

    The member may then connect Salesforce as that user in the Sales tab; the user map keeps the link at every
    refresh until `revoke-member`. Refused for an unknown org, a Salesforce user not in the synced org (or inactive),
    an unknown, deactivated or bot Slack user, or a Slack user already linked to another Salesforce user of the org.
    """
    from saleshome.settings.approvals import approve_member

    ctx = ready()
    changed = approve_member(ctx.control, ctx.directory, ctx.workspace, actor=acting_user(ctx, actor), alias=alias,
                             sf_user_id=salesforce_user, slack_user_id=slack_user)
    typer.echo(f"{alias}: Salesforce user {salesforce_user} is now linked to {slack_user} (approved; recorded in the "
               "audit log)." if changed else f"{alias}: Salesforce user {salesforce_user} already is linked to "
               f"{slack_user}.")


@app.command("revoke-member")
def org_revoke_member(
    alias: Annotated[str, typer.Argument(help="The org.")],
    salesforce_user: SalesforceUserOption,
    actor: ActorOption = None,
) -> None:
    """Remove an approved mapping (sales admins only, audited): the user is unlinked at once, their Salesforce
    connection in the Slack app forgotten, and the next refresh maps them by email again."""
    from saleshome.settings.approvals import revoke_member

    ctx = ready()
    changed = revoke_member(ctx.control, ctx.directory, ctx.workspace, actor=acting_user(ctx, actor), alias=alias,
                            sf_user_id=salesforce_user)
    typer.echo(f"{alias}: the approved mapping of {salesforce_user} is removed (recorded in the audit log); the next "
               "refresh maps the user by email." if changed else f"{alias}: {salesforce_user} had no approved mapping.")


@app.command("members")
def org_members(alias: Annotated[str | None, typer.Argument(help="Only this org.")] = None) -> None:
    """List the mappings sales admins approved (Salesforce user ↔ Slack user, by whom, when)."""
    from saleshome.settings.approvals import list_approved_members
    from saleshome.settings.render import approved_members_table

    ctx = ready(read_only=True)
    approved = list_approved_members(ctx.control, alias)
    if not approved:
        typer.echo("No approved mapping" + (f" in {alias}" if alias else "") + ": members are mapped by email; a sales "
                   "admin links others with `saleshome org approve-member ALIAS --salesforce-user 005… --slack-user U…`.")
        return
    print_table(approved_members_table(approved))
