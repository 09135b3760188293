"""Slack's cursor pagination, in one place.

A Slack list method answers one page and ``response_metadata.next_cursor``; an empty (or
missing) cursor ends the list.  A page may hold fewer items than ``limit``, even none, while
the cursor goes on: only the cursor says when to stop.

Invariants of :func:`pages`: the first call carries no ``cursor``; each next call carries the
cursor the previous page gave; a cursor seen twice (a server going round in circles) or more
than ``max_pages`` pages stop the listing with a :class:`~saleshome.errors.RetriableError`
rather than loop or silently cut the list short.  Errors of the calls themselves pass through
unchanged (classify them with :func:`saleshome.slack.errors.slack_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from saleshome.errors import RetriableError

__all__ = ["MAX_PAGES", "next_cursor", "page_items", "pages"]

MAX_PAGES = 1000


def next_cursor(page: Any) -> str | None:
    """The cursor of the next page, or None on the last one."""
    return (page.get("response_metadata") or {}).get("next_cursor") or None


def pages(call: Callable[..., Any], /, *, max_pages: int = MAX_PAGES, **params: Any) -> Iterator[dict[str, Any]]:
    """Every page of a Slack list method: ``pages(client.users_list, limit=200)``.

    ``call`` is a ``WebClient`` method (or any callable taking the method's parameters and
    ``cursor``) answering a ``SlackResponse`` or a dict; each page is yielded as a dict.
    """
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        answer = call(**params, **({"cursor": cursor} if cursor else {}))
        data = answer.data if hasattr(answer, "data") else answer
        page: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
        yield page
        cursor = next_cursor(page)
        if cursor is None:
            return
        if cursor in seen:
            raise RetriableError(f"Slack gave the cursor {cursor!r} twice while listing: the listing stopped",
                                 hint="retry later")
        seen.add(cursor)
    raise RetriableError(f"Slack's listing went on past {max_pages} pages: it stopped there", hint="retry later")


def page_items(call: Callable[..., Any], key: str, /, *, max_pages: int = MAX_PAGES,
               **params: Any) -> Iterator[dict[str, Any]]:
    """The items under ``key`` (``"channels"``, ``"members"``, ``"messages"``...) of every page, in order."""
    for page in pages(call, max_pages=max_pages, **params):
        yield from (dict(item) for item in page.get(key) or [])
