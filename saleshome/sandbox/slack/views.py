"""Surfaces: ``views.publish`` (the Home tab), ``views.open``, ``views.update`` and ``views.push`` (modals).

Slack's rules (method reference pages ``views.*``, "Modal views" and "Home tab views", "Sequencing
interactions with triggers"), all held here:

- A view is checked whole before anything changes (:func:`validate_view`): ``type`` (``modal`` for
  ``views.open``/``views.push``, ``home`` for ``views.publish``), a modal ``title`` (plain_text ≤ 24
  characters), ``close``/``submit`` (plain_text ≤ 24; ``submit`` required when an input block is
  present), at most 100 blocks (checked by ``blocks.py``), ``private_metadata`` ≤ 3,000 characters,
  ``callback_id`` and ``external_id`` ≤ 255.  Problems → ``invalid_arguments`` with
  ``response_metadata.messages``: ``[ERROR] failed to match all allowed schemas [json-pointer:/view]``
  then one ``[ERROR] <problem> [json-pointer:/view/…]`` line each, as Slack answers.  A view over
  :data:`MAX_VIEW_BYTES` of JSON → ``view_too_large``; an ``external_id`` another live view holds →
  ``duplicate_external_id``.
- A trigger (:class:`Trigger`, minted by :meth:`ViewStore.mint_trigger` for the interactivity the
  sandbox sends) is good for :data:`TRIGGER_LIFETIME` seconds of the sandbox clock and one exchange:
  unknown → ``invalid_trigger_id``, used → ``exchanged_trigger_id``, too old → ``expired_trigger_id``.
  It is exchanged only by a call that succeeds.
- A modal stack holds the root view and at most :data:`MAX_PUSHED` pushed views
  (``push_limit_reached``: "Currently the limit is 3" views).  ``views.push`` needs a trigger minted
  from an interaction inside an open modal (else ``not_found``).
- ``hash``: every stored view has one, new at each change; a call naming another → ``hash_conflict``.
  ``views.update`` keeps ``id``, ``root_view_id``, ``previous_view_id`` and the state of input elements
  whose ``block_id``/``action_id`` remain.
- Every ``views.publish`` taken is logged (:class:`Published`, the last ``view_store.MAX_PUBLISHED``): when it was
  taken, on the wall clock (``time.time()``) the Events API's delivery attempts log as ``sent_at``, so the time
  from an ``app_home_opened`` delivery to the Home tab it caused is read in one clock
  (``GET /_sandbox/publishes``; ``python -m bench app_home``).  Not a Slack API: a sandbox record.

The store is plain data changed under the API's lock; nothing here does I/O.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from typing import Any

from .blocks import Checker, validate_blocks
from .calls import Call, SlackError
from .view_store import (
    MAX_BUTTON_LABEL,
    MAX_CALLBACK_ID,
    MAX_EXTERNAL_ID,
    MAX_PRIVATE_METADATA,
    MAX_PUSHED,
    MAX_TITLE,
    MAX_VIEW_BLOCKS,
    MAX_VIEW_BYTES,
    TRIGGER_LIFETIME,
    Published,
    StoredView,
    Trigger,
    Updated,
    ViewStore,
    ViewType,
)
from .world import World


# ---------------------------------------------------------------------------- validation
def _problems_of(view: Any, wanted: ViewType) -> list[str]:
    c = Checker()
    if not isinstance(view, dict):
        c.fail("/view", "must provide an object")
        return c.problems
    kind = view.get("type")
    if kind != wanted:
        c.fail("/view/type", f"must be {wanted}" if kind else "missing required field: type")
    if wanted == "modal":
        if "title" not in view:
            c.fail("/view", "missing required field: title")
        else:
            c.text(view["title"], "/view/title", max_len=MAX_TITLE, plain_only=True)
        for name in ("close", "submit"):
            if view.get(name) is not None:
                c.text(view[name], f"/view/{name}", max_len=MAX_BUTTON_LABEL, plain_only=True)
    if "blocks" not in view:
        c.fail("/view", "missing required field: blocks")
    else:
        c.problems += validate_blocks(
            view["blocks"], max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks", surface="view"
        )
        blocks = view["blocks"] if isinstance(view["blocks"], list) else []
        if wanted == "modal" and view.get("submit") is None:
            for i, block in enumerate(blocks):
                if isinstance(block, dict) and block.get("type") == "input":
                    c.fail(f"/view/blocks/{i}", "must define `submit` to use an `input` block in modals")
                    break
    for name, limit in (
        ("private_metadata", MAX_PRIVATE_METADATA),
        ("callback_id", MAX_CALLBACK_ID),
        ("external_id", MAX_EXTERNAL_ID),
    ):
        if name in view:
            c.string(view[name], f"/view/{name}", max_len=limit, min_len=0)
    return c.problems


def validate_view(view: Any, wanted: ViewType) -> None:
    """Raise Slack's error for a view that ``views.*`` would refuse."""
    problems = _problems_of(view, wanted)
    if problems:
        messages = ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"]
        messages += [f"[ERROR] {p}" for p in problems]
        raise SlackError("invalid_arguments", response_metadata={"messages": messages})
    if len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_VIEW_BYTES:
        raise SlackError("view_too_large")


def _invalid(message: str) -> SlackError:
    return SlackError("invalid_arguments", response_metadata={"messages": [message]})


def _view_argument(call: Call, wanted: ViewType) -> dict[str, Any]:
    if not call.params.has("view"):
        raise _invalid("[ERROR] missing required field: view")
    try:
        view = call.params.parsed("view")
    except ValueError:
        raise _invalid("[ERROR] failed to parse `view` as JSON") from None
    validate_view(view, wanted)
    assert isinstance(view, dict)  # validate_view refused anything else
    return view


def with_block_ids(view: dict[str, Any], view_id: str) -> dict[str, Any]:
    shown = copy.deepcopy(view)
    for i, block in enumerate(shown.get("blocks") or []):
        if isinstance(block, dict):
            block.setdefault("block_id", hashlib.sha1(f"{view_id}:{i}".encode()).hexdigest()[:5].upper())
    return shown


def _check_external_id(store: ViewStore, view: dict[str, Any], own_id: str | None) -> None:
    external_id = view.get("external_id")
    if isinstance(external_id, str) and external_id:
        holder = store.by_external_id(external_id)
        if holder is not None and holder.id != own_id:
            raise SlackError("duplicate_external_id")


def _check_hash(call: Call, stored: StoredView | None) -> None:
    wanted = call.params.text("hash")
    if wanted is not None and stored is not None and wanted != stored.hash:
        raise SlackError("hash_conflict")


def kept_state(old: StoredView, blocks: list[Any]) -> dict[str, dict[str, Any]]:
    """The input values a new version of a view keeps: same block_id and action_id (docs "Preserving input")."""
    kept: dict[str, dict[str, Any]] = {}
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block.get("element")
        action_id = element.get("action_id") if isinstance(element, dict) else None
        values = old.state.get(str(block.get("block_id")), {})
        if isinstance(action_id, str) and action_id in values:
            kept.setdefault(str(block["block_id"]), {})[action_id] = values[action_id]
    return kept


def view_json(call: Call, stored: StoredView) -> dict[str, Any]:
    """The view object of the ``views.*`` answers (fields and order of Slack's reference examples)."""
    return view_object(call.world, stored)


def view_object(world: World, stored: StoredView) -> dict[str, Any]:
    """:func:`view_json` outside a Web API call (the ``view`` of events and interaction payloads)."""
    v = stored.view
    body: dict[str, Any] = {
        "id": stored.id,
        "team_id": stored.team_id,
        "type": stored.type,
        "blocks": v.get("blocks", []),
        "private_metadata": v.get("private_metadata", ""),
        "callback_id": v.get("callback_id", ""),
        "state": {"values": copy.deepcopy(stored.state)},
        "hash": stored.hash,
        "title": v.get("title"),
        "clear_on_close": bool(v.get("clear_on_close", False)),
        "notify_on_close": bool(v.get("notify_on_close", False)),
        "close": v.get("close"),
        "submit": v.get("submit"),
        "previous_view_id": stored.previous_view_id,
        "root_view_id": stored.root_view_id,
        "app_id": world.app_id,
        "external_id": stored.external_id,
        "app_installed_team_id": stored.team_id,
        "bot_id": world.bot_id,
    }
    if stored.type == "home":
        del body["title"]
        body["close"], body["submit"] = None, None
    return body


# ---------------------------------------------------------------------------- methods
def _trigger(call: Call) -> Trigger:
    """The call's ``trigger_id``, checked but not yet exchanged."""
    value = call.params.text("trigger_id") or call.params.text("interactivity_pointer")
    if value is None:
        raise _invalid("[ERROR] missing required field: trigger_id")
    trigger = call.views.triggers.get(value)
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.exchanged:
        raise SlackError("exchanged_trigger_id")
    if call.now() - trigger.issued_at > TRIGGER_LIFETIME:
        raise SlackError("expired_trigger_id")
    return trigger


def views_publish(call: Call) -> dict[str, Any]:
    user_id = call.params.text("user_id")
    user = call.world.users.get(user_id or "")
    if user is None or user.deleted or user.is_bot:
        raise _invalid("invalid `user_id`")
    view = _view_argument(call, "home")
    store = call.views
    current = store.views.get(store.home.get(user.id, ""))
    _check_hash(call, current)
    _check_external_id(store, view, current.id if current else None)
    view_id = current.id if current is not None else store.new_id()
    stored = StoredView(
        id=view_id,
        type="home",
        team_id=user.team_id,
        user_id=user.id,
        view=with_block_ids(view, view_id),
        hash=store.new_hash(call.now()),
        root_view_id=view_id,
        state=kept_state(current, view.get("blocks", [])) if current is not None else {},
    )
    store.views[view_id] = stored
    store.home[user.id] = view_id
    store.published.append(Published(view_id, user.id, stored.hash, time.time(), stored.view))
    return {"view": view_json(call, stored)}


def views_open(call: Call) -> dict[str, Any]:
    trigger = _trigger(call)
    view = _view_argument(call, "modal")
    store = call.views
    _check_external_id(store, view, None)
    trigger.exchanged = True
    view_id = store.new_id()
    stored = StoredView(
        id=view_id,
        type="modal",
        team_id=trigger.team_id,
        user_id=trigger.user_id,
        view=with_block_ids(view, view_id),
        hash=store.new_hash(call.now()),
        root_view_id=view_id,
    )
    store.views[view_id] = stored
    store.stacks[view_id] = [view_id]
    return {"view": view_json(call, stored)}


def views_push(call: Call) -> dict[str, Any]:
    trigger = _trigger(call)
    view = _view_argument(call, "modal")
    store = call.views
    below = store.views.get(trigger.view_id or "")
    if below is None or below.closed or below.type != "modal":
        raise SlackError("not_found")
    stack = store.stack_of(below)
    if len(stack) > MAX_PUSHED:
        raise SlackError("push_limit_reached")
    _check_external_id(store, view, None)
    trigger.exchanged = True
    return {"view": view_json(call, push_view(store, below, view, call.now()))}


def push_view(store: ViewStore, below: StoredView, view: dict[str, Any], now: float) -> StoredView:
    """Push ``view`` (checked, under :data:`MAX_PUSHED` already) onto the modal stack of ``below``: ``views.push``
    and a view_submission's ``response_action: push``."""
    stack = store.stack_of(below)
    view_id = store.new_id()
    stored = StoredView(
        id=view_id,
        type="modal",
        team_id=below.team_id,
        user_id=below.user_id,
        view=with_block_ids(view, view_id),
        hash=store.new_hash(now),
        root_view_id=below.root_view_id,
        previous_view_id=stack[-1],
    )
    store.views[view_id] = stored
    stack.append(view_id)
    return stored


def views_update(call: Call) -> dict[str, Any]:
    store = call.views
    view_id, external_id = call.params.text("view_id"), call.params.text("external_id")
    if view_id is None and external_id is None:
        raise _invalid("[ERROR] either view_id or external_id is required")
    current = store.views.get(view_id) if view_id is not None else store.by_external_id(external_id or "")
    if current is None or current.closed:
        raise SlackError("not_found")
    view = _view_argument(call, current.type)
    _check_hash(call, current)
    _check_external_id(store, view, current.id)
    current.state = kept_state(current, view.get("blocks", []))
    current.view = with_block_ids(view, current.id)
    current.hash = store.new_hash(call.now())
    store.updated.append(Updated(current.id, current.user_id, current.hash, time.time(), current.view))
    return {"view": view_json(call, current)}
