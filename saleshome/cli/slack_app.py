"""`saleshome app serve | rotate-keys`: the Slack app (Bolt, HTTP mode, uvicorn) and its token keys.

``serve`` prints one JSON line once it listens (its URLs: events, interactivity, the Salesforce OAuth callback),
then serves until interrupted.  The keys that encrypt members' Salesforce tokens come from
``SALESHOME_SECRET_KEY`` or, with ``--secret-key-block``, from a Prefect Secret block read here (the app itself
never imports Prefect).  ``rotate-keys`` re-encrypts every stored token with the newest key (the first).
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="The Slack app: serve it; rotate the keys of members' Salesforce tokens.",
                  no_args_is_help=True)

KeyBlockOption = Annotated[str | None, typer.Option(
    "--secret-key-block", help='A Prefect Secret block holding {"secret_key": "<Fernet key(s), comma-separated, '
                               'newest first>"}, instead of SALESHOME_SECRET_KEY.')]


def _keys_from_block(name: str | None) -> str | None:
    """The keys held by the Prefect Secret block ``name``: a JSON object ``{"secret_key": "key1,key2"}`` (as org
    secrets are kept: ``tasks.credentials``)."""
    if name is None:
        return None
    from saleshome.errors import ConfigurationError
    from tasks.credentials import read_secret_block

    value = read_secret_block(name).get("secret_key")
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"the Prefect Secret block {name!r} holds no secret_key",
                                 hint='store {"secret_key": "<Fernet key(s), comma-separated, newest first>"}')
    return value


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on (0: any free port).", min=0, max=65535)] = 3000,
    secret_key_block: KeyBlockOption = None,
) -> None:
    """Serve the Slack app: Slack's events (/slack/events) and interactivity (/slack/interactivity), signed with
    SALESHOME_SLACK_SIGNING_SECRET, and the Salesforce OAuth callback (/salesforce/oauth/callback). Prints its
    URLs as one JSON line once it listens."""
    from saleshome.app import serve as serve_app
    from saleshome.cli.common import RESOLVERS
    from saleshome.config import load_settings

    serve_app(load_settings(), host=host, port=port, secret_keys=_keys_from_block(secret_key_block),
              resolvers=RESOLVERS)


@app.command("rotate-keys")
def rotate_keys(secret_key_block: KeyBlockOption = None) -> None:
    """Re-encrypt every member's stored Salesforce tokens with the newest key (the first of SALESHOME_SECRET_KEY).
    Put a new key in front, run this, then remove the old key."""
    from saleshome.app import TokenCipher
    from saleshome.app.connections import Connections
    from saleshome.config import load_settings
    from saleshome.warehouse.control import control_db

    settings = load_settings()
    keys = _keys_from_block(secret_key_block)
    if keys is None and settings.secret_key is not None:
        keys = settings.secret_key.get_secret_value()
    cipher = TokenCipher.from_text(keys)
    changed = Connections(control_db(settings), cipher).rotate_keys()
    typer.echo(f"Re-encrypted {changed} stored secret(s) with the newest of {cipher.keys} key(s). The older keys "
               "can now be removed from SALESHOME_SECRET_KEY.")
