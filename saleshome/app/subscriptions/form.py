"""The "New notification" / "Edit notification" modal: pure functions from what the member may choose to a view,
and from a submitted view back to what they chose (:class:`Choice`) or the problems, each on its input block.

What is offered (:class:`FormContext`, read by :mod:`.handlers` as the member and from the settings API):

- the org (a select, when the member is connected to several);
- the template: only those the sales admins allow members to use in that org (``member_templates``), each named
  in the member's language (:mod:`.words`);
- the object: the template's own (``stage_changed`` watches opportunities), else one of the objects the admins
  show in the Sales tab that the member may read;
- the template's options (:data:`OPTION_INPUTS`), the stages from the member's own picklist values;
- the scope: records they own, their team's (role hierarchy), or records matching conditions — on the fields
  the UI API's object info lists for the member (field-level security: a field they cannot read is not there);
- the delivery: a direct message at once, or their daily digest at an hour of their own time zone.

Invariants: the view is within Slack's limits (100 blocks, 100 options a select, labels ≤ 75/2,000 characters,
a title ≤ 24); block and action ids are stable, so Slack keeps what the member typed when the modal is rebuilt
(``views.update``); :func:`read_form` trusts nothing in the submitted view but its input values, and checks
each against the same :class:`FormContext` the modal was built from (a forged value is a problem on its
block, never saved); ``private_metadata`` names only what the member chose (never who they are).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from saleshome.i18n import Messages
from saleshome.salesforce.ui_api_types import FieldInfo, ObjectInfo
from saleshome.settings.notifications.catalog import OPERATORS
from saleshome.settings.notifications.validate import OPS_BY_KIND
from saleshome.slack.text import truncate

from .words import (
    CHOICE_LABELS,
    OPERATOR_LABELS,
    delivery_label,
    hour_label,
    object_name,
    option_label,
    scope_label,
    template_label,
)

__all__ = [
    "CALLBACK_ID",
    "OPTION_INPUTS",
    "Block",
    "Choice",
    "ConditionChoice",
    "FormContext",
    "Scope",
    "decode_meta",
    "field_kind",
    "form_view",
    "read_form",
    "selection_of",
]

CALLBACK_ID = "sales_home_subscription"
MAX_CONDITIONS = 3
MAX_OPTIONS = 100
OPTION_TEXT_MAX = 75
LABEL_MAX = 2000
TITLE_MAX = 24
VALUE_MAX = 500
META_VERSION = 1
VALUES_SEPARATOR = ";"

Scope = Literal["mine", "team", "matching"]
DeliveryMode = Literal["immediate", "digest"]
SCOPES: tuple[Scope, ...] = ("mine", "team", "matching")
DELIVERIES: tuple[DeliveryMode, ...] = ("immediate", "digest")
NUMBER_TYPES = {"Currency", "Double", "Int", "Long", "Percent"}
DATE_TYPES = {"Date", "DateTime"}
UNUSABLE_TYPES = {"Address", "Location", "Base64", "EncryptedString", "ComplexValue", "Anytype"}


class Block:
    """The block ids of the modal (one input each; the action id is the same string)."""

    ORG = "subs_org"
    TEMPLATE = "subs_template"
    OBJECT = "subs_object"
    SCOPE = "subs_scope"
    DELIVERY = "subs_delivery"
    HOUR = "subs_hour"

    @staticmethod
    def option(name: str) -> str:
        return f"subs_opt_{name}"

    @staticmethod
    def condition(i: int, part: Literal["field", "op", "value"]) -> str:
        return f"subs_cond_{i}_{part}"


# What each template asks for: (option, kind, choices).  Kinds: ``stages`` (the member's stage picklist values),
# ``field`` / ``number_field`` / ``date_field`` (a field they can read, of that kind), ``choice`` (one of the
# choices), ``number``/``integer`` (a number input), ``values`` (comma-separated values).
OPTION_INPUTS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "new_record": (),
    "field_changed": (("field", "field", ()), ("to_values", "values", ())),
    "stage_changed": (("to_stages", "stages", ()), ("direction", "choice", ("any", "forward", "backward"))),
    "threshold_crossed": (("field", "number_field", ()), ("value", "number", ()),
                          ("direction", "choice", ("up", "down", "either"))),
    "date_moved": (("field", "date_field", ()), ("direction", "choice", ("any", "later", "earlier", "into_past"))),
    "owner_changed": (),
    "deal_closed": (("outcome", "choice", ("any", "won", "lost")),),
    "stale_record": (("days", "integer", ()), ("basis", "choice", ("last_change", "last_activity"))),
    "upcoming_date": (("field", "date_field", ()), ("days", "integer", ())),
}
OPTIONAL_OPTIONS = {"to_stages", "to_values"}


def field_kind(info: FieldInfo) -> str:
    """number, date, datetime, boolean, multi or text (as admin notifications' conditions see them)."""
    if info.data_type in NUMBER_TYPES:
        return "number"
    if info.data_type == "Date":
        return "date"
    if info.data_type == "DateTime":
        return "datetime"
    if info.data_type == "Boolean":
        return "boolean"
    return "multi" if info.data_type == "MultiPicklist" else "text"


def usable_fields(info: ObjectInfo | None, kind: str = "field") -> list[FieldInfo]:
    """The fields of ``info`` (as the member reads them: object info lists only those) a choice may name."""
    if info is None:
        return []
    fields = [f for f in info.fields.values() if f.data_type not in UNUSABLE_TYPES]
    if kind == "number_field":
        fields = [f for f in fields if f.data_type in NUMBER_TYPES]
    elif kind == "date_field":
        fields = [f for f in fields if f.data_type in DATE_TYPES]
    return sorted(fields, key=lambda f: (f.label.lower(), f.api_name))


# ------------------------------------------------------------------------------------------ what was chosen
@dataclass(frozen=True)
class ConditionChoice:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Choice:
    """A member's subscription as the modal holds it (the settings API's draft is made from it)."""

    org: str
    template: str
    object: str
    options: Mapping[str, Any] = field(default_factory=dict)
    scope: Scope = "mine"
    conditions: Sequence[ConditionChoice] = ()
    delivery: DeliveryMode = "immediate"
    hour: int = 9


@dataclass(frozen=True)
class Selection:
    """What decides the modal's shape: org, template, object, scope, delivery (None: not chosen yet)."""

    org: str | None = None
    template: str | None = None
    object: str | None = None
    scope: Scope = "mine"
    delivery: DeliveryMode = "immediate"
    editing: str | None = None  # the subscription being edited (the member's own: checked at every use)


@dataclass(frozen=True)
class OrgOption:
    alias: str
    label: str


@dataclass(frozen=True)
class FormContext:
    """Everything the modal offers, for one member and one :class:`Selection`."""

    words: Messages
    tz: str | None
    orgs: Sequence[OrgOption]
    selection: Selection
    templates: Sequence[str] = ()  # allowed for members in the chosen org
    objects: Sequence[tuple[str, str]] = ()  # (API name, label) the chosen template may watch
    info: ObjectInfo | None = None  # the chosen object, as the member reads it
    stages: Sequence[tuple[str, str]] = ()  # (value, label) of StageName, as the member reads it
    initial: Choice | None = None  # the subscription being edited, as saved
    problem: str | None = None  # something to say at the top (Salesforce not answering, ...)


# ------------------------------------------------------------------------------------------ small parts
def _plain(text: str, limit: int = LABEL_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text or "—", limit), "emoji": True}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text, OPTION_TEXT_MAX), "value": value}


def _select(action_id: str, options: Sequence[dict[str, Any]], words: Messages, initial: str | None = None,
            *, kind: str = "static_select") -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind, "action_id": action_id, "options": list(options)[:MAX_OPTIONS]}
    if kind != "radio_buttons":
        element["placeholder"] = _plain(words.gettext("Choose"), 150)
    chosen = next((o for o in element["options"] if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           dispatch: bool = False, hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": _plain(label), "element": element,
                             "optional": optional}
    if dispatch:
        block["dispatch_action"] = True
    if hint:
        block["hint"] = _plain(hint)
    return block


def encode_meta(selection: Selection) -> str:
    body = {"v": META_VERSION, "org": selection.org, "template": selection.template, "object": selection.object,
            "scope": selection.scope, "delivery": selection.delivery, "editing": selection.editing}
    return json.dumps({k: v for k, v in body.items() if v is not None}, separators=(",", ":"))


def decode_meta(text: str | None) -> Selection:
    """The selection a modal's ``private_metadata`` holds (an empty one for anything not ours)."""
    try:
        data: Any = json.loads(text or "")
    except ValueError:
        return Selection()
    if not isinstance(data, dict) or data.get("v") != META_VERSION:
        return Selection()

    def text_of(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value else None

    scope = data.get("scope")
    delivery = data.get("delivery")
    return Selection(org=text_of("org"), template=text_of("template"), object=text_of("object"),
                     scope=scope if scope in SCOPES else "mine", delivery=delivery if delivery in DELIVERIES
                     else "immediate", editing=text_of("editing"))


def _selected(values: Mapping[str, Any], block_id: str) -> str | None:
    held = (values.get(block_id) or {}).get(block_id) or {}
    option = held.get("selected_option") if isinstance(held, Mapping) else None
    value = option.get("value") if isinstance(option, Mapping) else None
    return value if isinstance(value, str) and value else None


def selection_of(view: Mapping[str, Any]) -> Selection:
    """What a modal (as Slack sends it back) has chosen: its inputs first, then its ``private_metadata``."""
    kept = decode_meta(view.get("private_metadata"))
    values = ((view.get("state") or {}).get("values")) or {}
    scope = _selected(values, Block.SCOPE) or kept.scope
    delivery = _selected(values, Block.DELIVERY) or kept.delivery
    return Selection(org=_selected(values, Block.ORG) or kept.org,
                     template=_selected(values, Block.TEMPLATE) or kept.template,
                     object=_selected(values, Block.OBJECT) or kept.object,
                     scope=scope if scope in SCOPES else "mine",
                     delivery=delivery if delivery in DELIVERIES else "immediate", editing=kept.editing)


# ------------------------------------------------------------------------------------------ the view
def _option_block(name: str, kind: str, choices: tuple[str, ...], ctx: FormContext) -> dict[str, Any] | None:
    words = ctx.words
    initial = (ctx.initial.options if ctx.initial is not None else {}).get(name)
    label = option_label(name, words)
    block_id = Block.option(name)
    if kind == "stages":
        if not ctx.stages:
            return None
        options = [_option(text, value) for value, text in ctx.stages]
        element: dict[str, Any] = {"type": "multi_static_select", "action_id": block_id, "options": options[:MAX_OPTIONS],
                                   "placeholder": _plain(words.gettext("Any stage"), 150)}
        picked = [o for o in element["options"] if isinstance(initial, list) and o["value"] in initial]
        if picked:
            element["initial_options"] = picked
        return _input(block_id, label, element, optional=True)
    if kind in ("field", "number_field", "date_field"):
        fields = usable_fields(ctx.info, kind)
        if not fields:
            return None
        element = _select(block_id, [_option(f.label, f.api_name) for f in fields], words,
                          initial if isinstance(initial, str) else None)
        return _input(block_id, label, element)
    if kind == "choice":
        options = [_option(CHOICE_LABELS[c](words), c) for c in choices]
        return _input(block_id, label, _select(block_id, options, words,
                                               initial if isinstance(initial, str) else choices[0]))
    if kind in ("number", "integer"):
        element = {"type": "number_input", "action_id": block_id, "is_decimal_allowed": kind == "number"}
        if isinstance(initial, int | float) and not isinstance(initial, bool):
            element["initial_value"] = str(int(initial) if kind == "integer" else initial)
        return _input(block_id, label, element)
    element = {"type": "plain_text_input", "action_id": block_id, "max_length": VALUE_MAX}
    if isinstance(initial, list) and initial:
        element["initial_value"] = "; ".join(str(v) for v in initial)
    return _input(block_id, label, element, optional=True, hint=words.gettext("Values separated by semicolons."))


def _condition_blocks(ctx: FormContext) -> list[dict[str, Any]]:
    words = ctx.words
    fields = usable_fields(ctx.info)
    if not fields:
        return []
    kept = list(ctx.initial.conditions) if ctx.initial is not None else []
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": words.gettext(
        "*Conditions* — the records that match all of them (fields you can see in Salesforce).")}}]
    field_options = [_option(f.label, f.api_name) for f in fields]
    op_options = [_option(OPERATOR_LABELS[op](words), op) for op in OPERATORS]
    for i in range(MAX_CONDITIONS):
        given = kept[i] if i < len(kept) else None
        number = words.gettext("Condition {n}", n=i + 1)
        blocks.append(_input(Block.condition(i, "field"), number + " · " + words.gettext("Field"),
                             _select(Block.condition(i, "field"), field_options, words,
                                     given.field if given else None), optional=i > 0))
        blocks.append(_input(Block.condition(i, "op"), number + " · " + words.gettext("Test"),
                             _select(Block.condition(i, "op"), op_options, words, given.op if given else None),
                             optional=i > 0))
        value: dict[str, Any] = {"type": "plain_text_input", "action_id": Block.condition(i, "value"),
                                 "max_length": VALUE_MAX}
        if given is not None and given.value is not None:
            value["initial_value"] = ("; ".join(str(v) for v in given.value) if isinstance(given.value, list)
                                      else str(given.value))
        blocks.append(_input(Block.condition(i, "value"), number + " · " + words.gettext("Value"), value,
                             optional=True, hint=words.gettext("Several values (for “is one of”): separate them "
                                                               "with semicolons.") if i == 0 else None))
    return blocks


def form_view(ctx: FormContext) -> dict[str, Any]:
    """The modal for ``ctx`` (see the module docstring)."""
    words, sel = ctx.words, ctx.selection
    blocks: list[dict[str, Any]] = []
    if ctx.problem:
        blocks.append({"type": "section", "block_id": "subs_problem",
                       "text": {"type": "mrkdwn", "text": ":warning: " + ctx.problem}})
    if len(ctx.orgs) > 1:
        blocks.append(_input(Block.ORG, words.gettext("Org"), _select(
            Block.ORG, [_option(o.label, o.alias) for o in ctx.orgs], words, sel.org), dispatch=True))
    if not ctx.templates:
        blocks.append({"type": "section", "block_id": "subs_no_templates", "text": {"type": "mrkdwn", "text": (
            words.gettext("Sales admins have not yet chosen notifications members can set up in this org."))}})
    else:
        blocks.append(_input(Block.TEMPLATE, words.gettext("Notify me when"), _select(
            Block.TEMPLATE, [_option(template_label(t, words), t) for t in ctx.templates], words, sel.template),
            dispatch=True))
    if sel.template and ctx.objects:
        if len(ctx.objects) == 1:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": words.gettext(
                "On: {object}", object=object_name(ctx.objects[0][1]))}]})
        else:
            blocks.append(_input(Block.OBJECT, words.gettext("Records"), _select(
                Block.OBJECT, [_option(label, name) for name, label in ctx.objects], words, sel.object),
                dispatch=True))
    if sel.template and sel.object and ctx.info is not None:
        for name, kind, choices in OPTION_INPUTS.get(sel.template, ()):
            block = _option_block(name, kind, choices, ctx)
            if block is not None:
                blocks.append(block)
        blocks.append(_input(Block.SCOPE, words.gettext("Which records"), _select(
            Block.SCOPE, [_option(scope_label(s, words), s) for s in SCOPES], words, sel.scope,
            kind="radio_buttons"), dispatch=True))
        if sel.scope == "matching":
            blocks += _condition_blocks(ctx)
        blocks.append(_input(Block.DELIVERY, words.gettext("Deliver"), _select(
            Block.DELIVERY, [_option(delivery_label(d, words), d) for d in DELIVERIES], words, sel.delivery,
            kind="radio_buttons"), dispatch=True))
        if sel.delivery == "digest":
            hour = ctx.initial.hour if ctx.initial is not None else 9
            blocks.append(_input(Block.HOUR, words.gettext("Daily digest at"), _select(
                Block.HOUR, [_option(hour_label(h, words), str(h)) for h in range(24)], words, str(hour)),
                hint=words.gettext("Your time zone: {tz}", tz=ctx.tz or "UTC")))
    title = words.gettext("Edit notification") if sel.editing else words.gettext("New notification")
    view: dict[str, Any] = {"type": "modal", "callback_id": CALLBACK_ID, "title": _plain(title, TITLE_MAX),
                            "close": _plain(words.gettext("Cancel"), TITLE_MAX),
                            "private_metadata": encode_meta(sel), "blocks": blocks}
    if any(b["type"] == "input" for b in blocks):  # Slack: a modal with inputs has a submit button
        view["submit"] = _plain(words.gettext("Save"), TITLE_MAX)
    return view


def loading_view(words: Messages, selection: Selection) -> dict[str, Any]:
    """The modal while Salesforce is read (opened at once: Slack's trigger lives 3 seconds)."""
    title = words.gettext("Edit notification") if selection.editing else words.gettext("New notification")
    return {"type": "modal", "callback_id": CALLBACK_ID, "title": _plain(title, TITLE_MAX),
            "close": _plain(words.gettext("Cancel"), TITLE_MAX), "private_metadata": encode_meta(selection),
            "blocks": [{"type": "section", "block_id": "subs_loading",
                        "text": {"type": "mrkdwn", "text": words.gettext("Reading Salesforce…")}}]}


# ------------------------------------------------------------------------------------------ reading it back
def _state(values: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    held = (values.get(block_id) or {}).get(block_id)
    return held if isinstance(held, Mapping) else {}


def split_values(text: str) -> list[str]:
    """Several values as a member types them: separated by semicolons (a comma is French's decimal mark)."""
    return [p.strip() for p in text.split(VALUES_SEPARATOR) if p.strip()]


def _typed(info: FieldInfo, text: str) -> Any:
    """``text`` as a value of ``info``'s kind; ValueError when it is not one."""
    kind = field_kind(info)
    if kind == "number":
        return float(re.sub(r"[\s\u202f\xa0]", "", text).replace(",", "."))  # 2 500,5 as French writes it
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "oui", "vrai", "1"):
            return True
        if lowered in ("false", "no", "non", "faux", "0"):
            return False
        raise ValueError(text)
    return text.strip()


def _condition(i: int, values: Mapping[str, Any], info: ObjectInfo, words: Messages,
               errors: dict[str, str]) -> ConditionChoice | None:
    field_id, op_id, value_id = (Block.condition(i, p) for p in ("field", "op", "value"))
    name = _selected(values, field_id)
    op = _selected(values, op_id)
    text = _state(values, value_id).get("value")
    text = text.strip() if isinstance(text, str) else ""
    if name is None and op is None and not text:
        if i == 0:
            errors[field_id] = words.gettext("Choose a field: these records are the ones matching the conditions.")
        return None
    found = info.fields.get(name or "")
    if found is None or found.data_type in UNUSABLE_TYPES:
        errors[field_id] = words.gettext("Choose one of the fields offered.")
        return None
    kind = field_kind(found)
    if op not in OPS_BY_KIND[kind]:
        errors[op_id] = words.gettext("This test does not apply to {field}.", field=found.label)
        return None
    if op in ("is_null", "is_not_null"):
        if text:
            errors[value_id] = words.gettext("This test takes no value.")
        return ConditionChoice(found.api_name, op)
    if not text:
        errors[value_id] = words.gettext("Give a value.")
        return None
    parts = split_values(text) if op in ("in", "not_in") else [text]
    try:
        typed = [_typed(found, p) for p in parts]
    except ValueError:
        errors[value_id] = (words.gettext("{field} is a number.", field=found.label) if kind == "number"
                            else words.gettext("{field} is yes or no.", field=found.label))
        return None
    return ConditionChoice(found.api_name, op, typed if op in ("in", "not_in") else typed[0])


def _options(template: str, values: Mapping[str, Any], ctx: FormContext, errors: dict[str, str]) -> dict[str, Any]:
    words = ctx.words
    out: dict[str, Any] = {}
    for name, kind, choices in OPTION_INPUTS.get(template, ()):
        block_id = Block.option(name)
        held = _state(values, block_id)
        if kind == "stages":
            picked = [o.get("value") for o in held.get("selected_options") or [] if isinstance(o, Mapping)]
            allowed = {value for value, _ in ctx.stages}
            if any(p not in allowed for p in picked):
                errors[block_id] = words.gettext("Choose among the stages offered.")
            out[name] = [p for p in picked if p in allowed]
        elif kind in ("field", "number_field", "date_field"):
            chosen = _selected(values, block_id)
            offered = {f.api_name for f in usable_fields(ctx.info, kind)}
            if chosen not in offered:
                errors[block_id] = words.gettext("Choose one of the fields offered.")
            else:
                out[name] = chosen
        elif kind == "choice":
            chosen = _selected(values, block_id) or choices[0]
            if chosen not in choices:
                errors[block_id] = words.gettext("Choose one of the options offered.")
            else:
                out[name] = chosen
        elif kind in ("number", "integer"):
            text = held.get("value")
            try:
                number = float(str(text)) if kind == "number" else int(str(text))
            except (TypeError, ValueError):
                errors[block_id] = words.gettext("Give a number.")
                continue
            if kind == "integer" and not 0 <= number <= 3650:
                errors[block_id] = words.gettext("Give a number of days from 0 to 3650.")
                continue
            out[name] = number
        else:
            text = held.get("value")
            parts = split_values(text) if isinstance(text, str) else []
            chosen_field = ctx.info.fields.get(str(out.get("field"))) if ctx.info is not None else None
            if parts and chosen_field is not None:  # values of the chosen field's kind (numbers, yes/no)
                try:
                    out[name] = [_typed(chosen_field, p) for p in parts]
                except ValueError:
                    errors[block_id] = words.gettext("Give values of {field}'s kind.", field=chosen_field.label)
            elif parts:
                out[name] = parts
    return out


def read_form(view: Mapping[str, Any], ctx: FormContext) -> tuple[Choice | None, dict[str, str]]:
    """What the member submitted as a :class:`Choice`, or the problems (block id → text in their language).

    Everything is checked against ``ctx`` (what the member may choose, read afresh for the submission): a
    template not allowed, an object the template cannot watch, a field they cannot read, a value of the wrong
    kind are each a problem on their own input."""
    words = ctx.words
    values: Mapping[str, Any] = ((view.get("state") or {}).get("values")) or {}
    sel = ctx.selection
    errors: dict[str, str] = {}
    if sel.org is None or sel.org not in {o.alias for o in ctx.orgs}:
        errors[Block.ORG if len(ctx.orgs) > 1 else Block.TEMPLATE] = words.gettext("Choose one of your orgs.")
        return None, errors
    if sel.template is None or sel.template not in ctx.templates:
        errors[Block.TEMPLATE] = words.gettext("Choose one of the notifications offered.")
        return None, errors
    if sel.object is None or sel.object not in {name for name, _ in ctx.objects} or ctx.info is None:
        errors[Block.OBJECT if len(ctx.objects) > 1 else Block.TEMPLATE] = words.gettext(
            "Choose one of the objects offered.")
        return None, errors
    options = _options(sel.template, values, ctx, errors)
    conditions: list[ConditionChoice] = []
    if sel.scope == "matching":
        for i in range(MAX_CONDITIONS):
            found = _condition(i, values, ctx.info, words, errors)
            if found is not None:
                conditions.append(found)
    hour = 9
    if sel.delivery == "digest":
        picked = _selected(values, Block.HOUR)
        if picked is None or not picked.isdigit() or not 0 <= int(picked) <= 23:
            errors[Block.HOUR] = words.gettext("Choose an hour.")
        else:
            hour = int(picked)
    if errors:
        return None, errors
    return Choice(org=sel.org, template=sel.template, object=sel.object, options=options, scope=sel.scope,
                  conditions=tuple(conditions), delivery=sel.delivery, hour=hour), {}


def with_selection(ctx: FormContext, selection: Selection) -> FormContext:
    return replace(ctx, selection=selection)
