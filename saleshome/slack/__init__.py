"""Slack: the WebClient factory, message text safety, the outbox, restrictions, the publisher, user mapping."""
