"""Publishing: the outbox drained into Slack, exactly once, order kept per channel, within rate limits.

Modules (import the one you need; nothing here is imported eagerly: slack-sdk is slow to import):

- ``publisher``: :class:`Publisher` (claim, send with the key in the message metadata, reconcile
  against the channel's history after a crash), restrictions checked at send time; ``web_client``.
- ``schedule``: which item goes next (one FIFO queue per channel, each channel paced).
- ``setup``: ``publisher_from_settings`` — a publisher from the settings, refused when the workspace's
  plan does not include Sales Home.
"""

__all__ = ["publisher", "schedule", "setup"]
