"""Prefect tasks: thin wrappers owning retries, caching, logging and artifacts around core functions.

One task is one batch of work, never one record. Retries apply to
`saleshome.errors.RetriableError` only (`saleshome.errors.is_retriable`).
"""

__all__ = ["artifacts", "celebrate", "concurrency", "credentials", "errors", "events", "notify", "publish", "steps"]
