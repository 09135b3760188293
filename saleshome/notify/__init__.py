"""Admin-created notifications at work: SQL compilation, evaluation, rendering, digests, stats.

Prefect-free.  The definitions sales admins edit (template catalog, checks, the versioned store) are
settings: ``saleshome.settings.notifications``.  Modules (import the one you need; nothing here is
imported eagerly):

- ``compile``: every notification of an org as one parameterised DuckDB query (the same rules row by row
  in Python, for tests and the benchmark: ``bench/notify_reference.py``).
- ``evaluate``: ``evaluate(control, settings, alias)`` after a sync run (every change committed since the
  notifications' watermark), ``evaluate_scheduled`` for the time-based templates — outbox rows or
  digest items, in one control transaction.
- ``fields``: labels, lookups by name and values formatted for their reader, from the describe the
  last sync kept; ``readers``: each recipient's locale and time zone; ``titles``: a notification's
  title in the reader's language.
- ``members``: members' subscriptions as notifications (scope as a condition, recipient the member) and the
  batch access check (``UserRecordAccess`` as the integration user) before anything is queued.
- ``render``: Block Kit; ``digest``: ``run_digests(control, settings, now)``; ``stats``: the dashboard (with
  members' subscriptions per template).
"""

__all__ = [
    "compile", "digest", "evaluate", "fields", "members", "readers", "render", "stats", "titles",
]
