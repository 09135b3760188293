"""Which records a Salesforce user may read, asked as the integration user (``UserRecordAccess``).

``SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE UserId = '…' AND RecordId IN (…)``: Salesforce
answers one user's access to at most :data:`MAX_RECORDS` records per query (Object Reference,
"UserRecordAccess"), so the ids go in batches of 200, one query each.  Ids are checked (15 or 18 letters and
digits) before they are put in the query text; a record missing from the answer (deleted, or of an object
without sharing) counts as not readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from saleshome.errors import ValidationError

from .client import SalesforceClient

__all__ = ["MAX_RECORDS", "readable_records", "role_parents"]

MAX_RECORDS = 200
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


def _checked(value: str) -> str:
    if not _ID.match(value):
        raise ValidationError(f"{value!r} is not a Salesforce id", hint="ids are 15 or 18 letters and digits")
    return value


def readable_records(client: SalesforceClient, user_id: str, record_ids: Iterable[str]) -> set[str]:
    """The ids among ``record_ids`` that ``user_id`` may read (one query per 200 ids)."""
    user = _checked(user_id)
    ids = sorted({_checked(i) for i in record_ids})
    readable: set[str] = set()
    for start in range(0, len(ids), MAX_RECORDS):
        batch = ", ".join(f"'{i}'" for i in ids[start:start + MAX_RECORDS])
        soql = (f"SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE UserId = '{user}' "
                f"AND RecordId IN ({batch})")
        for page in client.query_pages(soql, include_deleted=False):
            readable |= {str(r["RecordId"]) for r in page if r.get("HasReadAccess")}
    short = {r[:15] for r in readable}  # an 18-character id answered for a 15-character one, or back
    return {i for i in ids if i in readable or i[:15] in short}


def role_parents(client: SalesforceClient) -> dict[str, str | None]:
    """The org's role hierarchy: role id → its parent role id (None at the top)."""
    out: dict[str, str | None] = {}
    for page in client.query_pages("SELECT Id, ParentRoleId FROM UserRole", include_deleted=False):
        out.update({str(r["Id"]): r.get("ParentRoleId") for r in page})
    return out
