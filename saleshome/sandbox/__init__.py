"""The sandboxes: local HTTPS stand-ins for Salesforce and Slack (tests, the demo); no production code."""

__all__ = ["http", "people", "salesforce", "slack", "tls"]
