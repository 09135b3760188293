"""The sync: Salesforce orgs into their DuckDB warehouses, and what each run brings up to date.

- ``engine``: ``sync_org`` — the one sync runner (per object, closed windows, rows, change log and
  cursor in one transaction); ``steps``: how its steps run (inline, or as Prefect task runs);
  ``results``: what a run reports; ``runs``: heartbeats and leases of running syncs; ``states``: states.
- ``targeted``: a targeted read of a few records (after a save from Slack) through the same merge, the
  cursor left where it stands.
- ``listviews``: the default list views, materialised into the org's DuckDB at each sync.
- ``users``: the user map (Salesforce users → Slack users by email), refreshed after a sync.
- ``status``, ``summary``, ``render``, ``progress``: where each org stands and what a run did, for people.
"""

__all__ = ["engine", "listviews", "progress", "render", "results", "runs", "states", "status", "steps", "summary",
           "targeted", "users"]
