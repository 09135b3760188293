"""Slack's error answers → the Sales Home error tree, in one place.

Slack refuses a call with ``{"ok": false, "error": CODE}`` (HTTP 200, 429 with ``Retry-After``
for a rate limit, 5xx when Slack itself is unwell); slack-sdk raises ``SlackApiError`` for it.
A dropped connection or a timeout is an answer-less ``SlackClientError`` or ``OSError``.

Every code falls in one family (:func:`error_family`), and each family is one branch of
``saleshome/errors.py`` (:func:`slack_error`):

=============  ==================================================  =========================
family         what it means                                       error
=============  ==================================================  =========================
AUTH           the token, its scopes or the app's installation      ConfigurationError
RATE_LIMITED   a rate limit (429): wait ``Retry-After`` seconds     QuotaExceededError
TRANSIENT      Slack unwell (5xx, ``internal_error``...) or silent  RetriableError
PERMANENT      this very request will be refused again (the         SlackRefusedError
               channel is gone, the user unknown, the blocks bad)   (a ConfigurationError)
UNKNOWN        a code not listed here                               SlackRefusedError
=============  ==================================================  =========================

Callers that have a use for a particular code (``users_not_found`` means "no Slack account with
that email", ``channel_not_found`` a dead letter) look at it first; anything they do not handle
themselves goes through :func:`slack_error`.  What a caller does with a PERMANENT or UNKNOWN
answer is its own policy: the publisher dead-letters a PERMANENT one at once and retries an
UNKNOWN one a few times; a command reports both.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from slack_sdk.errors import SlackApiError

from saleshome.errors import ConfigurationError, QuotaExceededError, RetriableError, SalesHomeError

__all__ = [
    "AUTH_ERRORS",
    "PERMANENT_ERRORS",
    "TRANSIENT_ERRORS",
    "SlackErrorFamily",
    "SlackRefusedError",
    "error_code",
    "error_family",
    "slack_error",
]


class SlackErrorFamily(StrEnum):
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


AUTH_ERRORS = frozenset({
    "invalid_auth", "not_authed", "missing_scope", "token_revoked", "token_expired", "account_inactive",
    "no_permission",
})
TRANSIENT_ERRORS = frozenset({
    "internal_error", "fatal_error", "service_unavailable", "request_timeout", "bad_gateway",
})
PERMANENT_ERRORS = frozenset({
    # the conversation or the message
    "channel_not_found", "is_archived", "not_in_channel", "cannot_dm_bot", "message_not_found",
    "duplicate_channel_not_found", "restricted_action",
    # the message's content
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "no_text",
    "too_many_attachments", "invalid_metadata_format", "invalid_metadata_schema", "invalid_arguments",
    # the user or their profile
    "user_not_found", "users_not_found", "user_not_visible", "user_disabled", "user_is_bot", "invalid_profile",
    "profile_set_failed", "not_admin", "cannot_update_admin_user", "not_app_admin", "paid_only",
    "not_allowed_token_type",
})
# How to fix an AUTH answer of the bot token (the caller gives its own hint for another token).
AUTH_HINTS: Mapping[str, str] = {
    "invalid_auth": "check SALESHOME_SLACK_BOT_TOKEN",
    "not_authed": "set SALESHOME_SLACK_BOT_TOKEN",
    "token_revoked": "reinstall the Sales Home app and update SALESHOME_SLACK_BOT_TOKEN",
    "token_expired": "reinstall the Sales Home app and update SALESHOME_SLACK_BOT_TOKEN",
    "missing_scope": "the Sales Home app lacks a scope this call needs: reinstall it with the scopes of its manifest",
}
DEFAULT_HINT = "check the Sales Home app's installation"


class SlackRefusedError(ConfigurationError):
    """Slack refused the call for good (an AUTH, PERMANENT or UNKNOWN answer); ``code`` is Slack's error."""

    def __init__(self, message: str, *, code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


def error_family(code: str, status: int | None = None) -> SlackErrorFamily:
    """The family of Slack's error ``code`` (``status``: the HTTP status of the answer, when there was one)."""
    if code == "ratelimited" or status == 429:
        return SlackErrorFamily.RATE_LIMITED
    if code in AUTH_ERRORS:
        return SlackErrorFamily.AUTH
    if code in TRANSIENT_ERRORS or (status is not None and status >= 500):
        return SlackErrorFamily.TRANSIENT
    if code in PERMANENT_ERRORS:
        return SlackErrorFamily.PERMANENT
    return SlackErrorFamily.UNKNOWN


def error_code(exc: SlackApiError) -> str:
    """Slack's error code in a refusal (``unknown_error`` when the answer carries none)."""
    return str(exc.response.get("error") or "unknown_error")


def slack_error(
    exc: BaseException, what: str, *, hint: str | None = None, hints: Mapping[str, str] | None = None,
) -> SalesHomeError:
    """The Sales Home error for ``exc`` raised by a Slack call (``what``: the method, or what was refused).

    ``hints`` (per code) and then ``hint`` replace the default hint of a refusal (AUTH, PERMANENT,
    UNKNOWN); a retriable error keeps its own.  Raise the result ``from None``: slack-sdk's
    exception text holds the request, never to be shown.
    """
    if not isinstance(exc, SlackApiError):
        return RetriableError(f"Slack could not be reached for {what} ({type(exc).__name__})",
                              hint="retry in a moment")
    code = error_code(exc)
    status = getattr(exc.response, "status_code", None)
    family = error_family(code, status)
    if family is SlackErrorFamily.RATE_LIMITED:
        return QuotaExceededError(f"Slack rate-limited {what}", hint="wait for Slack's Retry-After, then retry",
                                  retry_after=_retry_after(getattr(exc.response, "headers", None)))
    if family is SlackErrorFamily.TRANSIENT:
        return RetriableError(f"Slack answered {code} to {what}", hint="retry in a moment")
    chosen = (hints or {}).get(code) or hint
    if family is SlackErrorFamily.AUTH:
        chosen = chosen or AUTH_HINTS.get(code)
    return SlackRefusedError(f"Slack refused {what}: {code}", code=code, hint=chosen or DEFAULT_HINT)


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (slack-sdk gives headers as a mapping of strings or lists)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return float(first)
            except (TypeError, ValueError):
                return None
    return None
