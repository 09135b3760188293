"""Slack: the WebClient factory, message text safety, the outbox, restrictions, the publisher, user mapping."""

__all__ = ["errors", "outbox", "pages", "publisher", "restrictions", "schedule", "setup", "text", "users"]
