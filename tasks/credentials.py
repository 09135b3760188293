"""Credential references ``prefect-secret:BLOCK``: the org's credentials in a Prefect Secret block.

The block holds a JSON object with the keys of ``saleshome.salesforce.credentials``
(``client_id``, ``client_secret``, ``username``, ``password``, ``security_token``,
``refresh_token``, ``private_key``)::

    Secret(value={"client_id": "...", "client_secret": "..."}).save("acme-salesforce")

The core package knows only the reference; flows, tasks and the CLI hand this resolver to
it in ``resolvers`` (see :func:`credential_resolvers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from saleshome.errors import ConfigurationError
from saleshome.salesforce.credentials import Resolver

SECRET_BLOCK_KIND = "prefect-secret"


def read_secret_block(name: str) -> dict[str, Any]:
    """The JSON object stored in the Prefect Secret block ``name`` (read now, never logged)."""
    from prefect.blocks.system import Secret

    try:
        block = cast("Secret[Any]", Secret.load(name, _sync=True))  # type: ignore[call-arg]  # _sync: never a coroutine
    except ValueError:
        raise ConfigurationError(
            f"no Prefect Secret block named {name!r}",
            hint=f"create it with Secret(value={{...}}).save({name!r}) or in the Prefect UI (Blocks → Secret)",
        ) from None
    value = block.get()
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"the Prefect Secret block {name!r} does not hold a JSON object",
            hint='store {"client_id": "...", "client_secret": "...", ...} as its value',
        )
    return dict(value)


def credential_resolvers() -> dict[str, Resolver]:
    """The resolvers to pass to the engine (``env:`` is built in)."""
    return {SECRET_BLOCK_KIND: read_secret_block}
