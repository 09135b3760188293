"""The sync: Salesforce orgs into their DuckDB warehouses (import the module you need)."""

__all__ = ["engine", "progress", "render", "results", "runs", "states", "status", "steps", "summary"]
