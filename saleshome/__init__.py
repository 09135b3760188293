"""Sales Home pipelines: Salesforce orgs into DuckDB, notifications and celebrations into Slack.

The core package: plain functions and classes, no Prefect import, nothing created at import.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from saleshome.errors import (
    ConfigurationError,
    FatalError,
    PermissionDeniedError,
    QuotaExceededError,
    RetriableError,
    SalesHomeError,
    ValidationError,
)

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
    "__version__",
]
