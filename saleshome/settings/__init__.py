"""Sales Home settings: orgs, plan and roles, lists, record layouts, restrictions, celebrations.

Modules (import the one you need; nothing here is imported eagerly):

- ``orgs``: connected Salesforce orgs (add, list, remove).
- ``workspace``: the Slack plan; ``require_sales_home(control, workspace)`` before any Sales Home work.
- ``roles``: ``require_sales_admin`` / ``require_role_granter`` (actors checked in Slack), grant and revoke.
- ``model``: the settings as pydantic models (stored state and YAML document).
- ``apply``: check, diff and apply a document atomically with audit; YAML import and export.
- ``changes``: one change at a time (what the CLI commands call).
- ``lists``, ``layouts``, ``celebrations``: what the pipeline reads (shown objects and default
  list views, record layouts, celebration settings and won stage); restrictions are read with
  ``saleshome.slack.restrictions.load_restrictions``.
- ``locales``: who reads which language — ``channel_locale(control, workspace)`` and
  ``member_locales(control, alias)`` (a DM: the recipient's Slack locale, else the channels' one).
- ``audit``: the audit log; ``directory``: Slack look-ups; ``context``: a command's Slack and org access.
"""

__all__ = [
    "apply", "audit", "celebrations", "changes", "context", "directory", "layouts", "lists", "listviews", "locales",
    "members", "model", "orgs", "render", "roles", "store", "summary", "templates", "workspace",
]
