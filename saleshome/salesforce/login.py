"""Logging in to an org: a client with its session, and the REST API versions the org serves.

The credentials are resolved at login (:func:`~saleshome.salesforce.credentials.resolve`) and kept
in memory only.  What an org is connected as (its alias, login URL, credential reference) is a
setting (``saleshome.settings.orgs``); this module only needs how to reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from saleshome.errors import ConfigurationError

from .client import OrgConnection, SalesforceClient
from .credentials import Resolver, resolve


class Reachable(Protocol):
    """Anything that knows how to reach its org (a connected org of the settings)."""

    @property
    def connection(self) -> OrgConnection: ...


def connect(org: Reachable | OrgConnection, resolvers: Mapping[str, Resolver] | None = None) -> SalesforceClient:
    """A logged-in client for an org (credentials resolved now, kept in memory only)."""
    conn = org if isinstance(org, OrgConnection) else org.connection
    client = SalesforceClient(conn, resolve(conn.credential_ref, resolvers))
    client.login()
    return client


def served_api_versions(client: SalesforceClient) -> list[str]:
    """The REST API versions the org serves (``GET /services/data/``, no session needed), oldest first."""
    assert client.token is not None
    url = f"{client.token.instance_url}/services/data/"

    def fetch() -> list[str]:
        response = client.session.get(url, timeout=60)
        if response.status_code != 200:
            raise ConfigurationError(f"org {client.conn.alias!r} answered {response.status_code} to the list of "
                                     "REST API versions", hint="check the login URL")
        return [str(v["version"]) for v in response.json()]

    return sorted(client.call(fetch), key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()))
