"""Sales Home settings — what admins edit: orgs, plan and roles, lists, record layouts, restrictions,
celebrations, notification definitions.

Modules (import the one you need; nothing here is imported eagerly):

- ``orgs``: connected Salesforce orgs (add, list, remove).
- ``workspace``: the Slack plan; ``require_sales_home(control, workspace)`` before any Sales Home work.
- ``roles``: ``require_sales_admin`` / ``require_role_granter`` (actors checked in Slack), grant and revoke.
- ``model``: the settings as pydantic models (stored state and YAML document).
- ``apply``: check, diff and apply a document atomically with audit; YAML import and export.
- ``changes``: one change at a time (what the CLI commands call).
- ``lists``, ``layouts``, ``celebrations``, ``restrictions``: what the pipeline reads (shown objects
  and default list views, record layouts, celebration settings and won stage, which conversations
  may receive messages — ``load_restrictions``, enforced by the publisher at send time).
- ``notifications``: notification definitions (template catalog, checks, the versioned store).
- ``locales``: who reads which language — ``channel_locale(control, workspace)`` and
  ``member_locales(control, alias)`` (a DM: the recipient's Slack locale, else the channels' one).
- ``subscriptions``: notifications members configure for themselves (their own only, templates the admins
  allow for members, checked against the schema as the member sees it: ``member_schema.UiSchema``).
- ``audit``: the audit log; ``context``: a command's Slack and org access (Slack look-ups:
  ``saleshome.slack.directory``).
"""

__all__ = [
    "apply", "audit", "celebrations", "changes", "context", "layouts", "lists", "locales", "member_schema", "members",
    "model", "notifications", "orgs", "render", "restrictions", "roles", "store", "subscriptions", "summary",
    "templates", "workspace",
]
