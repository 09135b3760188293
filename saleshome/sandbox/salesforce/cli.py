"""``saleshome sandbox ...``: run the Salesforce sandbox in the foreground, drive its simulator."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

sandbox_app = typer.Typer(
    help="Local, faithful stand-ins for the Salesforce and Slack APIs (no account, no network).", no_args_is_help=True
)


@sandbox_app.command("salesforce")
def salesforce(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 picks a free one).")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the generated org: same seed, same data.")] = 1,
    opportunities: Annotated[int, typer.Option(min=1, help="How many opportunities to generate.")] = 2000,
    state_dir: Annotated[
        Path | None, typer.Option(help="Keep the org (DuckDB, TLS files) here; reused when it exists.")
    ] = None,
    token_lifetime: Annotated[float, typer.Option(help="Access token lifetime, in seconds.")] = 7200,
    daily_api_limit: Annotated[int, typer.Option(help="DailyApiRequests maximum.")] = 100_000,
    callback_url: Annotated[
        list[str] | None,
        typer.Option(help="A callback URL of the connected app (OAuth web server flow); repeat for several."),
    ] = None,
) -> None:
    """Run the Salesforce sandbox over HTTPS until SIGINT/SIGTERM.

    When ready it prints ONE JSON line on stdout: instance_url, token_url, client_id,
    client_secret, username, password, security_token, refresh_token, ca_file,
    jwt_key_file, org_id, api_version.  These are throwaway credentials of a local org.
    Members log in through /services/oauth2/authorize with the passwords GET /_sandbox/logins lists.
    """
    from saleshome.sandbox.extra import require_sandbox_extra

    require_sandbox_extra()
    from .server import SalesforceSandbox

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sandbox = SalesforceSandbox(
        port=port, seed=seed, opportunities=opportunities, state_dir=state_dir,
        token_lifetime_seconds=token_lifetime, daily_api_limit=daily_api_limit,
        callback_urls=tuple(callback_url or ()),
    )
    info = sandbox.start()
    try:
        typer.echo(info.to_json())
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()


@sandbox_app.command("simulate")
def simulate(
    instance_url: Annotated[str, typer.Option(help="The sandbox's instance URL (https://127.0.0.1:PORT).")],
    ca_file: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The sandbox's CA file.")],
    changes: Annotated[int, typer.Option(min=0, help="How many changes to apply.")] = 100,
    late_commits: Annotated[bool, typer.Option(help="Make some changes visible with an older SystemModstamp.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of this simulation run.")] = None,
) -> None:
    """Apply N realistic changes to a running sandbox org (through its /_sandbox/simulate endpoint)."""
    import requests

    from saleshome.errors import ConfigurationError

    if not instance_url.startswith("https://127.0.0.1:") and not instance_url.startswith("https://localhost:"):
        raise ConfigurationError(
            f"{instance_url} is not a local sandbox", hint="the simulator only talks to https://127.0.0.1:PORT"
        )
    body: dict[str, object] = {"changes": changes, "late_commits": late_commits}
    if seed is not None:
        body["seed"] = seed
    session = requests.Session()
    session.trust_env = False
    response = session.post(f"{instance_url}/_sandbox/simulate", json=body, verify=str(ca_file), timeout=600)
    if response.status_code != 200:
        raise ConfigurationError(f"the sandbox refused the simulation: {response.status_code} {response.text[:300]}")
    typer.echo(json.dumps(response.json()))
