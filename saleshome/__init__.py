"""Sales Home pipelines: Salesforce orgs into DuckDB, notifications and celebrations into Slack.

The core package: plain functions and classes, no Prefect import, nothing created at import.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from saleshome.errors import (
    ConfigurationError,
    FatalError,
    PermissionDeniedError,
    QuotaExceededError,
    RetriableError,
    SalesHomeError,
    ValidationError,
)

if TYPE_CHECKING:
    from saleshome.warehouse.frames import WarehouseReader, open_warehouse

try:
    __version__ = version("saleshome")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ConfigurationError",
    "FatalError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RetriableError",
    "SalesHomeError",
    "ValidationError",
    "WarehouseReader",
    "__version__",
    "open_warehouse",
]


def __getattr__(name: str) -> Any:
    """``open_warehouse`` and ``WarehouseReader`` (the analysts' read-only DataFrames), imported on first use."""
    if name in ("open_warehouse", "WarehouseReader"):
        from saleshome.warehouse import frames

        return getattr(frames, name)
    raise AttributeError(f"module 'saleshome' has no attribute {name!r}")
