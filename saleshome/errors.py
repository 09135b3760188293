"""The one error hierarchy of Sales Home, grouped by what the caller should do.

```
SalesHomeError                  base: a message, and a hint saying how to fix it
├── RetriableError              transient: try the same thing again later
│   └── QuotaExceededError      an API budget is spent: wait until it resets
└── FatalError                  retrying will not help: stop and report
    ├── ConfigurationError      settings, credentials or environment are wrong
    ├── ValidationError         input breaks a rule (a 26th list view, a bad template option)
    │   └── InputFileError      a file given to a command is not UTF-8 YAML of the right shape
    └── PermissionDeniedError   the actor is not allowed to do this
```

Prefect tasks retry on `RetriableError` only (see `is_retriable`); the CLI prints the
message and the hint of any `SalesHomeError` instead of a traceback (exit status 2 for an
`InputFileError`, as for a bad option).

Messages and hints must never contain secrets (tokens, passwords, keys): they end up in
logs, Prefect artifacts and terminals.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "FatalError",
    "InputFileError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RetriableError",
    "SalesHomeError",
    "ValidationError",
    "is_retriable",
]


class SalesHomeError(Exception):
    """Base of every error Sales Home raises on purpose.

    Catch this to handle any of them; look at the subclass to decide what to do.
    `hint` tells a human how to fix the problem, when we know.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class RetriableError(SalesHomeError):
    """Transient failure (timeout, 5xx, lock held, session expired): retry the same work later.

    `retry_after` is the number of seconds to wait, when the other side said so
    (Slack's `Retry-After`, for example); otherwise use the caller's backoff.
    """

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class QuotaExceededError(RetriableError):
    """An API budget is spent (Salesforce `REQUEST_LIMIT_EXCEEDED`, Slack rate limits).

    Stop cleanly, keep what was committed, and resume after `retry_after` seconds or at
    the next scheduled run; do not hammer the API in a tight retry loop.
    """


class FatalError(SalesHomeError):
    """Retrying the same work will fail the same way: stop, report, and let a human act."""


class ConfigurationError(FatalError):
    """Settings, credentials or the environment are missing or wrong: fix them, then rerun."""


class ValidationError(FatalError):
    """Input breaks a product rule (too many list views, unknown field, bad option): correct the input."""


class InputFileError(ValidationError):
    """A file handed to a command cannot be read as what it must be (UTF-8 text, YAML, a mapping).

    The message is one line naming the file and, when known, the line and column; nothing was changed.
    """


class PermissionDeniedError(FatalError):
    """The actor lacks the role or permission for this action: ask someone who has it."""


def is_retriable(exc: BaseException) -> bool:
    """True when retrying the same work may succeed (use it in task retry conditions)."""
    return isinstance(exc, RetriableError)
