"""The Sales tab as a Block Kit Home view: pure functions of what the UI API answered.

The tab, top to bottom: a header; the member's orgs as a ``static_select`` when they have
several; per object the admins chose, a ``static_select`` of its list views — the admins'
default list views first (at most 25), then the member's own — and below, what is open: a list
(its records 25 at a time, the list view's columns and sort, previous/next), a record (the
fields of its record layout, "View in Salesforce"), or a problem in place (reconnect, retry, a
list view that is gone).

Invariants (Slack's "Reference: Block elements & limits", "Home tab views"; the Slack sandbox
checks the same rules and is what the tests publish to):

- at most :data:`MAX_VIEW_BLOCKS` blocks, whatever the number of objects, columns or fields: the
  open list or record is built first and the object pickers get the room left ("…and N more");
- every text within its limit (section 3,000, a field 2,000 and 10 fields per section, header 150,
  button and option labels 75), cut with an ellipsis before escaping; the view's JSON within
  :data:`MAX_VIEW_BYTES` (cells are shortened further, in bounded steps, until it fits);
- every word of ours from the ``app`` catalog in the member's language; every value from
  Salesforce escaped (:mod:`saleshome.slack.text`) and formatted by :mod:`.values`;
- action ids are the :class:`Action` values the handlers listen to; where the member is lives in
  ``private_metadata`` (:mod:`.state`);
- an Edit button (:func:`saleshome.app.edit.form.edit_button`, its value the record reference only) on the open
  record and under each row of a list only when the member may edit that object's records from Slack
  (``edit_org`` set by :mod:`.screen` from their object info and the Slack record layout).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from saleshome.app.edit.form import edit_button
from saleshome.app.screens import disconnect_button
from saleshome.app.services import MemberOrg
from saleshome.i18n import Messages
from saleshome.notify.fields import Shown, Values
from saleshome.salesforce.ui_api_types import ListInfo, ListRecordsPage, ListViewSummary, ObjectInfo, Record, RecordView
from saleshome.slack.text import (
    FIELD_TEXT_MAX,
    HEADER_TEXT_MAX,
    MAX_FIELDS,
    SECTION_TEXT_MAX,
    escape,
    escape_within,
    link_within,
    truncate,
)

from .layout import Section
from .state import Nav, encode
from .values import record_name, show

MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250_000
VIEW_BYTES_BUDGET = 240_000  # kept under Slack's limit: room for the block ids Slack adds
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
MAX_OPTIONS = 100
MAX_DEFAULT_LISTS = 25
PAGE_SIZE = 25
LIST_CELL_MAX = 300  # a list is an overview: a cell longer than this is cut (the record shows more)
OBJECTS_KEPT = 10  # object pickers the open list or record leaves room for
MORE_BYTES = 400  # a "…and N more" line
MIN_CELL = 40  # cells are never cut shorter than this to fit the view's bytes


class Action(StrEnum):
    """The ``action_id`` of every interactive element of the tab (what :func:`..handlers.register` listens to)."""

    SWITCH_ORG = "sales_home_switch_org"
    OPEN_LIST = "sales_home_open_list"
    NEXT_PAGE = "sales_home_next_page"
    PREVIOUS_PAGE = "sales_home_previous_page"
    OPEN_RECORD = "sales_home_open_record"
    BACK_TO_LIST = "sales_home_back_to_list"
    RETRY = "sales_home_retry"
    RECONNECT = "sales_home_reconnect"
    VIEW_IN_SALESFORCE = "sales_home_view_in_salesforce"


# ------------------------------------------------------------------------------------------- what is shown
@dataclass(frozen=True)
class OrgChoice:
    alias: str
    label: str


@dataclass(frozen=True)
class ObjectLists:
    """One object the admins chose and the list views the member may open on it."""

    object: str
    label: str  # the object's plural label (Opportunities)
    defaults: Sequence[ListViewSummary] = ()  # the admins' default list views, in their order
    own: Sequence[ListViewSummary] = ()  # the member's list views of the object (the UI API's, as the member)

    def ordered(self) -> tuple[list[ListViewSummary], list[ListViewSummary]]:
        """(defaults, the member's others): defaults first (at most 25), each list once, at most 100 in all."""
        defaults = list(self.defaults)[:MAX_DEFAULT_LISTS]
        taken = {d.api_name for d in defaults}
        own = [v for v in self.own if v.api_name not in taken][: MAX_OPTIONS - len(defaults)]
        return defaults, own


@dataclass(frozen=True)
class Tab:
    """The top of the tab: the member's orgs and the chosen org's objects."""

    orgs: Sequence[OrgChoice]
    objects: Sequence[ObjectLists] = ()


@dataclass(frozen=True)
class ListContent:
    info: ListInfo
    page: ListRecordsPage
    object: ObjectInfo
    values: Values
    edit_org: str | None = None  # the org alias when the member may edit the object's records: an Edit per row


@dataclass(frozen=True)
class RecordContent:
    ui: RecordView
    sections: Sequence[Section]
    values: Values
    url: str  # the record in Salesforce
    edit_org: str | None = None  # the org alias when the member may edit the record: an Edit button


ProblemKind = Literal["reconnect", "unavailable", "list_gone", "record_gone", "no_objects"]


@dataclass(frozen=True)
class Problem:
    """Something the member must know in place of the content: what, and the name it concerns."""

    kind: ProblemKind
    name: str = ""


Content = ListContent | RecordContent | Problem | None


@dataclass(frozen=True)
class HomeScreen:
    nav: Nav
    tab: Tab
    content: Content = None
    words: Messages = field(default_factory=lambda: Messages("en-US", "app"))


# ------------------------------------------------------------------------------------------- small parts
def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text or "—", limit), "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or "—"}


def _button(text: str, action: Action, value: str | None = None, *, url: str | None = None,
            style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action.value, "text": _plain(text, BUTTON_TEXT_MAX)}
    if value is not None:
        button["value"] = value
    if url is not None:
        button["url"] = url
    if style is not None:
        button["style"] = style
    return button


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text, OPTION_TEXT_MAX), "value": value[:OPTION_VALUE_MAX]}


def list_option_value(obj: str, api_name: str) -> str:
    """The value of a list view's option: ``Object/ListViewApiName`` (API names hold no ``/``)."""
    return f"{obj}/{api_name}"


def parse_list_option_value(value: str) -> tuple[str, str]:
    obj, _, api_name = value.partition("/")
    return obj, api_name


def _cell(label: str, value: Shown, limit: int) -> str:
    """``*label*`` and the value below it in at most ``limit`` characters (the value cut first, its link kept)."""
    head = f"*{escape_within(label, 200)}*\n"
    room = max(limit - len(head), 1)
    if value.mention:
        return head + f"<@{value.mention}>"
    if value.url:
        return head + link_within(value.url, value.text, room)
    return head + escape_within(value.text, room)


# ------------------------------------------------------------------------------------------- the top
def _org_blocks(tab: Tab, nav: Nav, words: Messages) -> list[dict[str, Any]]:
    if len(tab.orgs) < 2:
        return []
    options = [_option(o.label, o.alias) for o in tab.orgs[:MAX_OPTIONS]]
    select: dict[str, Any] = {"type": "static_select", "action_id": Action.SWITCH_ORG.value, "options": options,
                              "placeholder": _plain(words.gettext("Choose an org"), 150)}
    current = next((o for o in options if o["value"] == nav.org), None)
    if current is not None:
        select["initial_option"] = current
    return [{"type": "actions", "block_id": "sales_home_orgs", "elements": [select]}]


def _object_block(lists: ObjectLists, nav: Nav, words: Messages) -> dict[str, Any]:
    defaults, own = lists.ordered()
    title = f"*{escape_within(lists.label, SECTION_TEXT_MAX - 2)}*"
    block: dict[str, Any] = {"type": "section", "text": _mrkdwn(title)}
    groups = [(words.gettext("Suggested lists"), defaults), (words.gettext("Your lists"), own)]
    option_groups: list[dict[str, Any]] = [{"label": _plain(label, OPTION_TEXT_MAX),
                      "options": [_option(v.label, list_option_value(lists.object, v.api_name)) for v in views]}
                     for label, views in groups if views]
    if not option_groups:
        block["text"] = _mrkdwn(title + "\n" + escape(words.gettext("No list views you can open.")))
        return block
    select: dict[str, Any] = {"type": "static_select", "action_id": Action.OPEN_LIST.value,
                              "placeholder": _plain(words.gettext("Choose a list"), 150)}
    if len(option_groups) == 1:
        select["options"] = option_groups[0]["options"]
    else:
        select["option_groups"] = option_groups
    if nav.object == lists.object and nav.list is not None:
        wanted = list_option_value(lists.object, nav.list)
        for group in option_groups:
            chosen = next((o for o in group["options"] if o["value"] == wanted), None)
            if chosen is not None:
                select["initial_option"] = chosen
                break
    block["accessory"] = select
    return block


def _block_bytes(block: dict[str, Any]) -> int:
    return len(json.dumps(block, separators=(",", ":"), ensure_ascii=False).encode()) + 1


def _objects_blocks(tab: Tab, nav: Nav, words: Messages, room: int, byte_room: int) -> list[dict[str, Any]]:
    """One picker per object within ``room`` blocks and ``byte_room`` bytes of JSON (a picker holds up to 100
    list views); those left out are counted in a last line."""
    objects = list(tab.objects)
    out: list[dict[str, Any]] = []
    for i, lists in enumerate(objects):
        block = _object_block(lists, nav, words)
        left = len(objects) - i - 1
        if len(out) + 1 + (1 if left else 0) > room or _block_bytes(block) + MORE_BYTES > byte_room:
            break
        out.append(block)
        byte_room -= _block_bytes(block)
    if len(out) < len(objects) and room > len(out):
        out.append({"type": "context", "elements": [_mrkdwn(escape(words.gettext("…and {n} more",
                                                                                  n=len(objects) - len(out))))]})
    return out


# ------------------------------------------------------------------------------------------- a list
def _sort_text(info: ListInfo, words: Messages) -> str:
    if not info.order_by:
        return ""
    parts = [f"{o.label or o.field_api_name} {'↑' if o.ascending else '↓'}" for o in info.order_by]
    return words.gettext("Sorted by {fields}", fields=", ".join(parts))


def _name_column(info: ListInfo, obj: ObjectInfo) -> str | None:
    columns = [c.field_api_name for c in info.columns]
    return next((n for n in (*obj.name_fields, "Name") if n in columns), None)


def _record_row(record: Record, content: ListContent, name_column: str | None, words: Messages,
                cell_max: int) -> dict[str, Any]:
    info, obj, values = content.info, content.object, content.values
    name = record_name(obj, record)
    text = f"*{escape_within(name, min(cell_max, SECTION_TEXT_MAX) - 2)}*"
    cells = [(c.label, show(values, obj, record, c.field_api_name)) for c in info.columns
             if c.field_api_name != name_column]
    block: dict[str, Any] = {"type": "section", "text": _mrkdwn(text),
                             "accessory": _button(words.gettext("Open"), Action.OPEN_RECORD, record.id)}
    if cells:
        shown, rest = cells[:MAX_FIELDS], cells[MAX_FIELDS:]
        block["fields"] = [_mrkdwn(_cell(label, value, min(cell_max, FIELD_TEXT_MAX))) for label, value in shown]
        if rest:  # beyond 10 columns: one line each under the name
            lines = [f"*{escape_within(label, 200)}*: {escape_within(value.text, cell_max)}" for label, value in rest]
            block["text"] = _mrkdwn(_fit(text, lines, SECTION_TEXT_MAX, words))
    return block


def _fit(head: str, lines: Sequence[str], limit: int, words: Messages) -> str:
    out = [head]
    size = len(head)
    for i, line in enumerate(lines):
        more = escape(words.gettext("…and {n} more", n=len(lines) - i))
        if size + 1 + len(line) > limit - len(more) - 1:
            out.append(more)
            break
        out.append(line)
        size += 1 + len(line)
    return "\n".join(out)


def list_blocks(content: ListContent, nav: Nav, words: Messages, cell_max: int = LIST_CELL_MAX
                ) -> list[dict[str, Any]]:
    """The open list: its name, sort and range, its records (at most 25), previous/next."""
    page = content.page
    records = list(page.records)[:PAGE_SIZE]
    first = (nav.page - 1) * PAGE_SIZE + 1
    context = [words.gettext("Records {first}–{last}", first=first, last=first + len(records) - 1)
               if records else words.gettext("No records in this list.")]
    if sort := _sort_text(content.info, words):
        context.append(sort)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "sales_home_list",
         "text": _mrkdwn(f"*{escape_within(content.info.label or content.info.api_name, SECTION_TEXT_MAX - 2)}*")},
        {"type": "context", "elements": [_mrkdwn(escape_within(" · ".join(context), SECTION_TEXT_MAX))]},
    ]
    name_column = _name_column(content.info, content.object)
    for record in records:
        blocks.append(_record_row(record, content, name_column, words, cell_max))
        if content.edit_org is not None:
            blocks.append({"type": "actions", "block_id": f"sales_home_row_{record.id}",
                           "elements": [edit_button(words, content.edit_org, content.object.api_name, record.id)]})
    paging = []
    if nav.page > 1:
        paging.append(_button(words.gettext("Previous"), Action.PREVIOUS_PAGE, "previous"))
    if page.next_page_token is not None:
        paging.append(_button(words.gettext("Next"), Action.NEXT_PAGE, "next"))
    if paging:
        blocks.append({"type": "actions", "block_id": "sales_home_paging", "elements": paging})
    return blocks


# ------------------------------------------------------------------------------------------- a record
def record_blocks(content: RecordContent, words: Messages, room: int, cell_max: int = FIELD_TEXT_MAX
                  ) -> list[dict[str, Any]]:
    """The open record within ``room`` blocks: its name, "View in Salesforce", its layout's fields (10 a
    section), "Back to the list"; fields left out for want of room are counted."""
    ui = content.ui
    name = record_name(ui.object_info, ui.record)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(name, HEADER_TEXT_MAX)},
        {"type": "section", "text": _mrkdwn(escape_within(ui.object_info.label, SECTION_TEXT_MAX)),
         "accessory": _button(words.gettext("View in Salesforce"), Action.VIEW_IN_SALESFORCE, ui.record.id,
                              url=content.url)},
    ]
    actions = [_button(words.gettext("Back to the list"), Action.BACK_TO_LIST, "back")]
    if content.edit_org is not None:
        actions.insert(0, edit_button(words, content.edit_org, ui.object_info.api_name, ui.record.id))
    tail = {"type": "actions", "block_id": "sales_home_record_actions", "elements": actions}
    room -= len(blocks) + 2  # the actions, and a possible "…and N more"
    left_out = 0
    for section in content.sections:
        cells = [_mrkdwn(_cell(content.values.describe.label(ui.object_info.api_name, f),
                               show(content.values, ui.object_info, ui.record, f), cell_max))
                 for f in section.fields]
        chunks = [cells[i:i + MAX_FIELDS] for i in range(0, len(cells), MAX_FIELDS)]
        heading = [{"type": "section", "text": _mrkdwn(f"*{escape_within(section.heading, SECTION_TEXT_MAX - 2)}*")}
                   ] if section.heading else []
        if room < len(heading) + 1:
            left_out += len(cells)
            continue
        blocks += heading
        room -= len(heading)
        for chunk in chunks:
            if room < 1:
                left_out += len(chunk)
                continue
            blocks.append({"type": "section", "fields": chunk})
            room -= 1
    if left_out:
        blocks.append({"type": "context", "elements": [_mrkdwn(escape(words.gettext("…and {n} more", n=left_out)))]})
    blocks.append(tail)
    return blocks


# ------------------------------------------------------------------------------------------- problems
def problem_blocks(problem: Problem, words: Messages) -> list[dict[str, Any]]:
    """A problem in place of the content, with what the member can do about it."""
    if problem.kind == "reconnect":
        text = words.gettext("Your Salesforce session has expired. Reconnect to see your lists again.")
        action: dict[str, Any] | None = _button(words.gettext("Reconnect"), Action.RECONNECT, "reconnect",
                                                style="primary")
    elif problem.kind == "unavailable":
        text = words.gettext("Salesforce is not answering right now. Try again in a moment.")
        action = _button(words.gettext("Retry"), Action.RETRY, "retry")
    elif problem.kind == "list_gone":
        text = words.gettext("The list view {name} no longer exists in Salesforce, or you can no longer see it.",
                             name=problem.name)
        action = None
    elif problem.kind == "record_gone":
        text = words.gettext("This record no longer exists in Salesforce, or you can no longer see it.")
        action = _button(words.gettext("Back to the list"), Action.BACK_TO_LIST, "back")
    else:
        text = words.gettext("No lists to show yet: a sales admin chooses the objects Sales Home shows.")
        action = None
    blocks: list[dict[str, Any]] = [{"type": "section", "block_id": f"sales_home_problem_{problem.kind}",
                                     "text": _mrkdwn(escape_within(text, SECTION_TEXT_MAX))}]
    if action is not None:
        blocks.append({"type": "actions", "block_id": "sales_home_problem_actions", "elements": [action]})
    return blocks


# ------------------------------------------------------------------------------------------- the view
def _content_blocks(screen: HomeScreen, room: int, cell_max: int | None) -> list[dict[str, Any]]:
    content, words = screen.content, screen.words
    if isinstance(content, ListContent):
        return list_blocks(content, screen.nav, words, LIST_CELL_MAX if cell_max is None else min(cell_max,
                                                                                                   LIST_CELL_MAX))
    if isinstance(content, RecordContent):
        return record_blocks(content, words, room, FIELD_TEXT_MAX if cell_max is None else cell_max)
    if isinstance(content, Problem):
        return problem_blocks(content, words)
    return []


def _footer(screen: HomeScreen) -> list[dict[str, Any]]:
    """The way out of the current org: the core's "Disconnect Salesforce" (it revokes the member's token)."""
    org = next((o for o in screen.tab.orgs if o.alias == screen.nav.org), None)
    if org is None:
        return []
    button = disconnect_button(MemberOrg(org.alias, org.label, "", sales_home_user=True, connected=True),
                               screen.words.locale)
    return [{"type": "divider"}, {"type": "actions", "block_id": "sales_home_connection", "elements": [button]}]


def _build(screen: HomeScreen, cell_max: int | None) -> dict[str, Any]:
    words = screen.words
    top: list[dict[str, Any]] = [{"type": "header", "text": _plain(words.gettext("Sales"), HEADER_TEXT_MAX)}]
    top += _org_blocks(screen.tab, screen.nav, words)
    footer = _footer(screen)
    pickers = len(screen.tab.objects)
    reserved = len(top) + len(footer) + 1 + min(pickers, OBJECTS_KEPT) + (1 if pickers > OBJECTS_KEPT else 0)
    body = _content_blocks(screen, MAX_VIEW_BLOCKS - reserved, cell_max)
    room = MAX_VIEW_BLOCKS - len(top) - len(body) - len(footer) - (1 if body else 0)
    used = sum(_block_bytes(b) for b in (*top, *body, *footer)) + len(encode(screen.nav)) + 200
    blocks = top + _objects_blocks(screen.tab, screen.nav, words, room, VIEW_BYTES_BUDGET - used)
    if body:
        blocks.append({"type": "divider"})
        blocks += body
    blocks += footer
    return {"type": "home", "callback_id": "sales_home", "private_metadata": encode(screen.nav),
            "blocks": blocks[:MAX_VIEW_BLOCKS]}


def view_bytes(view: dict[str, Any]) -> int:
    return len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode())


def home_view(screen: HomeScreen) -> dict[str, Any]:
    """The Home view of ``screen``, within Slack's limits (see the module docstring)."""
    view = _build(screen, None)
    cell_max = FIELD_TEXT_MAX
    while view_bytes(view) > VIEW_BYTES_BUDGET and cell_max > MIN_CELL:  # at most ~6 rounds
        cell_max = max(cell_max // 2, MIN_CELL)
        view = _build(screen, cell_max)
    return view
