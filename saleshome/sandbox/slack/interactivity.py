"""Interactivity: what Slack POSTs to the app's interactivity Request URL when a user acts, and what
it does with the app's answer.  :class:`Interactions` is the Slack client's side of it (the viewer calls
it in-process; tests and other processes use ``POST /_sandbox/client/…``, ``control.py``).

Slack's rules ("Handling user interaction", https://docs.slack.dev/interactivity/handling-user-interaction;
payload references https://docs.slack.dev/reference/interaction-payloads/block_actions-payload,
https://api.slack.com/reference/interaction-payloads/block-suggestion and
https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload; "Modals",
https://docs.slack.dev/surfaces/modals, sections "Handling submissions" / ``response_action``):

- A payload is POSTed form-encoded as ``payload=<JSON>``, signed (``signing.py``), and must be
  acknowledged with a 2xx within 3 seconds (``delivery.py``).  Otherwise the user sees
  :data:`TROUBLE` ("We had some trouble connecting. Try again?", the text users report, e.g.
  slackapi/bolt-js#1208) and nothing changes: the view stays as it was and no state is recorded.
  Interaction payloads are not retried.
- ``block_actions`` (a button, select, overflow, date picker… in a Home tab, a modal or a message):
  ``container``, ``actions[]`` (the element's type, ``action_id``, ``block_id``, ``action_ts`` and its
  value), a fresh ``trigger_id`` (``view_store.mint_trigger``; from a modal it may push onto it),
  ``view`` with ``state.values`` including the new value (views), or ``channel``/``message``/
  ``response_url`` (messages; ``response_urls.py``).  The answer's body is ignored.
- ``block_suggestion`` (typing in an ``external_select``): the answer is ``{"options": [...]}`` or
  ``{"option_groups": [...]}``, at most 100.
- ``view_submission``: ``view.state.values`` holds every input of the view in Slack's per-element
  shape (``plain_text_input``/``number_input`` ``value``, ``datepicker`` ``selected_date``, ``datetimepicker``
  ``selected_date_time`` (a UNIX timestamp in seconds, an integer),
  ``static_select``/``external_select`` ``selected_option``, ``checkboxes`` ``selected_options``,
  ``users_select`` ``selected_user``… ``null``/``[]`` when empty).  A required input left empty is
  refused by the client ("Please complete this required field.") and nothing is sent.  The answer:
  empty body → the current view closes (back to the one below when it was pushed);
  ``{"response_action": "errors", "errors": {block_id: text}}`` → the modal stays, errors shown under
  those input blocks; ``"update"`` with ``view`` → the current view replaced (checked as
  ``views.update`` checks it); ``"push"`` → a view pushed (at most 2 above the root);
  ``"clear"`` → the whole stack closed.  Anything else (bad JSON, an unknown block id, an invalid
  view) → :data:`TROUBLE`, nothing changes.  The submitted values are kept in the stored view's
  state (so a later ``views.update`` keeps them where block and action ids remain).
- ``view_closed``: the user closes a modal (its ``close`` button: one view back, or the whole stack
  with ``clear_on_close``); sent only when the view set ``notify_on_close``, with ``is_cleared``.
  The view closes whatever the app answers.

Payloads are built under the API's lock and sent after releasing it: the app calls the sandbox back
(``views.update``, ``views.open`` with the ``trigger_id``) while handling them.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .calls import SlackError
from .delivery import Answer, post_signed
from .events import Delivery, verification_token
from .ids import format_ts, parse_ts
from .objects import message_json
from .view_store import MAX_PUSHED, StoredView, ViewStore
from .views import kept_state, push_view, validate_view, view_object, with_block_ids
from .world import User

if TYPE_CHECKING:
    from .api import SlackApi

TROUBLE = "We had some trouble connecting. Try again?"
REQUIRED = "Please complete this required field."
NO_INTERACTIVITY_URL = "This app has no interactivity request URL."
MAX_SUGGESTIONS = 100

# the key of each stateful element's value in ``view.state.values`` (and in ``actions[]``), and its empty value
STATE_KEYS: dict[str, tuple[str, Any]] = {
    "plain_text_input": ("value", None),
    "number_input": ("value", None),
    "email_text_input": ("value", None),
    "url_text_input": ("value", None),
    "datepicker": ("selected_date", None),
    "timepicker": ("selected_time", None),
    "datetimepicker": ("selected_date_time", None),
    "static_select": ("selected_option", None),
    "external_select": ("selected_option", None),
    "radio_buttons": ("selected_option", None),
    "multi_static_select": ("selected_options", []),
    "multi_external_select": ("selected_options", []),
    "checkboxes": ("selected_options", []),
    "users_select": ("selected_user", None),
    "multi_users_select": ("selected_users", []),
    "conversations_select": ("selected_conversation", None),
    "channels_select": ("selected_channel", None),
}
_INITIAL_KEYS = {
    "value": "initial_value",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_channel": "initial_channel",
}
_OPTION_LISTS = ("static_select", "radio_buttons", "multi_static_select", "checkboxes", "overflow")


@dataclass(frozen=True)
class Outcome:
    """What the user sees after an interaction.

    ``ok``: the app acknowledged in time with an answer Slack accepts; ``error``: the message the user
    sees otherwise (:data:`TROUBLE`); ``errors``: per-``block_id`` messages under input blocks (the modal
    stays); ``view``: the view now shown (top of the modal stack, or the Home tab), None when the modal
    closed; ``closed``: the modal (the whole stack) is gone; ``status``: the app's HTTP status.
    """

    ok: bool
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    view: dict[str, Any] | None = None
    closed: bool = False
    status: int = 0
    payload: dict[str, Any] | None = None  # what was POSTed to the app (None: nothing was sent)

    @property
    def view_id(self) -> str | None:
        return str(self.view["id"]) if self.view is not None else None

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["view_id"] = self.view_id
        return body


# ---------------------------------------------------------------------------- view helpers
def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[Any] = []
    if isinstance(block.get("elements"), list):
        found += block["elements"]
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            found.append(block[key])
    return [e for e in found if isinstance(e, dict)]


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("block_id") == block_id:
            return block
    raise ValueError(f"the view has no block {block_id!r}")


def _element(block: dict[str, Any], action_id: str) -> dict[str, Any]:
    for element in _elements(block):
        if element.get("action_id") == action_id:
            return element
    raise ValueError(f"block {block.get('block_id')!r} has no element with action_id {action_id!r}")


def _options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options += [o for o in group.get("options") or [] if isinstance(o, dict)]
    return options


def _empty_state(element: dict[str, Any]) -> dict[str, Any]:
    key, empty = STATE_KEYS[str(element.get("type"))]
    initial = element.get(_INITIAL_KEYS[key])
    return {"type": element["type"], key: copy.deepcopy(initial) if initial is not None else copy.deepcopy(empty)}


def _checked_value(element: dict[str, Any], given: dict[str, Any], users: dict[str, User]) -> dict[str, Any]:
    """``given`` (Slack's shape for ``element``) checked, with ``type`` filled in; ValueError when wrong."""
    kind = str(element.get("type"))
    if kind not in STATE_KEYS:
        raise ValueError(f"a {kind} element holds no value")
    key, _ = STATE_KEYS[kind]
    if given.get("type", kind) != kind or set(given) - {"type", key}:
        raise ValueError(f"a {kind} value is {{'{key}': …}}, got {sorted(given)}")
    value = given.get(key)
    action_id = element.get("action_id")
    if value is None or value == [] or value == "":
        return {"type": kind, key: copy.deepcopy(STATE_KEYS[kind][1])}
    if key in ("value", "selected_date", "selected_time") and not isinstance(value, str):
        raise ValueError(f"{action_id}: {key} is a string")
    if key == "selected_date_time" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(f"{action_id}: selected_date_time is a UNIX timestamp in seconds (an integer)")
    if kind == "number_input":
        pattern = r"-?\d+(\.\d+)?" if element.get("is_decimal_allowed") else r"-?\d+"
        if not re.fullmatch(pattern, value):
            raise ValueError(f"{action_id}: {value!r} is not a number this input accepts")
    if kind == "datepicker":
        date.fromisoformat(value)
    if kind in _OPTION_LISTS or kind.endswith("external_select"):
        chosen = value if isinstance(value, list) else [value]
        if not all(isinstance(o, dict) and isinstance(o.get("value"), str) for o in chosen):
            raise ValueError(f"{action_id}: options are objects with a value")
        if kind in _OPTION_LISTS:
            allowed = {o.get("value"): o for o in _options_of(element)}
            if any(o["value"] not in allowed for o in chosen):
                raise ValueError(f"{action_id}: not one of the element's options")
            chosen = [copy.deepcopy(allowed[o["value"]]) for o in chosen]
        value = chosen if isinstance(value, list) else chosen[0]
    if kind in ("users_select", "multi_users_select"):
        chosen_users = value if isinstance(value, list) else [value]
        if any(u not in users for u in chosen_users):
            raise ValueError(f"{action_id}: unknown user")
    return {"type": kind, key: value}


def _stack_top(store: ViewStore, stored: StoredView) -> StoredView | None:
    stack = store.stack_of(stored)
    return store.views[stack[-1]] if stack else None


def _close_current(store: ViewStore, stored: StoredView) -> None:
    stack = store.stacks.get(stored.root_view_id, [])
    if stored.id in stack:
        stack.remove(stored.id)
    stored.closed = True
    if not stack:
        store.stacks.pop(stored.root_view_id, None)


def _clear(store: ViewStore, stored: StoredView) -> None:
    for view_id in store.stacks.pop(stored.root_view_id, [stored.id]):
        store.views[view_id].closed = True
    stored.closed = True


class Interactions:
    """The Slack client's interactions with the app, on behalf of any user of the sandbox.

    Call it without holding ``api.lock``: each method POSTs to the app and waits up to 3 s, and the
    app calls the sandbox back meanwhile (a caller holding the lock would make every answer late).
    ``ValueError`` means the client could not have done that (no such view, element or option).
    """

    def __init__(self, api: SlackApi) -> None:
        self._api = api

    # ------------------------------------------------------------------ shared
    def _user(self, user_id: str) -> User:
        user = self._api.world.users.get(user_id)
        if user is None or user.deleted or user.is_bot:
            raise ValueError(f"no active Slack user {user_id!r}")
        return user

    def _base(self, kind: str, user: User) -> dict[str, Any]:
        world = self._api.world
        team = world.teams[user.team_id]
        app = self._api.app
        return {
            "type": kind,
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id},
            "api_app_id": world.app_id,
            "token": verification_token(app) if app is not None else "",
            "team": {"id": team.id, "domain": team.domain, "enterprise_id": world.enterprise.id,
                     "enterprise_name": world.enterprise.name},
            "enterprise": {"id": world.enterprise.id, "name": world.enterprise.name},
            "is_enterprise_install": True,
        }

    def _own_view(self, user: User, view_id: str) -> StoredView:
        stored = self._api.views.views.get(view_id)
        if stored is None or stored.closed or stored.user_id != user.id:
            raise ValueError(f"{user.id} has no open view {view_id!r}")
        if stored.type == "modal" and _stack_top(self._api.views, stored) is not stored:
            raise ValueError(f"view {view_id} is not on top of its modal stack: the user cannot reach it")
        return stored

    def _view_with_state(self, stored: StoredView, state: dict[str, dict[str, Any]]) -> dict[str, Any]:
        body = view_object(self._api.world, stored)
        body["state"] = {"values": copy.deepcopy(state)}
        return body

    def _full_state(self, stored: StoredView) -> dict[str, dict[str, Any]]:
        """Every stateful element's value: what the user set, else the element's initial value."""
        state: dict[str, dict[str, Any]] = {}
        for block in stored.view.get("blocks") or []:
            if not isinstance(block, dict):
                continue
            for element in _elements(block):
                action_id = element.get("action_id")
                if element.get("type") in STATE_KEYS and isinstance(action_id, str):
                    held = stored.state.get(str(block.get("block_id")), {}).get(action_id)
                    state.setdefault(str(block["block_id"]), {})[action_id] = (
                        copy.deepcopy(held) if held is not None else _empty_state(element)
                    )
        return state

    def _post(self, payload: dict[str, Any]) -> Answer | None:
        app = self._api.app
        if app is None or app.interactivity_url is None:
            return None
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return post_signed(app, app.interactivity_url, body, "application/x-www-form-urlencoded")

    def _shown(self, stored: StoredView) -> dict[str, Any] | None:
        """The view the user sees now where ``stored`` was (its stack's top, or the Home tab)."""
        with self._api.lock:
            store = self._api.views
            if stored.type == "home":
                current = store.views.get(store.home.get(stored.user_id, ""))
            else:
                current = _stack_top(store, stored)
            return view_object(self._api.world, current) if current is not None else None

    # ------------------------------------------------------------------ the interface
    def home_opened(self, user_id: str) -> Delivery:
        """``user_id`` opens the app's Home tab: ``app_home_opened`` goes out in the background."""
        return self._api.events.app_home_opened(user_id)

    def block_action(
        self,
        user_id: str,
        *,
        action: dict[str, Any],
        block_id: str,
        view_id: str | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> Outcome:
        """The user uses element ``action["action_id"]`` of ``block_id`` in view ``view_id`` (Home tab or
        modal) or in message ``channel``/``message_ts``; ``action`` carries the new value for stateful
        elements in Slack's shape (``{"action_id": "stage", "selected_option": {...}}``)."""
        api = self._api
        action_id = action.get("action_id")
        if not isinstance(action_id, str):
            raise ValueError("action needs an action_id")
        if (view_id is None) == (channel is None or message_ts is None):
            raise ValueError("give either view_id, or channel and message_ts")
        stored: StoredView | None = None
        new_state: dict[str, dict[str, Any]] = {}
        with api.lock:
            user = self._user(user_id)
            now = api.clock.now()
            payload = self._base("block_actions", user)
            if view_id is not None:
                stored = self._own_view(user, view_id)
                element = _element(_block(stored.view, block_id), action_id)
                container: dict[str, Any] = {"type": "view", "view_id": stored.id}
            else:
                assert channel is not None and message_ts is not None
                message, blocks = self._message(channel, message_ts)
                element = _element(_block({"blocks": blocks}, block_id), action_id)
                container = {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False}
            acted: dict[str, Any] = {"type": element.get("type"), "action_id": action_id, "block_id": block_id}
            kind = str(element.get("type"))
            if kind in STATE_KEYS:
                value = {k: v for k, v in action.items() if k not in ("action_id", "type", "block_id")}
                checked = _checked_value(element, value, api.world.users)
                acted.update({k: v for k, v in checked.items() if k != "type"})
                new_state = {block_id: {action_id: checked}}
            elif kind == "overflow":
                picked = action.get("selected_option")
                checked = _checked_value({**element, "type": "static_select"}, {"selected_option": picked}, {})
                acted["selected_option"] = checked["selected_option"]
            else:
                for key in ("text", "value", "style", "url"):
                    if key in element:
                        acted[key] = copy.deepcopy(element[key])
            acted["action_ts"] = format_ts(int(now * 1_000_000))
            payload["container"] = container
            payload["trigger_id"] = api.views.mint_trigger(
                user.id, user.team_id, now, stored.id if stored is not None and stored.type == "modal" else None
            )
            if stored is not None:
                state = self._full_state(stored)
                for b, values in new_state.items():
                    state.setdefault(b, {}).update(copy.deepcopy(values))
                payload["view"] = self._view_with_state(stored, state)
            else:
                conv = api.world.conversations[channel or ""]
                payload["channel"] = {"id": conv.id, "name": conv.name or "directmessage"}
                payload["message"] = message
                payload["state"] = {"values": new_state}
                payload["response_url"] = api.response_urls.issue(
                    api.viewer_url, conv.id, parse_ts(message_ts or "") or 0, user.id, now
                )
            payload["actions"] = [acted]
        answer = self._post(payload)
        if answer is None:
            return Outcome(False, NO_INTERACTIVITY_URL, payload=payload)
        if not answer.ok:
            return Outcome(False, TROUBLE, status=answer.status, payload=payload,
                           view=self._shown(stored) if stored is not None else None)
        if stored is not None and new_state:
            with api.lock:
                if not stored.closed:
                    for b, values in new_state.items():
                        stored.state.setdefault(b, {}).update(copy.deepcopy(values))
        return Outcome(True, status=answer.status, payload=payload,
                       view=self._shown(stored) if stored is not None else None)

    def _message(self, channel: str, message_ts: str) -> tuple[dict[str, Any], list[Any]]:
        api = self._api
        ts_us = parse_ts(message_ts)
        stored = api.messages.get(channel, ts_us) if ts_us is not None else None
        if stored is None or stored.deleted_at is not None:
            raise ValueError(f"no message {message_ts} in {channel}")
        body = message_json(stored, api.world, [], with_metadata=False)
        return body, list(body.get("blocks") or [])

    def suggestions(self, user_id: str, *, view_id: str, block_id: str, action_id: str, value: str) -> list[dict[str, Any]]:
        """The options the app offers for what the user typed in an external select (``[]`` when it did
        not answer in time or answered something Slack would not show).  Option groups are returned as
        the app sent them (``{"label", "options"}``)."""
        api = self._api
        with api.lock:
            user = self._user(user_id)
            stored = self._own_view(user, view_id)
            element = _element(_block(stored.view, block_id), action_id)
            if element.get("type") not in ("external_select", "multi_external_select"):
                raise ValueError(f"{action_id} is a {element.get('type')}, not an external select")
            payload = self._base("block_suggestion", user)
            payload.update(
                {
                    "container": {"type": "view", "view_id": stored.id},
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "view": self._view_with_state(stored, self._full_state(stored)),
                }
            )
        answer = self._post(payload)
        if answer is None or not answer.ok:
            return []
        try:
            body = json.loads(answer.body or b"{}")
        except ValueError:
            return []
        if not isinstance(body, dict):
            return []
        found = body.get("options", body.get("option_groups"))
        if not isinstance(found, list) or len(found) > MAX_SUGGESTIONS:
            return []
        return [o for o in found if isinstance(o, dict)]

    def submit(self, user_id: str, *, view_id: str, values: dict[str, dict[str, dict[str, Any]]]) -> Outcome:
        """The user submits modal ``view_id`` with ``values`` (``{block_id: {action_id: {"value": …}}}``, the
        inputs they filled in, Slack's per-element shapes; inputs not named keep their current value)."""
        api = self._api
        with api.lock:
            user = self._user(user_id)
            stored = self._own_view(user, view_id)
            if stored.type != "modal" or stored.view.get("submit") is None:
                raise ValueError(f"view {view_id} has no submit button")
            state = self._full_state(stored)
            for block_id, by_action in values.items():
                block = _block(stored.view, block_id)
                for action_id, given in by_action.items():
                    element = _element(block, action_id)
                    if not isinstance(given, dict):
                        raise ValueError(f"{block_id}/{action_id}: a value is an object in Slack's shape")
                    state.setdefault(block_id, {})[action_id] = _checked_value(element, given, api.world.users)
            missing = self._missing(stored, state)
            if missing:
                return Outcome(False, errors=missing, view=view_object(api.world, stored))
            payload = self._base("view_submission", user)
            payload.update(
                {
                    "trigger_id": api.views.mint_trigger(user.id, user.team_id, api.clock.now(), stored.id),
                    "view": self._view_with_state(stored, state),
                    "response_urls": [],
                }
            )
        answer = self._post(payload)
        if answer is None:
            return Outcome(False, NO_INTERACTIVITY_URL, payload=payload, view=self._shown(stored))
        if not answer.ok:
            return Outcome(False, TROUBLE, status=answer.status, payload=payload, view=self._shown(stored))
        with api.lock:
            outcome = self._apply_submission(stored, state, answer)
        return Outcome(outcome.ok, outcome.error, outcome.errors, outcome.view, outcome.closed, answer.status, payload)

    @staticmethod
    def _missing(stored: StoredView, state: dict[str, dict[str, Any]]) -> dict[str, str]:
        missing: dict[str, str] = {}
        for block in stored.view.get("blocks") or []:
            if not isinstance(block, dict) or block.get("type") != "input" or block.get("optional"):
                continue
            element = block.get("element")
            if not isinstance(element, dict) or element.get("type") not in STATE_KEYS:
                continue
            key, _ = STATE_KEYS[str(element["type"])]
            held = state.get(str(block.get("block_id")), {}).get(str(element.get("action_id")), {})
            if held.get(key) in (None, "", []):
                missing[str(block["block_id"])] = REQUIRED
        return missing

    def _apply_submission(self, stored: StoredView, state: dict[str, dict[str, Any]], answer: Answer) -> Outcome:
        """The app's answer to a view_submission (caller holds the lock)."""
        api = self._api
        store = api.views
        world = api.world
        trouble = Outcome(False, TROUBLE, view=view_object(world, stored) if not stored.closed else None)
        if stored.closed:  # the app closed it meanwhile (views.update cannot; a clear from elsewhere can)
            return Outcome(True, closed=True)
        text = answer.body.decode("utf-8", "replace").strip()
        if not text:
            stored.state = state
            _close_current(store, stored)
            top = _stack_top(store, stored)
            return Outcome(True, view=view_object(world, top) if top else None, closed=top is None)
        try:
            body = json.loads(text)
        except ValueError:
            return trouble
        if not isinstance(body, dict):
            return trouble
        action = body.get("response_action")
        if action == "errors":
            errors = body.get("errors")
            inputs = {
                b.get("block_id") for b in stored.view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"
            }
            if not isinstance(errors, dict) or not errors or not all(
                k in inputs and isinstance(v, str) for k, v in errors.items()
            ):
                return trouble
            stored.state = state
            return Outcome(True, errors=dict(errors), view=view_object(world, stored))
        if action == "clear":
            stored.state = state
            _clear(store, stored)
            return Outcome(True, closed=True)
        if action in ("update", "push"):
            view = body.get("view")
            try:
                validate_view(view, "modal")
            except SlackError:
                return trouble
            assert isinstance(view, dict)
            external_id = view.get("external_id")
            holder = store.by_external_id(external_id) if isinstance(external_id, str) and external_id else None
            if holder is not None and (action == "push" or holder.id != stored.id):
                return trouble  # views.update / views.push would say duplicate_external_id
            if action == "update":
                stored.state = state
                stored.state = kept_state(stored, view.get("blocks", []))
                stored.view = with_block_ids(view, stored.id)
                stored.hash = store.new_hash(api.clock.now())
                return Outcome(True, view=view_object(world, stored))
            stack = store.stack_of(stored)
            if len(stack) > MAX_PUSHED:
                return trouble
            stored.state = state
            pushed = push_view(store, stored, view, api.clock.now())
            return Outcome(True, view=view_object(world, pushed))
        return trouble

    def close(self, user_id: str, *, view_id: str) -> Outcome:
        """The user clicks the modal's close button: back one view (the whole stack with ``clear_on_close``);
        ``view_closed`` is sent when the view set ``notify_on_close``."""
        api = self._api
        with api.lock:
            user = self._user(user_id)
            stored = self._own_view(user, view_id)
            if stored.type != "modal":
                raise ValueError("only a modal can be closed")
            cleared = bool(stored.view.get("clear_on_close"))
            payload: dict[str, Any] | None = None
            if stored.view.get("notify_on_close"):
                payload = self._base("view_closed", user)
                payload.update({"view": self._view_with_state(stored, self._full_state(stored)), "is_cleared": cleared})
            if cleared:
                _clear(api.views, stored)
            else:
                _close_current(api.views, stored)
            top = _stack_top(api.views, stored)
            shown = view_object(api.world, top) if top is not None else None
        status = 0
        if payload is not None:
            answer = self._post(payload)
            status = answer.status if answer is not None else 0
        return Outcome(True, view=shown, closed=shown is None, status=status, payload=payload)
