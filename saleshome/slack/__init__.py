"""Slack API client helpers: what talking to Slack needs, and nothing that reads or writes a database.

- ``text``: message text safety (escaping, links) and Slack's limits (section, header, blocks).
- ``directory``: look-ups of users and their roles, workspaces and conversations (in memory, per command).
- ``errors``: Slack's error codes by family, and the project's error for each; ``pages``: cursor pagination.

What Sales Home does with Slack sits above: the outbox in ``saleshome.warehouse.outbox``,
restrictions in ``saleshome.settings.restrictions``, the publisher in ``saleshome.publish``, the
user map in ``saleshome.sync.users``.
"""

__all__ = ["directory", "errors", "pages", "text"]
