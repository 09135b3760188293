"""Bolt listeners of the edit modal: the Edit button, the controlling picklists, the lookups' searches.

- ``edit_record`` (the Edit button: Sales tab, list rows, messages; "Reload" in a result modal): acknowledged at
  once; then, in a Bolt lazy listener, a loading modal is opened with the action's ``trigger_id`` straight away
  (a trigger id lives 3 seconds; from a modal, the modal itself is reused with ``views.update``), the record read
  as the member (:func:`.load.load_form`: object info and picklist values from the Sales tab's metadata cache, the
  record every time) and the modal replaced with the form, guarded by the loading view's ``hash`` (a modal the member
  changed or closed meanwhile is not overwritten).  A member who may not edit the record (a stale button) reads why,
  in place of the form; as do one whose session expired, or a record gone.  The button's value is a record
  reference (:func:`.form.parse_button_value`): whoever clicks it edits with their own access.
- ``edit_controlling`` (a controlling picklist's input, ``dispatch_action``): the modal again with its dependent
  picklists' options for the new controlling value; the other inputs keep what the member entered (same block and
  action ids) and their pre-filled values (the submission compares with those).  Slack clients that do not send
  the action (the sandbox's viewer does not dispatch inputs) still get the check at submission
  (:func:`.values.read_submission`: a value not valid for the submitted controlling value is an error on its field).
- ``edit_lookup`` (``block_suggestion`` of a lookup's ``external_select``): answered synchronously within Slack's
  3 seconds with the records the member may pick, searched as them (``UiApi.lookup``); nothing (an empty list)
  when the modal's reference is not one the app signed for them, or Salesforce fails.

The submission (``view_submission`` of callback ``edit_record``) is :mod:`.save`'s.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.app.home.cache import MetadataCache
from saleshome.app.home.screen import Member, OrgView
from saleshome.errors import RetriableError, SalesHomeError
from saleshome.i18n import Messages
from saleshome.salesforce.ui_api import MemberSessionExpired, UiAccessDenied, UiNotFound, UiRequestRefused
from saleshome.salesforce.ui_api_types import (
    MASTER_RECORD_TYPE_ID,
    LookupHit,
    ObjectInfo,
    PicklistValues,
    Record,
    controller_of,
)

from .form import (
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    Action,
    EditField,
    EditRefused,
    Kind,
    decode_ref,
    edit_view,
    input_block,
    loading_view,
    parse_button_value,
    result_view,
)
from .load import EditForm, ReadOnly, load_form, picklist_options

__all__ = ["EditServices", "LookupUiApi", "open_edit", "register"]

log = logging.getLogger(__name__)
MAX_SUGGESTIONS = 100
VIEW_KEYS = ("type", "callback_id", "title", "submit", "close", "private_metadata", "blocks", "notify_on_close",
             "clear_on_close", "external_id")


class LookupUiApi(Protocol):
    """The UI API as one member, as the edit modal uses it (:class:`saleshome.salesforce.ui_api.UiApi`)."""

    def object_info(self, obj: str) -> ObjectInfo: ...

    def record(self, record_id: str, *, fields: Sequence[str] = (), optional_fields: Sequence[str] = (),
               layout_types: Sequence[str] = ()) -> Record: ...

    def picklist_values(self, obj: str, *, record_type_id: str = ...) -> dict[str, PicklistValues]: ...

    def lookup(self, obj: str, field_name: str, q: str = "", *, target: str | None = None,
               search_type: str | None = None, page_size: int = ..., page: int = 1) -> list[LookupHit]: ...


class EditServices(Protocol):
    """What the edit modal needs from the app (``saleshome.app.tab.TabServices`` implements it)."""

    def member(self, user_id: str) -> Member: ...

    def orgs(self, user_id: str) -> Sequence[OrgView]: ...

    def ui_api(self, user_id: str, alias: str) -> LookupUiApi: ...


class BoltApp(Protocol):
    def action(self, constraints: str) -> Callable[..., Any]: ...

    def options(self, constraints: str) -> Callable[..., Any]: ...


class CachedEditApi:
    """``api`` with object infos and picklist values kept in the Sales tab's :class:`MetadataCache` (same keys for
    object infos: an info the tab read is reused); records and lookups always asked."""

    def __init__(self, api: LookupUiApi, cache: MetadataCache, user_id: str, alias: str) -> None:
        self.api, self.cache, self.key = api, cache, (user_id, alias)

    def object_info(self, obj: str) -> ObjectInfo:
        return self.cache.get((*self.key, "object-info", obj), lambda: self.api.object_info(obj))

    def picklist_values(self, obj: str, *, record_type_id: str = MASTER_RECORD_TYPE_ID) -> dict[str, PicklistValues]:
        return self.cache.get((*self.key, "picklist-values", obj, record_type_id),
                              lambda: self.api.picklist_values(obj, record_type_id=record_type_id))

    def record(self, record_id: str, *, fields: Sequence[str] = (), optional_fields: Sequence[str] = (),
               layout_types: Sequence[str] = ()) -> Record:
        return self.api.record(record_id, fields=fields, optional_fields=optional_fields, layout_types=layout_types)


def _problem_text(error: SalesHomeError, words: Messages) -> str | None:
    if isinstance(error, ReadOnly):
        return words.gettext("You cannot edit this record from Slack: your Salesforce access does not allow it.")
    if isinstance(error, MemberSessionExpired):
        return words.gettext("Your Salesforce session has expired. Reconnect from the Sales tab, then try again.")
    if isinstance(error, RetriableError):
        return words.gettext("Salesforce is not answering right now. Try again in a moment.")
    if isinstance(error, UiNotFound | UiAccessDenied | UiRequestRefused):
        return words.gettext("This record no longer exists in Salesforce, or you can no longer see it.")
    return None


def _update(client: WebClient, view_id: str, view: dict[str, Any], view_hash: str | None) -> None:
    try:
        client.views_update(view_id=view_id, view=view, **({"hash": view_hash} if view_hash else {}))
    except SlackApiError as error:
        log.info("the edit modal %s was not updated (%s): the member changed or closed it", view_id,
                 error.response.get("error"))


def form_view(form: EditForm, member: Member, key: bytes) -> dict[str, Any]:
    return edit_view(form.ref, form.fields, member.locale, member.tz, key=key, object_label=form.object_label,
                     record_name=form.record_name)


def open_edit(client: WebClient, services: EditServices, key: bytes, cache: MetadataCache, body: Mapping[str, Any]
              ) -> None:
    """The Edit action's work after the ack (the module docstring): loading modal, read as the member, the form."""
    user_id = str(body["user"]["id"])
    action = (body.get("actions") or [{}])[0]
    target = parse_button_value(action.get("value"))
    if target is None:
        return
    alias, obj, record_id = target
    member = services.member(user_id)
    words = Messages(member.locale, "app")
    container = body.get("view") or {}
    if container.get("type") == "modal":  # "Reload" in one of our modals: that modal is reused
        view_id, view_hash = str(container["id"]), container.get("hash")
        _update(client, view_id, loading_view(member.locale), view_hash)
        view_hash = None
    else:
        opened = client.views_open(trigger_id=body["trigger_id"], view=loading_view(member.locale))
        view_id, view_hash = str(opened["view"]["id"]), opened["view"].get("hash")
    org = next((o for o in services.orgs(user_id) if o.alias == alias), None)
    if org is None:
        _update(client, view_id, result_view(member.locale, words.gettext(
            "Connect Salesforce from the Sales tab to edit this record."), reload=None), view_hash)
        return
    try:
        api = CachedEditApi(services.ui_api(user_id, alias), cache, user_id, alias)
        form = load_form(api, alias=alias, obj=obj, record_id=record_id, user_id=user_id, settings=org.settings)
        view = form_view(form, member, key)
    except SalesHomeError as error:
        if (text := _problem_text(error, words)) is None:
            raise
        log.info("the edit modal of %s for %s shows a problem: %s", user_id, record_id, type(error).__name__)
        retry = target if isinstance(error, RetriableError) and not isinstance(error, MemberSessionExpired) else None
        view = result_view(member.locale, text, reload=retry)
    _update(client, view_id, view, view_hash)


def _selected(action: Mapping[str, Any]) -> Any:
    if "selected_options" in action:
        return any(isinstance(o, Mapping) and o.get("value") == "true" for o in action.get("selected_options") or [])
    option = action.get("selected_option")
    return option.get("value") if isinstance(option, Mapping) else None


def _initial_value(block: Mapping[str, Any]) -> Any:
    option = (block.get("element") or {}).get("initial_option")
    return option.get("value") if isinstance(option, Mapping) else None


def refilter(view: Mapping[str, Any], changed: str, value: Any, info: ObjectInfo,
             picklists: Mapping[str, PicklistValues], words: Messages) -> dict[str, Any]:
    """``view`` (a submitted edit modal) with the picklists that ``changed`` controls offering the values valid for
    ``value``; everything else as it was (pre-filled values included)."""
    blocks = [copy.deepcopy(b) for b in view.get("blocks") or []]
    names = {b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("type") == "input"}
    controllers = frozenset(c for n in names if isinstance(n, str) and (c := controller_of(info, n)) is not None
                            and c in names)
    for i, block in enumerate(blocks):
        name = block.get("block_id") if isinstance(block, dict) else None
        if block.get("type") != "input" or not isinstance(name, str) or controller_of(info, name) != changed:
            continue
        meta = info.fields.get(name)
        if meta is None:
            continue
        dependent = EditField(api_name=name, label=meta.label, kind=Kind.PICKLIST, required=not block.get("optional"),
                              options=picklist_options(picklists.get(name)), current=_initial_value(block),
                              controlling=changed)
        blocks[i] = input_block(dependent, words, {changed: value}, controllers)
    out = {k: copy.deepcopy(view[k]) for k in VIEW_KEYS if k in view}
    out["blocks"] = blocks
    return out


def rerender(client: WebClient, services: EditServices, key: bytes, cache: MetadataCache,
             body: Mapping[str, Any]) -> None:
    """A controlling picklist changed in the modal: its dependents' options again (the module docstring)."""
    user_id = str(body["user"]["id"])
    view = body.get("view") or {}
    try:
        ref = decode_ref(view.get("private_metadata"), key, user_id=user_id)
    except EditRefused as refused:
        log.warning("an edit modal's action was refused: %s", refused.message)
        return
    action = (body.get("actions") or [{}])[0]
    changed = str(action.get("block_id") or "")
    if changed not in ref.fields:
        return
    member = services.member(user_id)
    api = CachedEditApi(services.ui_api(user_id, ref.alias), cache, user_id, ref.alias)
    try:
        info = api.object_info(ref.object)
        picklists = api.picklist_values(ref.object, record_type_id=ref.record_type_id or MASTER_RECORD_TYPE_ID)
    except SalesHomeError as error:
        log.info("the dependent picklists of %s were not refreshed: %s", ref.record_id, type(error).__name__)
        return
    _update(client, str(view["id"]), refilter(view, changed, _selected(action), info, picklists,
                                              Messages(member.locale, "app")), view.get("hash"))


def suggestions(services: EditServices, key: bytes, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The options of a lookup's ``block_suggestion``: records the member may pick, searched as them."""
    user_id = str(body["user"]["id"])
    try:
        ref = decode_ref((body.get("view") or {}).get("private_metadata"), key, user_id=user_id)
    except EditRefused as refused:
        log.warning("a lookup search was refused: %s", refused.message)
        return []
    name = str(body.get("block_id") or "")
    if name not in ref.fields:
        return []
    try:
        hits = services.ui_api(user_id, ref.alias).lookup(ref.object, name, str(body.get("value") or ""))
    except SalesHomeError as error:
        log.info("a lookup search of %s.%s failed: %s", ref.object, name, type(error).__name__)
        return []
    options = []
    for hit in hits[:MAX_SUGGESTIONS]:
        text = hit.name if not hit.secondary else f"{hit.name} · {hit.secondary}"
        options.append({"text": {"type": "plain_text", "text": text[:OPTION_TEXT_MAX], "emoji": True},
                        "value": hit.id[:OPTION_VALUE_MAX]})
    return options


def _ack(ack: Callable[[], None]) -> None:
    ack()


def register(app: BoltApp, services: EditServices, key: bytes, cache: MetadataCache | None = None) -> None:
    """Listen to the Edit button, the controlling picklists and the lookups' searches on ``app``."""
    kept = cache if cache is not None else MetadataCache()

    def edit(body: dict[str, Any], client: WebClient) -> None:
        open_edit(client, services, key, kept, body)

    def controlling(body: dict[str, Any], client: WebClient) -> None:
        rerender(client, services, key, kept, body)

    def suggest(ack: Callable[..., None], body: dict[str, Any]) -> None:
        ack(options=suggestions(services, key, body))

    app.action(Action.EDIT.value)(ack=_ack, lazy=[edit])
    app.action(Action.CONTROLLING.value)(ack=_ack, lazy=[controlling])
    app.action(Action.INPUT.value)(_ack)  # an input's change, sent by clients that dispatch every input
    app.options(Action.LOOKUP.value)(suggest)
