"""Notification definitions, as sales admins edit them (SPEC §3.3); the pipeline (``saleshome.notify``) reads them.

Modules (import the one you need; nothing here is imported eagerly):

- ``catalog``: the nine templates, their typed options and the common options (:class:`NotificationSpec`).
- ``validate``: a spec checked against the org's describe and Slack, every problem with its path.
- ``store``: create, edit, delete, enable, disable (sales admins only; versioned; audited).
"""

__all__ = ["catalog", "store", "validate"]
