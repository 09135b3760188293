"""Conditional requests on sObject Rows (``/sobjects/{object}/{id}``), the way the REST API answers them.

REST API Developer Guide, "Conditional Request Headers"
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest_conditional_requests.htm):

- weak validation, every object: ``If-Unmodified-Since`` on a PATCH is refused with **412 Precondition
  Failed** when the record's last modified date is later than the header's date; ``If-Modified-Since``
  on a GET answers **304 Not Modified** when the record has not been modified since;
- strong validation, **Account records only**: the record's ``ETag`` response header (a hash of the
  record, ``"…--gzip"``) on GET and PATCH; ``If-Match`` (a list of ETags, or ``*``) refuses a PATCH
  whose record matches none with 412; ``If-None-Match`` answers 304 to a GET and 412 to a PATCH when
  the record matches one; on other objects these two headers are not supported and are ignored;
- an invalid ``If-Match``, ``If-None-Match`` or ``If-Unmodified-Since`` value on a PATCH is a
  400 Bad Request; ``If-Range`` and conditional DELETE are not supported (the headers are ignored).

HTTP dates compare at whole seconds (RFC 9110 §13.1.4: an HTTP-date has one-second resolution), so a
client that sends back the record's own ``LastModifiedDate`` passes.  The guide gives the status codes
but no body: the sandbox answers 412 with Salesforce's usual error list,
``[{"errorCode": "PRECONDITION_FAILED", "message": …}]``, and 400 with ``INVALID_HEADER``.
The check runs inside the store's write transaction (``OrgStore.update(precondition=…)``): a refused
PATCH changes nothing, and no other write can slip between the check and the update.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import ApiError
from .schema import ObjectDef

ETAG_OBJECTS = ("Account",)  # "This header is supported by sObject Rows (Account records only) resources."
_ETAG = re.compile(r'\s*(?:W/)?"[^"]*"\s*')


def supports_etag(obj: ObjectDef) -> bool:
    return obj.name in ETAG_OBJECTS


def etag(row: dict[str, Any]) -> str:
    """The record's ETag: a hash of its id and last change (it moves at every write), quoted."""
    stamp = row.get("SystemModstamp")
    seed = f"{row['Id']}|{stamp.isoformat() if isinstance(stamp, datetime) else stamp}".encode()
    return '"' + base64.b64encode(hashlib.sha256(seed).digest()).decode() + '--gzip"'


def last_modified(row: dict[str, Any]) -> datetime | None:
    """The record's last modified date (UTC, whole seconds): LastModifiedDate, else SystemModstamp."""
    moment = row.get("LastModifiedDate") or row.get("SystemModstamp")
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=UTC, microsecond=0) if moment.tzinfo is None else moment.replace(microsecond=0)


def _invalid(header: str, value: str) -> ApiError:
    return ApiError(400, "INVALID_HEADER", f"Invalid value for the {header} header: {value}")


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _etags(header: str, value: str) -> list[str] | None:
    """The ETags of an If-Match / If-None-Match value (None for ``*``); 400 when it is not a list of ETags."""
    if value.strip() == "*":
        return None
    parts = value.split(",")
    if not all(_ETAG.fullmatch(p) for p in parts):
        raise _invalid(header, value)
    return [p.strip().removeprefix("W/") for p in parts]


def _precondition_failed(message: str) -> ApiError:
    return ApiError(412, "PRECONDITION_FAILED", message)


def update_precondition(
    obj: ObjectDef, headers: Mapping[str, str], *, since_headers: tuple[str, ...] = ("If-Unmodified-Since",),
    etags: bool = True,
) -> Callable[[dict[str, Any]], None] | None:
    """The PATCH's precondition as a check of the stored row (for ``OrgStore.update``), or None.

    ``headers`` have lower-case names.  ``since_headers`` are the date headers that mean "refuse if
    modified since" (the UI API's record PATCH documents ``If-Modified-Since`` for it, see ``uiapi.py``);
    ``etags`` False leaves If-Match / If-None-Match aside.  Header values are validated here, before
    anything is read: a bad value is a 400 even when the record would pass.
    """
    since_name = next((h for h in since_headers if h.lower() in headers), None)
    since_raw = headers.get(since_name.lower()) if since_name else None
    since = None
    if since_raw is not None:
        since = _http_date(since_raw)
        if since is None:
            raise _invalid(since_name or "", since_raw)
    tagged = etags and supports_etag(obj)
    match_raw = headers.get("if-match") if tagged else None
    none_raw = headers.get("if-none-match") if tagged else None
    match = _etags("If-Match", match_raw) if match_raw is not None else None
    none_match = _etags("If-None-Match", none_raw) if none_raw is not None else None
    if since is None and match_raw is None and none_raw is None:
        return None

    def check(row: dict[str, Any]) -> None:
        modified = last_modified(row)
        if since is not None and modified is not None and modified > since:
            raise _precondition_failed(
                f"The record has been modified since {since_raw} (last modified {modified.isoformat()})"
            )
        tag = etag(row)
        if match_raw is not None and match is not None and tag not in match:
            raise _precondition_failed("The record's ETag matches none of the If-Match ETags")
        if none_raw is not None and (none_match is None or tag in none_match):
            raise _precondition_failed("The record's ETag matches an If-None-Match ETag")

    return check


def not_modified(obj: ObjectDef, headers: Mapping[str, str], row: dict[str, Any]) -> bool:
    """True when a GET's ``If-None-Match`` (Account) or ``If-Modified-Since`` says the client's copy is current.

    As in HTTP, If-None-Match wins over If-Modified-Since, and an unparsable date is ignored on a GET.
    """
    none_raw = headers.get("if-none-match") if supports_etag(obj) else None
    if none_raw is not None:
        tags = _etags("If-None-Match", none_raw)
        return tags is None or etag(row) in tags
    since_raw = headers.get("if-modified-since")
    since = _http_date(since_raw) if since_raw is not None else None
    modified = last_modified(row)
    return since is not None and modified is not None and modified <= since
