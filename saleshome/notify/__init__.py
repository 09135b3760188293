"""Admin-created notifications: template catalog, checks, SQL compilation, rendering, digests, stats.

Prefect-free.  Modules (import the one you need; nothing here is imported eagerly):

- ``catalog``: the nine templates, their typed options and the common options (:class:`NotificationSpec`).
- ``validate``: a spec checked against the org's describe and Slack, every problem with its path.
- ``store``: create, edit, delete, enable, disable (sales admins only; versioned; audited).
- ``compile``: every notification of an org as one parameterised DuckDB query (``reference``: the
  same rules row by row in Python, for tests and the benchmark).
- ``evaluate``: ``evaluate(settings, alias)`` after a sync run (every change committed since the
  notifications' watermark), ``evaluate_scheduled`` for the time-based templates — outbox rows or
  digest items, in one control transaction.
- ``fields``: labels, lookups by name and values formatted for their reader, from the describe the
  last sync kept; ``readers``: each recipient's locale and time zone; ``titles``: a notification's
  title in the reader's language.
- ``render``: Block Kit; ``digest``: ``run_digests(settings, now)``; ``stats``: the dashboard.
"""

__all__ = [
    "catalog", "compile", "digest", "evaluate", "fields", "readers", "render", "stats", "store", "titles", "validate",
]
