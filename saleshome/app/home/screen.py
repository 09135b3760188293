"""What the member's Sales tab shows for where they are: the UI API read as the member, then the view.

:func:`load_screen` asks Salesforce, with the member's own session (:class:`MemberUiApi`), for the
list views of each object the admins chose, the open list's info and one page of its records (25,
the page token from ``private_metadata``; on opening, the first object's first list: the admins' default
first), or the open record with its layout — independent calls at once (:data:`READERS`) — and returns a
:class:`.blocks.HomeScreen`; :func:`.blocks.home_view` makes it a view.  The integration user is
never used here: what the member sees is what Salesforce lets them see.

Every call goes through the one UI API client (:class:`saleshome.salesforce.ui_api.UiApi`: its typed
answers, its error classification).  Failures become a problem shown in place (:func:`problem_of`), the
rest of the tab unchanged:

- the session cannot be refreshed (revoked, expired refresh token: ``MemberSessionExpired``) → "Reconnect";
- Salesforce down, slow or over its limits (:class:`saleshome.errors.RetriableError`) → "Retry";
- the open list view or record is gone or no longer visible to the member (``UiNotFound``,
  ``UiAccessDenied``, ``UiRequestRefused``: 404, 403, 400) → said so;
- an object the admins chose that the member may not use is left out of their tab.

Edit buttons (list rows, the open record) only where the member may edit from Slack: the object ``updateable`` in
their object info and at least one of the Slack record layout's ``editable`` fields updateable by them
(:func:`saleshome.app.edit.load.can_edit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from saleshome.app.edit.load import can_edit, editable_fields
from saleshome.errors import RetriableError, SalesHomeError
from saleshome.i18n import Formatter, Messages
from saleshome.salesforce.ui_api import MemberSessionExpired, UiAccessDenied, UiNotFound, UiRequestRefused
from saleshome.salesforce.ui_api_types import ListInfo, ListRecordsPage, ListViewSummary, ObjectInfo, RecordView
from saleshome.settings.model import OrgSettings

from .blocks import PAGE_SIZE, Content, HomeScreen, ListContent, ObjectLists, OrgChoice, Problem, RecordContent, Tab
from .layout import sections_for
from .state import Nav
from .values import values_for

READERS = 8  # UI API calls made at once for one screen (each object's info and list views, a list's info and page)
GONE = (UiNotFound, UiAccessDenied, UiRequestRefused)  # not there for the member: 404, 403, 400 (``INVALID_TYPE``)


class MemberUiApi(Protocol):
    """The UI API calls the tab makes as one member: those of :class:`saleshome.salesforce.ui_api.UiApi` (the one
    client, which :class:`.cache.CachedUiApi` wraps), typed answers and the client's errors."""

    def all_list_views(self, obj: str) -> list[ListViewSummary]: ...

    def list_info(self, obj: str, list_view: str) -> ListInfo: ...

    def list_records(self, obj: str, list_view: str, *, page_size: int = ..., page_token: str | None = None,
                     sort_by: str | None = None, descending: bool = False, fields: Sequence[str] = (),
                     optional_fields: Sequence[str] = ()) -> ListRecordsPage: ...

    def object_info(self, obj: str) -> ObjectInfo: ...

    def record_view(self, record_id: str, *, layout_type: str = "Full") -> RecordView: ...


@dataclass(frozen=True)
class Member:
    """Who reads the tab: their Slack user, locale and time zone (Slack's ``users.info``)."""

    user_id: str
    locale: str
    tz: str | None = None


@dataclass(frozen=True)
class OrgView:
    """One org as the tab shows it: its alias, label, instance URL, default currency and the admins' settings."""

    alias: str
    label: str
    instance_url: str
    settings: OrgSettings
    currency: str = "USD"


def problem_of(error: Exception, nav: Nav) -> Problem | None:
    """The problem shown in place of ``error``; None for an error that is a bug (raised on)."""
    if isinstance(error, MemberSessionExpired):  # before RetriableError: it is one
        return Problem("reconnect")
    if isinstance(error, RetriableError):
        return Problem("unavailable")
    if isinstance(error, GONE):
        return Problem("record_gone") if nav.record else Problem("list_gone", nav.list or "")
    return None


def _objects(api: MemberUiApi, org: OrgView, pool: Executor) -> tuple[list[ObjectLists], dict[str, ObjectInfo]]:
    """The objects the admins chose that the member may read (an object they may not use is not shown), and
    their infos; each object's info and list views are asked for at once, all objects together."""
    names = list(org.settings.objects)
    infos = {obj: pool.submit(api.object_info, obj) for obj in names}
    views = {obj: pool.submit(api.all_list_views, obj) for obj in names}
    out: list[ObjectLists] = []
    kept: dict[str, ObjectInfo] = {}
    for obj in names:
        try:
            info = infos[obj].result()
            own = views[obj].result()
        except GONE:
            continue
        defaults = [ListViewSummary(api_name=d.developer_name, id=d.id, label=d.label)
                    for d in org.settings.objects[obj].default_lists]
        out.append(ObjectLists(obj, info.label_plural, defaults, own))
        kept[obj] = info
    return out, kept


def first_list(objects: Sequence[ObjectLists]) -> tuple[str, str] | None:
    """What the tab opens on: the first object's first list (the admins' default first), else the next object's."""
    for lists in objects:
        defaults, own = lists.ordered()
        if defaults or own:
            return lists.object, (defaults or own)[0].api_name
    return None


def _list(api: MemberUiApi, org: OrgView, nav: Nav, formatter: Formatter, words: Messages,
          infos: dict[str, ObjectInfo], pool: Executor) -> tuple[Content, Nav]:
    """The open list's info and one page of its records (with the records' names, even when the list view has no
    name column: ``optionalFields``, left out by Salesforce where the member may not read them)."""
    assert nav.object is not None and nav.list is not None
    asked_info = pool.submit(api.list_info, nav.object, nav.list)
    obj = infos.get(nav.object) or api.object_info(nav.object)
    names = [f"{obj.api_name}.{name}" for name in obj.name_fields]
    page = api.list_records(nav.object, nav.list, page_size=PAGE_SIZE, page_token=nav.token, optional_fields=names)
    info = asked_info.result()
    values = values_for(obj, page.records, formatter, words, instance_url=org.instance_url, currency=org.currency)
    edit_org = org.alias if can_edit(obj, editable_fields(org.settings, obj)) else None
    return ListContent(info, page, obj, values, edit_org), nav.with_page(page.current_page_token or nav.token,
                                                               page.next_page_token, page.previous_page_token)


def _record(api: MemberUiApi, org: OrgView, nav: Nav, formatter: Formatter, words: Messages) -> Content:
    assert nav.record is not None
    view = api.record_view(nav.record)
    layout = org.settings.layouts.get(view.object_info.api_name)
    sections = sections_for(layout.fields if layout is not None else None, view, words.gettext("Details"))
    values = values_for(view.object_info, [view.record], formatter, words, instance_url=org.instance_url,
                        currency=org.currency)
    edit_org = org.alias if can_edit(view.object_info, editable_fields(org.settings, view.object_info)) else None
    return RecordContent(view, sections, values, f"{org.instance_url.rstrip('/')}/{view.record.id}", edit_org)


def _readers(given: Executor | None) -> AbstractContextManager[Executor]:
    """``given`` (the app's readers, kept for its life), else :data:`READERS` threads for this screen only."""
    return nullcontext(given) if given is not None else ThreadPoolExecutor(READERS, "sales-tab")


def load_screen(api_for: Callable[[str], MemberUiApi], member: Member, orgs: Sequence[OrgView], nav: Nav,
                *, readers: Executor | None = None) -> HomeScreen:
    """The screen for ``nav`` (in the first of ``orgs`` when ``nav`` names none of them), read as the member:
    ``api_for(alias)`` is the member's UI API session on that org (the client's
    :class:`~saleshome.salesforce.ui_api.MemberSessionExpired` when they have none that works).  ``readers``: the
    threads making the independent calls (an app's, shared by its screens: no threads started per screen; None:
    :data:`READERS` of this screen's own); a call run there never waits for another, so sharing cannot deadlock."""
    words = Messages(member.locale, "app")
    formatter = Formatter.for_reader(member.locale, member.tz)
    org = next((o for o in orgs if o.alias == nav.org), orgs[0])
    if nav.org != org.alias:
        nav = Nav(org=org.alias)
    choices = [OrgChoice(o.alias, o.label) for o in orgs]
    with _readers(readers) as pool:
        try:
            api = api_for(org.alias)
            objects, infos = _objects(api, org, pool)
        except SalesHomeError as error:
            if (problem := problem_of(error, Nav())) is None:
                raise
            return HomeScreen(nav, Tab(choices), problem, words)
        tab = Tab(choices, objects)
        if not tab.objects:
            return HomeScreen(nav, tab, Problem("no_objects"), words)
        if nav.record is None and nav.list is None and (start := first_list(tab.objects)) is not None:
            nav = nav.open_list(*start)
        content: Content = None
        try:
            if nav.record is not None:
                content = _record(api, org, nav, formatter, words)
            elif nav.object is not None and nav.list is not None:
                content, nav = _list(api, org, nav, formatter, words, infos, pool)
        except SalesHomeError as error:
            if (problem := problem_of(error, nav)) is None:
                raise
            content = problem
    return HomeScreen(nav, tab, content, words)
