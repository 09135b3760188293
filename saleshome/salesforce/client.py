"""The Salesforce client the pipeline uses: simple-salesforce plus what a long sync needs.

Every call goes through one policy: an expired session logs in again and the call goes on
(REST and Bulk alike); 5xx, timeouts and dropped connections retry with exponential backoff
and jitter; ``REQUEST_LIMIT_EXCEEDED`` becomes :class:`QuotaExceededError` at once (never a
retry loop); the API usage from ``Sforce-Limit-Info`` and the server time from ``Date`` are
kept after each call.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from saleshome.errors import FatalError, QuotaExceededError, RetriableError
from saleshome.private import private_dir, private_opener

from .auth import Token, http_session, request_token
from .credentials import AuthMethod, Credentials

T = TypeVar("T")
DEFAULT_API_VERSION = "62.0"


@dataclass(frozen=True)
class OrgConnection:
    """How to reach one org (nothing secret: the credentials are resolved separately)."""

    alias: str
    login_url: str
    auth_method: AuthMethod
    credential_ref: str
    ca_file: str | None = None
    api_version: str = DEFAULT_API_VERSION


class BulkNotSupported(FatalError):
    """Bulk API 2.0 refuses this object or query (some objects and fields are REST-only)."""


_BULK_REFUSALS = ("INVALIDENTITY", "FUNCTIONALITY_NOT_ENABLED", "API_ERROR", "INVALIDJOB")


class SessionExpired(Exception):
    """Internal: a 401 INVALID_SESSION_ID, answered by logging in again."""


def _error_code(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def _error_message(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("message", ""))
    return str(content)[:300]


def _query_more(url: str) -> Callable[[Salesforce], Any]:
    return lambda sf: sf.query_more(url, identifier_is_url=True)


def split_page(body: bytes) -> tuple[dict[str, Any], bytes]:
    """A query page's head (``totalSize``, ``done``, ``nextRecordsUrl``) and its records, as a JSON array.

    Salesforce writes the head first and the records last: then the records are cut out of the
    page as they are, not decoded.  In any other order the page is decoded and the records
    written again.  (A key after the records whose value is an array would make the cut
    invalid JSON: DuckDB then refuses the file loudly; nothing is loaded from it.)
    """
    text = body.decode()
    decoder = json.JSONDecoder()
    head: dict[str, Any] = {}
    at = _skip_space(text, 0)
    if text.startswith("{", at):
        at = _skip_space(text, at + 1)
        while text.startswith('"', at):
            key, at = decoder.raw_decode(text, at)
            at = _skip_space(text, at)
            if not text.startswith(":", at):
                break
            at = _skip_space(text, at + 1)
            if key == "records":
                first, last = len(text[:at].encode()), body.rfind(b"]")
                known = head.get("done") is True or "nextRecordsUrl" in head
                if known and body.startswith(b"[", first) and body[last + 1:].strip() == b"}":
                    return head, body[first:last + 1]
                break
            head[key], at = decoder.raw_decode(text, at)
            at = _skip_space(text, at)
            at = _skip_space(text, at + 1) if text.startswith(",", at) else at
    page = json.loads(text)
    if not isinstance(page, dict) or not isinstance(page.get("records"), list):
        raise FatalError(f"a query page is not an object with records: {text[:200]!r}")
    return {k: v for k, v in page.items() if k != "records"}, json.dumps(page["records"]).encode()


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


class SalesforceClient:
    """One logged-in connection to one org."""

    def __init__(
        self, conn: OrgConnection, creds: Credentials, *, attempts: int = 5, backoff: float = 0.5,
        before_call: Callable[[], None] | None = None,
    ) -> None:
        self.conn = conn
        self._creds = creds
        self.attempts = attempts
        self.backoff = backoff
        self.before_call = before_call  # e.g. the sync's API budget check: raise to stop before a call
        self.calls = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.usage: tuple[int, int] | None = None
        self.server_time: datetime | None = None
        self.session = http_session(conn.ca_file)
        self.token: Token | None = None
        self.sf: Salesforce | None = None

    def __repr__(self) -> str:
        return f"SalesforceClient(alias={self.conn.alias!r})"

    # ------------------------------------------------------------------ session
    def login(self) -> None:
        self._creds.require(self.conn.auth_method, f"{self.conn.credential_ref} (the credentials of org {self.conn.alias!r})")
        self.token = request_token(self.session, self.conn.login_url, self.conn.auth_method, self._creds,
                                   alias=self.conn.alias)
        self.sf = Salesforce(
            instance_url=self.token.instance_url, session_id=self.token.access_token, session=self.session,
            version=self.conn.api_version,
        )

    @property
    def api(self) -> Salesforce:
        if self.sf is None:
            self.login()
        assert self.sf is not None
        return self.sf

    def _headers(self) -> dict[str, str]:
        return dict(self.api.headers)

    # ------------------------------------------------------------------ the call policy
    @property
    def thread_calls(self) -> int:
        """Calls made so far by the calling thread (objects may be read ahead in other threads)."""
        return int(getattr(self._local, "calls", 0))

    def _note(self, response: requests.Response | None) -> None:
        with self._lock:
            self.calls += 1
        self._local.calls = self.thread_calls + 1
        if response is None:
            return
        info = response.headers.get("Sforce-Limit-Info", "")
        if info.startswith("api-usage="):
            used, _, total = info.removeprefix("api-usage=").partition("/")
            if used.isdigit() and total.isdigit():
                self._observe(int(used), int(total))
        date = response.headers.get("Date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = email.utils.parsedate_to_datetime(date)

    def _observe(self, used: int, total: int) -> None:
        """Take the usage an answer reported, never under the calls already counted (other threads' in flight)."""
        with self._lock:
            counted = self.usage[0] if self.usage is not None and self.usage[1] == total else 0
            self.usage = (max(used, counted), total)

    def _check(self, response: requests.Response) -> requests.Response:
        if response.status_code < 300:
            return response
        try:
            content: Any = response.json()
        except ValueError:
            content = response.text
        self._raise(response.status_code, content)
        return response

    def _raise(self, status: int, content: Any) -> None:
        code = _error_code(content)
        if status == 401:
            raise SessionExpired
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise QuotaExceededError(
                f"org {self.conn.alias!r} has spent its daily API requests (REQUEST_LIMIT_EXCEEDED)",
                hint="the sync pauses and resumes at its next run",
            )
        if status >= 500:
            raise RetriableError(f"Salesforce answered {status} {code or ''} for org {self.conn.alias!r}".strip())
        if code == "INVALID_QUERY_LOCATOR":
            raise RetriableError(f"the query cursor of org {self.conn.alias!r} expired (INVALID_QUERY_LOCATOR)")
        raise FatalError(f"Salesforce refused a request of org {self.conn.alias!r}: {status} {code}: "
                         f"{_error_message(content)}")

    def _sf(self, fn: Callable[[Salesforce], T]) -> T:
        """A simple-salesforce call under the policy, keeping the usage it parsed."""

        def go() -> T:
            result = fn(self.api)
            self._note(None)
            usage = self.api.api_usage.get("api-usage")
            if usage is not None:
                self._observe(int(usage.used), int(usage.total))
            return result

        return self.call(go)

    def call(self, fn: Callable[[], T]) -> T:
        """Run one API call under the policy (re-login, backoff, quota)."""
        relogged = False
        for attempt in range(1, self.attempts + 1):
            if self.before_call is not None:
                with self._lock:  # check and count the call at once: calls in other threads see it
                    self.before_call()
                    if self.usage is not None:
                        self.usage = (self.usage[0] + 1, self.usage[1])
            try:
                try:
                    return fn()
                except SalesforceError as exc:
                    self._raise(exc.status, exc.content)
                    raise  # unreachable: _raise always raises
            except SessionExpired:
                if relogged:
                    raise FatalError(f"org {self.conn.alias!r} refused a fresh session (401 after login)") from None
                self.login()
                relogged = True
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.attempts:
                    raise RetriableError(
                        f"org {self.conn.alias!r} did not answer after {attempt} attempts ({type(exc).__name__})"
                    ) from None
                self._sleep(attempt)
            except QuotaExceededError:
                raise  # never retried in a loop: the run pauses
            except RetriableError:
                if attempt == self.attempts:
                    raise
                self._sleep(attempt)
        raise AssertionError("unreachable")

    def _sleep(self, attempt: int) -> None:
        time.sleep(self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random()))

    def _get(self, url: str, **kwargs: Any) -> requests.Response:
        def go() -> requests.Response:
            response = self.session.get(url, headers=self._headers(), timeout=120, **kwargs)
            self._note(response)
            return self._check(response)

        return self.call(go)

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET ``url`` (a REST resource of this org) under the client's policy, as JSON."""
        return cast(dict[str, Any], self._get(url, params=params).json())

    # ------------------------------------------------------------------ REST
    def limits(self) -> dict[str, Any]:
        """``/limits`` (also refreshes the API usage and the server time)."""
        return cast(dict[str, Any], self._get(self.api.base_url + "limits/").json())

    def identity(self) -> dict[str, Any]:
        assert self.token is not None or self.api is not None
        assert self.token is not None
        return cast(dict[str, Any], self._get(self.token.identity_url).json())

    def describe(self, obj: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._get(f"{self.api.base_url}sobjects/{obj}/describe/").json())

    def describe_global(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._get(f"{self.api.base_url}sobjects/").json())

    def count(self, soql: str) -> int:
        """Rows a ``SELECT COUNT() ...`` query counts (through queryAll: deleted rows included)."""
        body = self._get(self.api.base_url + "queryAll/", params={"q": soql}).json()
        return int(body["totalSize"])

    def query_pages(self, soql: str, *, include_deleted: bool = True) -> Iterator[list[dict[str, Any]]]:
        """The records of ``soql``, page by page (queryAll by default), detecting paging loops."""
        body: dict[str, Any] = dict(self._sf(lambda sf: sf.query(soql, include_deleted=include_deleted)))
        seen: set[str] = set()
        while True:
            yield body["records"]
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            if next_url in seen:
                raise FatalError(f"pagination loop on org {self.conn.alias!r}: {next_url} came back twice")
            seen.add(next_url)
            body = dict(self._sf(_query_more(next_url)))

    def query_to_files(self, soql: str, directory: Path, *, include_deleted: bool = True) -> list[Path]:
        """The records of ``soql`` (queryAll by default), one JSON array file per page (:func:`split_page`),
        private to their owner (files 0600, missing directories 0700).

        What DuckDB reads itself (``OrgWarehouse.stage_pages``): no Python object per record, only
        each page's head (``done``, ``nextRecordsUrl``) is decoded.  Paging loops are detected.
        """
        private_dir(directory)
        prefix = f"rest-{uuid.uuid4().hex[:8]}"
        url = self.api.base_url + ("queryAll/" if include_deleted else "query/")
        response = self._get(url, params={"q": soql})
        files: list[Path] = []
        seen: set[str] = set()
        while True:
            target = directory / f"{prefix}-{len(files):05d}.json"
            head, records = split_page(response.content)
            with open(target, "wb", opener=private_opener) as out:
                out.write(records)
            files.append(target)
            next_url = head.get("nextRecordsUrl")
            if head.get("done", True) or not next_url:
                return files
            if next_url in seen:
                raise FatalError(f"pagination loop on org {self.conn.alias!r}: {next_url} came back twice")
            seen.add(next_url)
            response = self._get(f"https://{self.api.sf_instance}{next_url}")

    # ------------------------------------------------------------------ Bulk API 2.0
    def bulk_query_to_files(
        self, soql: str, directory: Path, *, operation: str = "queryAll", page_records: int = 100_000,
        poll_max: float = 0.5,
    ) -> list[Path]:
        """Run a Bulk 2.0 query job and stream its CSV result sets to private files (0600; memory stays flat)."""
        base = f"{self.api.bulk2_url}query"

        def create() -> dict[str, Any]:
            response = self.session.post(base, headers=self._headers(), timeout=120,
                                         json={"operation": operation, "query": soql})
            self._note(response)
            if response.status_code == 400:
                with contextlib.suppress(ValueError):
                    content = response.json()
                    if _error_code(content) in _BULK_REFUSALS:
                        raise BulkNotSupported(f"Bulk API 2.0 refused a query of org {self.conn.alias!r}: "
                                               f"{_error_code(content)}: {_error_message(content)}")
            return cast(dict[str, Any], self._check(response).json())

        job = self.call(create)
        job_id = job["id"]
        delay = 0.05
        deadline = time.monotonic() + 3600
        while True:
            state = self._get(f"{base}/{job_id}").json()
            if state["state"] == "JobComplete":
                break
            if state["state"] in ("Failed", "Aborted"):
                message = state.get("errorMessage", state["state"])
                if "QUERY_TIMEOUT" in message:
                    raise RetriableError(f"Bulk query job of org {self.conn.alias!r} timed out: {message}")
                raise FatalError(f"Bulk query job of org {self.conn.alias!r} ended {state['state']}: {message}")
            if time.monotonic() > deadline:
                raise RetriableError(f"Bulk query job of org {self.conn.alias!r} did not finish within an hour")
            time.sleep(delay)
            delay = min(delay * 1.5, poll_max)
        private_dir(directory)
        files: list[Path] = []
        locator = ""
        seen: set[str] = set()
        while True:
            params: dict[str, str | int] = {"maxRecords": page_records}
            if locator:
                params["locator"] = locator
            target = directory / f"{job_id}-{len(files):05d}.csv"

            def download(params: dict[str, str | int] = params, target: Path = target) -> str:
                with self.session.get(f"{base}/{job_id}/results", headers=self._headers(), params=params,
                                      timeout=600, stream=True) as response:
                    self._note(response)
                    self._check(response)
                    with open(target, "wb", opener=private_opener) as out:
                        for chunk in response.iter_content(chunk_size=1 << 20):
                            out.write(chunk)
                    return response.headers.get("Sforce-Locator", "null")

            locator = self.call(download)
            files.append(target)
            if not locator or locator == "null":
                break
            if locator in seen:
                raise FatalError(f"pagination loop on org {self.conn.alias!r}: Bulk locator {locator} came back twice")
            seen.add(locator)
        def delete() -> None:
            self._note(self.session.delete(f"{base}/{job_id}", headers=self._headers(), timeout=60))

        with contextlib.suppress(RetriableError, requests.RequestException):  # a leftover job expires by itself
            self.call(delete)
        return files
