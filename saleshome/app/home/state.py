"""Where a member is in their Sales tab, kept in the Home view's ``private_metadata``.

Slack hands the view (and its ``private_metadata``, at most 3,000 characters: "Reference: View
objects") back with every action taken in it, so the tab needs no server-side session: the org,
the object, the open list and its page (the UI API's ``currentPageToken`` and the tokens of the
pages before and after it, "List Record Collection"), and the open record are read back from
there.  Invariants: :func:`encode` always fits :data:`PRIVATE_METADATA_MAX` (a token too long to
keep is dropped, so that page is simply not offered); :func:`decode` of anything that is not
ours (a view from an older version, edited text) is the tab's start, never an error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

PRIVATE_METADATA_MAX = 3000
TOKEN_MAX = 800  # a page token longer than this is not kept (three of them and the rest still fit)
VERSION = 1


@dataclass(frozen=True)
class Nav:
    """The member's place in the tab; ``None`` fields are not chosen yet."""

    org: str | None = None
    object: str | None = None
    list: str | None = None  # a list view's API name
    page: int = 1  # 1-based, for "records 26–50"
    token: str | None = None  # the current page's token (None: the first page)
    next: str | None = None
    previous: str | None = None
    record: str | None = None  # an open record's id

    def open_list(self, obj: str, list_api_name: str) -> Nav:
        return Nav(org=self.org, object=obj, list=list_api_name)

    def open_record(self, record_id: str) -> Nav:
        return replace(self, record=record_id)

    def close_record(self) -> Nav:
        return replace(self, record=None)

    def switch_org(self, org: str) -> Nav:
        return Nav(org=org)

    def with_page(self, token: str | None, next_token: str | None, previous_token: str | None) -> Nav:
        """The tokens Salesforce gave for the page now shown."""
        return replace(self, token=token, next=next_token, previous=previous_token)

    def next_page(self) -> Nav | None:
        if self.next is None:
            return None
        return replace(self, page=self.page + 1, token=self.next, next=None, previous=None, record=None)

    def previous_page(self) -> Nav | None:
        """The page before (the first page when its token was not kept); None on the first page."""
        if self.page <= 1:
            return None
        page = self.page - 1 if self.previous is not None else 1
        return replace(self, page=page, token=self.previous if page > 1 else None, next=None, previous=None,
                       record=None)


def _kept(token: str | None) -> str | None:
    return token if token is not None and len(token) <= TOKEN_MAX else None


def encode(nav: Nav) -> str:
    """``nav`` as ``private_metadata`` (compact JSON, at most :data:`PRIVATE_METADATA_MAX` characters)."""
    nav = replace(nav, token=_kept(nav.token), next=_kept(nav.next), previous=_kept(nav.previous))
    values = {k: v for k, v in asdict(nav).items() if v is not None and not (k == "page" and v == 1)}
    text = json.dumps({"v": VERSION, **values}, separators=(",", ":"), ensure_ascii=False)
    if len(text) > PRIVATE_METADATA_MAX:  # names alone cannot get here (API names are short): drop the tokens
        return encode(Nav(org=nav.org, object=nav.object, list=nav.list, record=nav.record))
    return text


def decode(text: str | None) -> Nav:
    """The place ``text`` (a view's ``private_metadata``) holds; the tab's start when it holds none of ours."""
    try:
        data: Any = json.loads(text or "")
    except ValueError:
        return Nav()
    if not isinstance(data, dict) or data.get("v") != VERSION:
        return Nav()
    strings = {k: data[k] for k in ("org", "object", "list", "token", "next", "previous", "record")
               if isinstance(data.get(k), str)}
    page = data.get("page", 1)
    return Nav(page=page if isinstance(page, int) and not isinstance(page, bool) and page >= 1 else 1, **strings)
