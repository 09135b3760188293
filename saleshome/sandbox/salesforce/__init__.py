"""The Salesforce sandbox: a seeded org behind a real HTTPS server (REST, Bulk API 2.0, OAuth)."""

__all__ = [
    "api", "auth", "bulk", "cli", "clock", "control", "cursors", "errors", "ids", "listviews", "policy", "records",
    "schema", "seed", "server", "simulator", "soql", "store",
]
