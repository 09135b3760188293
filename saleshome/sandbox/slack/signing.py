"""The app's configuration in the sandbox (request URLs, signing secret) and Slack's request signing.

Slack signs every request it sends to an app (docs "Verifying requests from Slack",
https://docs.slack.dev/authentication/verifying-requests-from-slack/): ``X-Slack-Request-Timestamp``
is the Unix time in whole seconds, and ``X-Slack-Signature`` is ``v0=`` followed by the hex
HMAC-SHA256 of ``"v0:{timestamp}:{raw body}"`` keyed with the app's signing secret.  The app refuses
a bad signature and a timestamp more than 5 minutes away from its own clock.

:func:`signed_headers` is what the sandbox's Events API delivery and interactivity put on their
requests; the timestamp is the caller's choice (real time for deliveries, since the app checks
against its own wall clock; an old one to test replay refusal).  Nothing here is shared with the
app: the app verifies with Bolt / slack-sdk, so a mistake on one side shows up in the tests.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_VERSION = "v0"
SIGNING_SECRET_LENGTH = 32  # Slack's signing secrets are 32 lower-case hex digits
_HEX = frozenset("0123456789abcdef")


def signature(signing_secret: str, timestamp: int, body: bytes) -> str:
    """``v0=<hex HMAC-SHA256(signing_secret, "v0:{timestamp}:{body}")>``."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signed_headers(signing_secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The two headers Slack adds to a request whose raw body is ``body``, sent at ``timestamp``."""
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature(signing_secret, timestamp, body),
    }


def _request_url(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the {name} must be an http(s) URL with a host, got {value!r}")
    return value


@dataclass(frozen=True)
class AppConfig:
    """What the app's settings page at api.slack.com holds that the sandbox needs.

    ``event_url``: Event Subscriptions' Request URL; ``interactivity_url``: Interactivity's Request
    URL (Slack lets them differ; Bolt serves both on ``/slack/events``).  ``None``: not configured.
    """

    signing_secret: str
    event_url: str | None = None
    interactivity_url: str | None = None

    def __post_init__(self) -> None:
        secret = self.signing_secret
        if len(secret) != SIGNING_SECRET_LENGTH or not set(secret) <= _HEX:
            raise ValueError(f"a signing secret is {SIGNING_SECRET_LENGTH} lower-case hex digits")
        _request_url(self.event_url, "event request URL")
        _request_url(self.interactivity_url, "interactivity request URL")

    def sign(self, body: bytes, timestamp: int) -> dict[str, str]:
        """:func:`signed_headers` with this app's secret."""
        return signed_headers(self.signing_secret, body, timestamp)
