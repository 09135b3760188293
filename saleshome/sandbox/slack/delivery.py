"""One signed HTTP POST from "Slack" to the app, classified as Slack classifies a failed delivery.

Shared by the Events API delivery (``events.py``) and interactivity (``interactivity.py``): both send
a body signed with the app's secret (``signing.py``; real wall-clock timestamp, since the app checks
it against its own clock) and wait at most :data:`ACK_TIMEOUT` real seconds for an answer.

The reasons are the ``X-Slack-Retry-Reason`` values of the Events API's error handling section
(https://api.slack.com/events-api, "Graceful retries"; the same list is quoted by Classmethod's
"Slack Events APIの再送仕様と回避方法まとめ"): ``http_timeout`` (no answer within 3 s),
``connection_failed``, ``ssl_error``, ``http_error`` (an answer that is not 2xx), ``unknown_error``.
Redirects are not followed (Slack follows up to 2 and then reports ``too_many_redirects``): a 3xx is
an ``http_error`` here.  Nothing here holds the API's lock: callers release it before sending, since
the app typically calls the sandbox back (``views.publish``) while handling the request.
"""

from __future__ import annotations

import http.client
import ssl
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from .signing import AppConfig

ACK_TIMEOUT = 3.0  # real seconds: "respond ... within 3 seconds" (Events API, Handling user interaction)

FailureReason = Literal["http_timeout", "connection_failed", "ssl_error", "http_error", "unknown_error"]


@dataclass(frozen=True)
class Answer:
    """What the app answered (``status`` 0 and a ``reason`` when it did not answer 2xx in time)."""

    status: int
    body: bytes
    content_type: str
    reason: FailureReason | None
    headers: dict[str, str]
    seconds: float  # real time the request took

    @property
    def ok(self) -> bool:
        return self.reason is None


def post_signed(
    app: AppConfig,
    url: str,
    body: bytes,
    content_type: str,
    extra_headers: dict[str, str] | None = None,
    timeout: float = ACK_TIMEOUT,
) -> Answer:
    """POST ``body`` to ``url`` signed with ``app``'s secret; never raises for a network failure."""
    headers = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Accept": "*/*",
        **app.sign(body, int(time.time())),
        **(extra_headers or {}),
    }
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    started = time.monotonic()
    conn = conn_type(parts.hostname or "", parts.port, timeout=timeout)

    def failed(reason: FailureReason, status: int = 0, data: bytes = b"", ctype: str = "",
               got: dict[str, str] | None = None) -> Answer:
        return Answer(status, data, ctype, reason, got or {}, time.monotonic() - started)

    try:
        try:
            conn.connect()
        except ssl.SSLError:
            return failed("ssl_error")
        except TimeoutError:
            return failed("http_timeout")
        except OSError:
            return failed("connection_failed")
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        got = {k.lower(): v for k, v in response.getheaders()}
        ctype = got.get("content-type", "")
        if time.monotonic() - started > timeout:
            return failed("http_timeout", response.status, data, ctype, got)
        if not 200 <= response.status < 300:
            return failed("http_error", response.status, data, ctype, got)
        return Answer(response.status, data, ctype, None, got, time.monotonic() - started)
    except TimeoutError:
        return failed("http_timeout")
    except ssl.SSLError:
        return failed("ssl_error")
    except (ConnectionError, http.client.HTTPException, OSError):
        return failed("unknown_error")
    finally:
        conn.close()
