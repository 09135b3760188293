"""A Home tab or a modal as the client shows it: every block and element of the stored view, live.

Rendered exactly from the view the app sent (``view_store.StoredView``; block ids filled in by
``views.py``) and the values the user holds (``StoredView.state``, Slack's ``view.state.values``
shapes, else the element's ``initial_*``): section (text, fields, accessory), header, context,
divider, actions, image (a placeholder), rich text, and input blocks (label, hint, "(optional)", the
element, a slot for the error under it).  Elements (Block Kit reference, "Block elements"):
``button`` (``style``, ``value``; with ``url`` a link opening a new tab), ``static_select`` (options
and option groups), ``external_select`` (a text box whose suggestions come from the app),
``users_select`` (the workspace's people), ``overflow`` (a ⋯ menu), ``checkboxes`` (with
descriptions), ``radio_buttons`` (with descriptions), ``multi_static_select`` (a multiple choice list),
``datepicker``, ``datetimepicker`` (an ``<input type="datetime-local">`` showing ``initial_date_time`` or the
time held as wall-clock time in the viewing user's Slack time zone, named beside it, as Slack shows it in the
user's zone: Block Kit reference, "Datetime picker element"), ``plain_text_input`` (``multiline`` → a text
area), ``number_input``, ``image``.  Every text is HTML-escaped (``mrkdwn.py``).

Each control carries ``data-block``, ``data-action`` and ``data-kind``; controls of actions blocks and
section accessories, and the element of an input block with ``dispatch_action: true`` ("A boolean that
indicates whether or not the use of elements in this block should dispatch a block_actions payload",
Block Kit reference, "Input block"), also ``data-dispatch`` (using them sends ``block_actions`` at once,
as Slack does; a text or number input of such a block sends it when Enter is pressed, the default
``dispatch_action_config``); the page's script (``viewer_script.py``) reads nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from .viewer_blocks import BlockRenderer, esc
from .viewer_state import action_id_of, wall_clock
from .world import World


def _held(state: dict[str, dict[str, Any]], block_id: str, element: dict[str, Any]) -> Any:
    """The value the user holds in ``element`` (Slack's state shape), else its initial value, else None."""
    entry = state.get(block_id, {}).get(action_id_of(element))
    if isinstance(entry, dict):
        return next((v for k, v in entry.items() if k != "type"), None)
    for name in ("initial_value", "initial_date", "initial_date_time", "initial_option", "initial_options",
                 "initial_user"):
        if name in element:
            return element[name]
    return None


@dataclass(frozen=True)
class Control:
    """One control being drawn: its DOM id, its ``id``/``data-*`` attributes, and the value it holds."""

    dom_id: str
    data: str
    dispatch: bool  # in an actions block or a section accessory (outside an input block): no <label> names it
    held: Any

    def named(self, name: str) -> str:
        """An ``aria-label`` for a control outside an input block (inside one, its ``<label>`` names it)."""
        return f' aria-label="{name}"' if self.dispatch else ""


def _option_value(option: Any) -> str:
    return str(option.get("value", "")) if isinstance(option, dict) else ""


class SurfaceRenderer(BlockRenderer):
    """The interactive blocks of one view for one viewer (``team_id``: whose people a users select lists;
    ``zone``: their time zone, in which date-times are shown)."""

    def __init__(self, world: World, team_id: str, state: dict[str, dict[str, Any]], prefix: str = "el",
                 zone: tzinfo = UTC) -> None:
        super().__init__(world)
        self.team_id = team_id
        self.zone = zone
        self.state = state
        self.prefix = prefix  # keeps element ids unique on a page showing several surfaces (messages)

    def surface(self, view: dict[str, Any]) -> str:
        return "".join(self.block(b) for b in view.get("blocks") or [])

    # ------------------------------------------------------------------ blocks
    def block(self, block: Any) -> str:
        if not isinstance(block, dict):
            return ""
        kind = block.get("type")
        block_id = str(block.get("block_id", ""))
        if kind == "section":
            text = f'<div class="b-text">{self.text_object(block["text"])}</div>' if "text" in block else ""
            fields = "".join(f'<div class="b-field">{self.text_object(f)}</div>' for f in block.get("fields") or [])
            fields_html = f'<div class="b-fields">{fields}</div>' if fields else ""
            accessory = (
                f'<div class="b-accessory">{self.control(block["accessory"], block_id, dispatch=True)}</div>'
                if isinstance(block.get("accessory"), dict)
                else ""
            )
            return (
                f'<div class="b-section" data-block-id="{esc(block_id)}"><div class="b-section-body">{text}'
                f"{fields_html}</div>{accessory}</div>"
            )
        if kind == "actions":
            controls = "".join(self.control(el, block_id, dispatch=True) for el in block.get("elements") or [])
            return f'<div class="b-actions" data-block-id="{esc(block_id)}">{controls}</div>'
        if kind == "input":
            return self.input_block(block, block_id)
        return super().block(block)

    def input_block(self, block: dict[str, Any], block_id: str) -> str:
        element = block.get("element")
        control = (
            self.control(element, block_id, dispatch=False, dispatch_action=bool(block.get("dispatch_action")))
            if isinstance(element, dict)
            else ""
        )
        optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
        hint = f'<div class="b-hint">{self.text_object(block["hint"])}</div>' if block.get("hint") else ""
        return (
            f'<div class="b-input" data-block-id="{esc(block_id)}">'
            f'<label class="b-label" for="{esc(self.label_target(block_id, element))}">'
            f"{self.text_object(block.get('label'))}{optional}</label>{control}{hint}"
            f'<div class="b-error" role="alert" data-error-for="{esc(block_id)}"></div></div>'
        )

    def label_target(self, block_id: str, element: Any) -> str:
        is_external = isinstance(element, dict) and element.get("type") == "external_select"
        return self.dom_id(block_id, element) + ("-q" if is_external else "")

    def dom_id(self, block_id: str, element: Any) -> str:
        action_id = action_id_of(element) if isinstance(element, dict) else ""
        return f"{self.prefix}-{block_id}-{action_id}"

    # ------------------------------------------------------------------ elements
    def control(self, el: dict[str, Any], block_id: str, *, dispatch: bool, dispatch_action: bool = False) -> str:
        """``dispatch``: in an actions block or a section accessory; ``dispatch_action``: in an input block
        that asks for ``block_actions`` when its element is used."""
        kind = str(el.get("type", ""))
        dom_id = self.dom_id(block_id, el)
        data = (
            f'id="{esc(dom_id)}" data-block="{esc(block_id)}" '
            f'data-action="{esc(action_id_of(el))}" data-kind="{esc(kind)}"'
            + (" data-dispatch" if dispatch or dispatch_action else "")
        )
        control = Control(dom_id, data, dispatch, _held(self.state, block_id, el))
        render = {
            "button": self.button,
            "static_select": self.static_select,
            "users_select": self.users_select,
            "overflow": self.overflow,
            "checkboxes": self.checkboxes,
            "radio_buttons": self.radio_buttons,
            "multi_static_select": self.multi_static_select,
            "datepicker": self.datepicker,
            "datetimepicker": self.datetimepicker,
            "plain_text_input": self.text_input,
            "number_input": self.number_input,
            "external_select": self.external_select,
        }.get(kind)
        if render is None:
            return self.element(el)  # image, text and anything the client cannot use: read-only
        return render(el, control)

    def placeholder(self, el: dict[str, Any], default: str = "") -> str:
        value = el.get("placeholder")
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return str(value["text"])
        return default

    def button(self, el: dict[str, Any], c: Control) -> str:
        style = el.get("style") if el.get("style") in ("primary", "danger") else ""
        label = self.text_object(el.get("text"))
        value = f' data-value="{esc(el["value"])}"' if isinstance(el.get("value"), str) else ""
        url = el.get("url")
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            return (
                f'<a class="b-button {style}" {c.data}{value} href="{esc(url)}" target="_blank" '
                f'rel="noopener noreferrer">{label}</a>'
            )
        return f'<button type="button" class="b-button {style}" {c.data}{value}>{label}</button>'

    def _options_html(self, options: Any, chosen: set[str]) -> str:
        out = []
        for option in options if isinstance(options, list) else []:
            if not isinstance(option, dict):
                continue
            value = _option_value(option)
            selected = " selected" if value in chosen else ""
            url = f' data-url="{esc(option["url"])}"' if isinstance(option.get("url"), str) else ""
            out.append(f'<option value="{esc(value)}"{url}{selected}>{self.text_object(option.get("text"))}</option>')
        return "".join(out)

    def static_select(self, el: dict[str, Any], c: Control) -> str:
        chosen = {_option_value(c.held)}
        body = self._options_html(el.get("options"), chosen)
        for group in el.get("option_groups") or []:
            if isinstance(group, dict):
                label = esc((group.get("label") or {}).get("text", ""))
                body += f'<optgroup label="{label}">{self._options_html(group.get("options"), chosen)}</optgroup>'
        first = esc(self.placeholder(el, "Select an item"))
        return f'<select class="b-select" {c.data}{c.named(first)}><option value="">{first}</option>{body}</select>'

    def users_select(self, el: dict[str, Any], c: Control) -> str:
        people = sorted(
            (u for u in self.world.users.values() if not u.is_bot and not u.deleted and self.team_id in u.teams),
            key=lambda u: u.profile.real_name.lower(),
        )
        options = "".join(
            f'<option value="{esc(u.id)}"{" selected" if u.id == c.held else ""}>{esc(u.profile.real_name)}</option>'
            for u in people
        )
        first = esc(self.placeholder(el, "Select a user"))
        return f'<select class="b-select" {c.data}{c.named(first)}><option value="">{first}</option>{options}</select>'

    def overflow(self, el: dict[str, Any], c: Control) -> str:
        options = self._options_html(el.get("options"), set())
        return (
            f'<select class="b-overflow" {c.data} aria-label="More actions" title="More actions">'
            f'<option value="">⋯</option>{options}</select>'
        )

    def _ticks(self, el: dict[str, Any], chosen: set[str], kind: str, name: str) -> str:
        """One ``<label>`` per option: an ``<input type=kind>`` (``name`` groups radios), its text and description."""
        boxes = []
        for option in el.get("options") or []:
            if not isinstance(option, dict):
                continue
            value = _option_value(option)
            checked = " checked" if value in chosen else ""
            description = (
                f'<span class="b-description">{self.text_object(option["description"])}</span>'
                if isinstance(option.get("description"), dict)
                else ""
            )
            boxes.append(
                f'<label class="b-checkbox"><input type="{kind}"{name} value="{esc(value)}"{checked}> '
                f"{self.text_object(option.get('text'))}{description}</label>"
            )
        return "".join(boxes)

    def checkboxes(self, el: dict[str, Any], c: Control) -> str:
        chosen = {_option_value(o) for o in c.held} if isinstance(c.held, list) else set()
        return f'<fieldset class="b-checkboxes" {c.data}>{self._ticks(el, chosen, "checkbox", "")}</fieldset>'

    def radio_buttons(self, el: dict[str, Any], c: Control) -> str:
        radios = self._ticks(el, {_option_value(c.held)}, "radio", f' name="{esc(c.dom_id)}"')
        return f'<fieldset class="b-checkboxes" role="radiogroup" {c.data}>{radios}</fieldset>'

    def multi_static_select(self, el: dict[str, Any], c: Control) -> str:
        chosen = {_option_value(o) for o in c.held} if isinstance(c.held, list) else set()
        body = self._options_html(el.get("options"), chosen)
        for group in el.get("option_groups") or []:
            if isinstance(group, dict):
                label = esc((group.get("label") or {}).get("text", ""))
                body += f'<optgroup label="{label}">{self._options_html(group.get("options"), chosen)}</optgroup>'
        title = esc(self.placeholder(el, "Select items"))
        return f'<select class="b-select" multiple title="{title}" {c.data}{c.named(title)}>{body}</select>'

    def datepicker(self, el: dict[str, Any], c: Control) -> str:
        value = f' value="{esc(c.held)}"' if isinstance(c.held, str) else ""
        return f'<input type="date" class="b-date" {c.data}{value}>'

    def datetimepicker(self, el: dict[str, Any], c: Control) -> str:
        held = c.held if isinstance(c.held, int) and not isinstance(c.held, bool) else None
        value = f' value="{esc(wall_clock(held, self.zone))}"' if held is not None else ""
        step = ' step="1"' if held is not None and held % 60 else ""
        zone = str(getattr(self.zone, "key", self.zone))
        return (
            f'<input type="datetime-local" class="b-datetime" {c.data}{value}{step}{c.named("Date and time")}>'
            f'<span class="b-zone" data-zone-for="{esc(c.dom_id)}">{esc(zone)}</span>'
        )

    def text_input(self, el: dict[str, Any], c: Control) -> str:
        value = c.held if isinstance(c.held, str) else ""
        placeholder = f' placeholder="{esc(self.placeholder(el))}"' if el.get("placeholder") else ""
        if el.get("multiline"):
            return f'<textarea class="b-text-input" rows="4" {c.data}{placeholder}>{esc(value)}</textarea>'
        return f'<input type="text" class="b-text-input" {c.data}{placeholder} value="{esc(value)}">'

    def number_input(self, el: dict[str, Any], c: Control) -> str:
        value = c.held if isinstance(c.held, str) else ""
        step = "any" if el.get("is_decimal_allowed") else "1"
        bounds = "".join(
            f' {attr}="{esc(el[name])}"' for name, attr in (("min_value", "min"), ("max_value", "max")) if name in el
        )
        placeholder = f' placeholder="{esc(self.placeholder(el))}"' if el.get("placeholder") else ""
        return f'<input type="number" class="b-number" step="{step}"{bounds} {c.data}{placeholder} value="{esc(value)}">'

    def external_select(self, el: dict[str, Any], c: Control) -> str:
        minimum = el.get("min_query_length", 3)
        chosen = c.held if isinstance(c.held, dict) else None
        label = str((chosen.get("text") or {}).get("text", "")) if chosen else ""
        chosen_json = esc(json.dumps(chosen)) if chosen else ""
        hint = esc(self.placeholder(el, "Search"))
        return (
            f'<div class="b-external" {c.data} data-min-query="{esc(minimum)}" data-chosen="{chosen_json}">'
            f'<input type="text" id="{esc(c.dom_id)}-q" class="b-external-query" role="combobox" autocomplete="off"'
            f'{c.named(hint)} placeholder="{hint}" value="{esc(label)}">'
            '<ul class="b-suggestions" role="listbox"></ul></div>'
        )
