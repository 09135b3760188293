"""Everything a settings change is checked against, opened lazily and cached for one command.

A :class:`SettingsContext` holds the control database (the handle its entry point opened and passed in),
the Slack directory (users, workspaces, channels) and, per connected org, a logged-in
:class:`SalesforceClient` with cached describe and list views.  Nothing is opened before it is needed:
a change to restrictions never logs in to Salesforce, a change to one org never logs in to another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from saleshome.config import Settings
from saleshome.errors import ValidationError
from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.credentials import Resolver
from saleshome.salesforce.login import connect
from saleshome.slack.directory import SlackDirectory
from saleshome.warehouse.control import ControlDB

from .orgs import get_org


class SettingsContext:
    """The control database, Slack and the connected orgs, as one settings command sees them."""

    def __init__(
        self, control: ControlDB, settings: Settings, *, directory: SlackDirectory | None = None,
        resolvers: Mapping[str, Resolver] | None = None,
    ) -> None:
        self.settings = settings
        self.workspace = settings.workspace
        self.control = control
        self._directory = directory
        self._resolvers = resolvers
        self._clients: dict[str, SalesforceClient] = {}
        self._sobjects: dict[str, dict[str, dict[str, Any]]] = {}
        self._describe: dict[tuple[str, str], dict[str, Any]] = {}
        self._list_views: dict[tuple[str, str], list[dict[str, Any]]] = {}

    @property
    def directory(self) -> SlackDirectory:
        if self._directory is None:
            self._directory = SlackDirectory.from_settings(self.settings)
        return self._directory

    # ------------------------------------------------------------------ Salesforce
    def client(self, alias: str) -> SalesforceClient:
        if alias not in self._clients:
            self._clients[alias] = connect(get_org(self.control, self.settings, alias), self._resolvers)
        return self._clients[alias]

    def sobjects(self, alias: str) -> dict[str, dict[str, Any]]:
        """The org's objects (describeGlobal), by lower-case name."""
        if alias not in self._sobjects:
            body = self.client(alias).describe_global()
            self._sobjects[alias] = {o["name"].lower(): o for o in body.get("sobjects", [])}
        return self._sobjects[alias]

    def sobject(self, alias: str, name: str) -> dict[str, Any]:
        """The describeGlobal entry of ``name``; a :class:`ValidationError` when the org has no such queryable object."""
        entry = self.sobjects(alias).get(name.lower())
        if entry is None:
            raise ValidationError(f"org {alias!r} has no object {name!r}",
                                  hint="use the object's API name (e.g. Opportunity, Invoice__c)")
        if not entry.get("queryable", False):
            raise ValidationError(f"object {entry['name']} of org {alias!r} is not queryable",
                                  hint="Sales Home shows only objects the integration user can query")
        return entry

    def describe(self, alias: str, name: str) -> dict[str, Any]:
        entry = self.sobject(alias, name)
        key = (alias, entry["name"])
        if key not in self._describe:
            self._describe[key] = self.client(alias).describe(entry["name"])
        return self._describe[key]

    def list_views(self, alias: str, name: str) -> list[dict[str, Any]]:
        """The org's list views of ``name`` (``GET /sobjects/{object}/listviews``, every page)."""
        entry = self.sobject(alias, name)
        key = (alias, entry["name"])
        if key not in self._list_views:
            client = self.client(alias)
            views: list[dict[str, Any]] = []
            path = f"sobjects/{entry['name']}/listviews"
            seen: set[str] = set()
            while path:

                def page(path: str = path) -> dict[str, Any]:
                    return cast(dict[str, Any], client.api.restful(path) or {})

                body = client.call(page)
                views += body.get("listviews", [])
                next_url = body.get("nextRecordsUrl")
                if body.get("done", True) or not next_url or next_url in seen:
                    break
                seen.add(next_url)
                path = next_url.split(f"/v{client.conn.api_version}/", 1)[-1]
            self._list_views[key] = views
        return self._list_views[key]
