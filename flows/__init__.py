"""Prefect flows: orchestration only (which org, which object, in what order).

A flow reads like the paragraph that describes it; the work happens in `tasks/` and the
logic in the `saleshome` package. Nothing is created at import.
"""

__all__ = ["publish", "sales_home", "states", "sync"]
