"""Bolt handlers of a member's notifications: ack at once, then the settings API and Salesforce as the member.

Who acts is always Slack's signed request's ``body.user.id`` (Bolt verified the signature first); nothing in a
view's ``private_metadata`` or a button's value names a member.  A button's value names a subscription
(``alias:id``): the settings API refuses one that is not the acting member's (``NotYourSubscription``), and
the member is told so on their screen, nothing changed.

- ``sales_home_my_notifications`` (the Sales tab's button), Pause/Resume, Delete (after Slack's confirmation
  dialog), "Back to Sales": acknowledged, then (a lazy listener) the change and the screen published again;
- "New notification" and Edit: acknowledged, then the modal opened with the trigger (a loading view, at once),
  what the member may choose read as them (:func:`load_context`), the modal updated (``views.update`` with the
  view's hash);
- the modal's choices that change its shape (org, template, object, scope, delivery; ``dispatch_action``):
  the modal rebuilt likewise, Slack keeping what was typed in inputs whose ids remain;
- the submission: checked in the ack itself, so problems come back as ``response_action: errors`` on their
  input (Slack waits 3 seconds): the member's choices against what they may choose
  (:func:`.form.read_form`), then the settings API (``subscribe``/``update_subscription``, with the member's
  own describe: ``UiSchema``), whose problems are mapped to their inputs; saved → the modal closes and the
  list is published again.  Nothing is written unless everything passed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.errors import PermissionDeniedError, RetriableError, SalesHomeError, ValidationError
from saleshome.i18n import Formatter, Messages
from saleshome.salesforce.ui_api import MemberSessionExpired, UiAccessDenied, UiNotFound, UiRequestRefused
from saleshome.salesforce.ui_api_types import ObjectInfo, PicklistValues
from saleshome.settings.member_schema import UiSchema
from saleshome.settings.notifications.catalog import TEMPLATES, Condition
from saleshome.settings.subscriptions import (
    NotYourSubscription,
    Subscription,
    SubscriptionDraft,
    SubscriptionProblems,
    delete_subscription,
    member_templates,
    set_paused,
    subscribe,
    subscriptions_of,
    update_subscription,
)
from saleshome.warehouse.control import ControlDB

from ..home.state import Nav, decode, encode
from .form import (
    CALLBACK_ID,
    OPTION_INPUTS,
    Block,
    Choice,
    ConditionChoice,
    FormContext,
    OrgOption,
    Selection,
    form_view,
    loading_view,
    read_form,
    selection_of,
)
from .listing import Listed, ListedCondition, SubsAction, back_of, listing_view, notice_text
from .words import CHOICE_LABELS, option_label

__all__ = ["SubsServices", "load_context", "register"]

log = logging.getLogger(__name__)
GONE = (UiNotFound, UiAccessDenied, UiRequestRefused)
DISPATCHING = (Block.ORG, Block.TEMPLATE, Block.OBJECT, Block.SCOPE, Block.DELIVERY)


class SubsApi(Protocol):
    """The UI API calls made here as the member (:class:`saleshome.salesforce.ui_api.UiApi`)."""

    def object_info(self, obj: str) -> ObjectInfo: ...

    def field_picklist_values(self, obj: str, field_name: str) -> PicklistValues: ...


class SubsServices(Protocol):
    """What the handlers need from the app (:class:`.app_services.AppSubsServices` implements it)."""

    @property
    def control(self) -> ControlDB:
        """The control store's one handle (the settings API's)."""
        ...

    def locale(self, user_id: str) -> tuple[str, str | None]:
        """The member's locale and time zone."""
        ...

    def orgs(self, user_id: str) -> Sequence[OrgOption]:
        """The orgs the member holds the permission set in and is connected to."""
        ...

    def objects(self, alias: str) -> Sequence[str]:
        """The objects the sales admins show in the Sales tab of ``alias``."""
        ...

    def ui_api(self, user_id: str, alias: str) -> SubsApi:
        """The member's UI API on ``alias``, metadata kept a minute (MemberSessionExpired: reconnect)."""
        ...

    def schema(self, user_id: str, alias: str) -> UiSchema:
        """The org's describe as the member sees it (their own UI API session)."""
        ...

    def publish_sales_tab(self, user_id: str, back: str | None) -> None:
        """The Sales tab again, where the member was (``back``: its ``private_metadata``)."""
        ...


class BoltApp(Protocol):
    def action(self, constraints: Any) -> Callable[..., Any]: ...

    def view(self, constraints: Any) -> Callable[..., Any]: ...


# ------------------------------------------------------------------------------------------ reading
def _problem(error: SalesHomeError, words: Messages) -> str | None:
    if isinstance(error, MemberSessionExpired):
        return words.gettext("Your Salesforce session has expired. Reconnect to see your lists again.")
    if isinstance(error, RetriableError):
        return words.gettext("Salesforce is not answering right now. Try again in a moment.")
    return None


def _objects_for(services: SubsServices, api: SubsApi, alias: str, template: str) -> list[tuple[str, str]]:
    """(API name, label) of the objects ``template`` may watch that the member can read."""
    default = TEMPLATES[template].default_object
    names = [default] if default else list(services.objects(alias))
    out = []
    for name in names:
        try:
            out.append((name, api.object_info(name).label))
        except GONE:
            continue
    return out


def load_context(services: SubsServices, user_id: str, selection: Selection,
                 initial: Choice | None = None) -> FormContext:
    """What the member may choose for ``selection``, read from the settings API and as the member (object
    infos and the stages through their own UI API session: fields they cannot read are not there)."""
    locale, tz = services.locale(user_id)
    words = Messages(locale, "app")
    orgs = list(services.orgs(user_id))
    ctx = FormContext(words, tz, orgs, selection, initial=initial)
    if not orgs:
        return FormContext(words, tz, orgs, Selection(editing=selection.editing), problem=words.gettext(
            "Connect Salesforce first: your notifications are about the records you can see there."))
    org = selection.org if selection.org in {o.alias for o in orgs} else orgs[0].alias
    templates = [t.name for t in member_templates(services.control, org)]
    template = selection.template if selection.template in templates else None
    sel = Selection(org, template, None, selection.scope, selection.delivery, selection.editing)
    ctx = FormContext(words, tz, orgs, sel, templates, initial=initial)
    if template is None:
        return ctx
    try:
        api = services.ui_api(user_id, org)
        objects = _objects_for(services, api, org, template)
        names = [name for name, _ in objects]
        obj = selection.object if selection.object in names else (names[0] if len(names) == 1 else None)
        sel = Selection(org, template, obj, selection.scope, selection.delivery, selection.editing)
        info = api.object_info(obj) if obj else None
        stages: list[tuple[str, str]] = []
        if info is not None and any(kind == "stages" for _, kind, _ in OPTION_INPUTS.get(template, ())) \
                and "StageName" in info.fields:
            values = api.field_picklist_values(info.api_name, "StageName")
            stages = [(v.value, v.label) for v in values.values]
    except SalesHomeError as error:
        if (text := _problem(error, words)) is None:
            raise
        return FormContext(words, tz, orgs, sel, templates, problem=text, initial=initial)
    return FormContext(words, tz, orgs, sel, templates, objects, info, stages, initial)


def _choice_of(sub: Subscription) -> Choice:
    return Choice(org=sub.alias, template=sub.template, object=sub.object, options=dict(sub.options),
                  scope=sub.scope, conditions=tuple(ConditionChoice(c.field, c.op, c.value) for c in sub.conditions),
                  delivery=sub.delivery, hour=sub.digest_hour)


def _own(services: SubsServices, user_id: str, value: str) -> Subscription | None:
    """The acting member's subscription named by a button's ``alias:id``, None when it is not theirs."""
    alias, _, sid = value.partition(":")
    if not alias or not sid:
        return None
    try:
        return next((s for s in subscriptions_of(services.control, alias, user_id) if s.id == sid), None)
    except ValidationError:
        return None


# ------------------------------------------------------------------------------------------ the list
def _text(value: Any, formatter: Formatter, words: Messages) -> str:
    if isinstance(value, bool):
        return formatter.boolean(value, words)
    if isinstance(value, int | float):
        return formatter.number(value)
    if isinstance(value, list):
        return ", ".join(_text(v, formatter, words) for v in value)
    return "" if value is None else str(value)


def _options_text(sub: Subscription, labels: Mapping[str, str], words: Messages, formatter: Formatter) -> str:
    parts = []
    for name, kind, _ in OPTION_INPUTS.get(sub.template, ()):
        value = sub.options.get(name)
        if value in (None, [], ""):
            continue
        if kind == "choice":
            if value == "any":
                continue
            shown = CHOICE_LABELS[value](words) if value in CHOICE_LABELS else str(value)
        elif kind.endswith("field"):
            shown = labels.get(str(value), str(value))
        else:
            shown = _text(value, formatter, words)
        parts.append(f"{option_label(name, words)}: {shown}")
    return " · ".join(parts)


def listed(services: SubsServices, user_id: str) -> tuple[list[Listed], bool]:
    """The acting member's subscriptions in every org they are connected to, as they read them."""
    locale, tz = services.locale(user_id)
    words = Messages(locale, "app")
    formatter = Formatter.for_reader(locale, tz)
    orgs = list(services.orgs(user_id))
    out: list[Listed] = []
    for org in orgs:
        subs = subscriptions_of(services.control, org.alias, user_id)
        infos: dict[str, ObjectInfo | None] = {}
        for sub in subs:
            if sub.object not in infos:
                try:
                    infos[sub.object] = services.ui_api(user_id, org.alias).object_info(sub.object)
                except SalesHomeError:  # labels as saved instead
                    infos[sub.object] = None
            info = infos[sub.object]
            labels = {**sub.resolved.labels, **({n: f.label for n, f in info.fields.items()} if info else {})}
            conditions = [ListedCondition(labels.get(c.field, c.field), c.op, _text(c.value, formatter, words))
                          for c in sub.conditions]
            out.append(Listed(id=f"{org.alias}:{sub.id}", org=org.label, template=sub.template,
                              object=info.label if info else sub.object, scope=sub.scope, conditions=conditions,
                              delivery=sub.delivery, hour=sub.digest_hour, paused=sub.paused,
                              options=_options_text(sub, labels, words, formatter)))
    return out, len(orgs) > 1


def publish_listing(client: WebClient, services: SubsServices, user_id: str, back: str | None,
                    notice: str | None = None) -> None:
    locale, _ = services.locale(user_id)
    words = Messages(locale, "app")
    items, several = listed(services, user_id)
    client.views_publish(user_id=user_id, view=listing_view(
        items, words, back=back, notice=notice_text(notice, words) if notice else None, several_orgs=several))


# ------------------------------------------------------------------------------------------ the draft
def _draft(choice: Choice) -> SubscriptionDraft:
    return SubscriptionDraft.model_validate({  # the template and operators are checked by the settings API
        "template": choice.template, "object": choice.object, "options": dict(choice.options), "scope": choice.scope,
        "conditions": [Condition.model_validate({"field": c.field, "op": c.op, "value": c.value})
                       for c in choice.conditions],
        "delivery": choice.delivery, "digest_hour": choice.hour})


_PATH = re.compile(r"^subscription\.(?P<path>[^:]*):\s*(?P<message>.*)$", re.S)
_COND = re.compile(r"^conditions\[(\d+)\](?:\.(field|op|value))?")


def problems_to_blocks(problems: Sequence[str], inputs: set[str]) -> dict[str, str]:
    """The settings API's ``subscription.<path>: message`` lines on the modal's input each concerns (the
    template's input for what has none)."""
    out: dict[str, str] = {}
    for line in problems:
        found = _PATH.match(line)
        path, message = (found["path"], found["message"]) if found else ("", line)
        block = Block.TEMPLATE
        if path.startswith("options."):
            block = Block.option(path.split(".")[1].split("[")[0])
        elif (cond := _COND.match(path)) is not None:
            block = Block.condition(int(cond[1]), cond[2] or "field")  # type: ignore[arg-type]
        elif path.startswith("conditions"):
            block = Block.condition(0, "field")
        elif path.startswith("object"):
            block = Block.OBJECT
        elif path.startswith("scope"):
            block = Block.SCOPE
        elif path.startswith(("delivery", "digest_hour")):
            block = Block.HOUR if Block.HOUR in inputs else Block.DELIVERY
        if block not in inputs:
            block = Block.TEMPLATE if Block.TEMPLATE in inputs else min(inputs)
        out[block] = (out[block] + " " + message) if block in out else message
    return {k: v[:2000] for k, v in out.items()}


def _inputs(view: Mapping[str, Any]) -> set[str]:
    return {str(b.get("block_id")) for b in view.get("blocks") or [] if b.get("type") == "input"}


def save(services: SubsServices, user_id: str, view: Mapping[str, Any]) -> dict[str, str]:
    """Check and save the submitted modal as ``user_id``'s subscription; the problems per input ({}: saved)."""
    selection = selection_of(view)
    ctx = load_context(services, user_id, selection)
    words = ctx.words
    inputs = _inputs(view) or {Block.TEMPLATE}
    general = Block.TEMPLATE if Block.TEMPLATE in inputs else min(inputs)  # where a problem of no input goes
    if ctx.problem:
        return {general: ctx.problem}
    if selection.org is not None and selection.org != ctx.selection.org:  # not one of the member's orgs
        return {Block.ORG if Block.ORG in inputs else general: words.gettext("Choose one of your orgs.")}
    if selection.template is not None and ctx.selection.template is None:  # not allowed for members (any more)
        return {general: words.gettext("Choose one of the notifications offered.")}
    choice, errors = read_form(view, ctx)
    if choice is None:
        shown = {k: v for k, v in errors.items() if k in inputs}
        return shown or {general: next(iter(errors.values()), words.gettext("Choose one of the notifications offered."))}
    try:
        schema = services.schema(user_id, choice.org)
        if selection.editing:
            update_subscription(services.control, schema, choice.org, user_id, selection.editing, _draft(choice))
        else:
            subscribe(services.control, schema, choice.org, user_id, _draft(choice))
    except SubscriptionProblems as problems:
        return problems_to_blocks(problems.problems, inputs)
    except NotYourSubscription:
        return {general: notice_text("not_yours", words)}
    except (PermissionDeniedError, ValidationError) as refused:
        return {general: refused.message[:2000]}
    except SalesHomeError as error:
        if (text := _problem(error, words)) is None:
            raise
        return {general: text}
    return {}


# ------------------------------------------------------------------------------------------ Bolt
def _ack(ack: Callable[..., None]) -> None:
    ack()


def register(app: BoltApp, services: SubsServices) -> None:
    """Listen to the screen's buttons, the modal's choices and its submission on ``app``."""

    def user_of(body: Mapping[str, Any]) -> str:
        return str(body["user"]["id"])  # Slack's signed request: the one who acted

    def value_of(body: Mapping[str, Any]) -> str:
        return str(((body.get("actions") or [{}])[0]).get("value") or "")

    def back_in(body: Mapping[str, Any]) -> str | None:
        return back_of((body.get("view") or {}).get("private_metadata"))

    def open_listing(body: dict[str, Any], client: WebClient) -> None:
        nav = decode((body.get("view") or {}).get("private_metadata"))  # where the member was in the Sales tab
        back = encode(Nav(org=nav.org, object=nav.object, list=nav.list, record=nav.record))
        publish_listing(client, services, user_of(body), back)

    def back(body: dict[str, Any]) -> None:
        services.publish_sales_tab(user_of(body), back_in(body))

    def change(body: dict[str, Any], client: WebClient) -> None:
        user = user_of(body)
        action = str(((body.get("actions") or [{}])[0]).get("action_id"))
        own = _own(services, user, value_of(body))
        notice = None
        if own is None:
            notice = "not_yours"
        else:
            try:
                if action == SubsAction.DELETE:
                    delete_subscription(services.control, own.alias, user, own.id)
                else:
                    set_paused(services.control, own.alias, user, own.id, action == SubsAction.PAUSE)
            except (NotYourSubscription, ValidationError):
                notice = "not_yours"
        publish_listing(client, services, user, _back_meta(body), notice)

    def open_form(body: dict[str, Any], client: WebClient) -> None:
        user = user_of(body)
        action = str(((body.get("actions") or [{}])[0]).get("action_id"))
        initial: Choice | None = None
        selection = Selection()
        if action == SubsAction.EDIT:
            own = _own(services, user, value_of(body))
            if own is None:
                publish_listing(client, services, user, _back_meta(body), "not_yours")
                return
            initial = _choice_of(own)
            selection = Selection(own.alias, own.template, own.object, own.scope, own.delivery, own.id)
        locale, _ = services.locale(user)
        opened = client.views_open(trigger_id=body["trigger_id"], view=loading_view(Messages(locale, "app"),
                                                                                     selection))
        shown = opened["view"]
        ctx = load_context(services, user, selection, initial)
        _update(client, shown["id"], shown["hash"], form_view(ctx))

    def rebuild(body: dict[str, Any], client: WebClient) -> None:
        view = body.get("view") or {}
        ctx = load_context(services, user_of(body), selection_of(view))
        _update(client, str(view.get("id")), view.get("hash"), form_view(ctx))

    def submit(ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        # not a lazy listener: Bolt starts those beside this one, and the list must be read once saved
        errors = save(services, user_of(body), view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()  # Slack has its answer (the modal closes); the list is published after
        publish_listing(client, services, user_of(body), None)

    app.action(SubsAction.OPEN.value)(ack=_ack, lazy=[open_listing])
    app.action(SubsAction.BACK.value)(ack=_ack, lazy=[back])
    for action in (SubsAction.PAUSE, SubsAction.RESUME, SubsAction.DELETE):
        app.action(action.value)(ack=_ack, lazy=[change])
    for action in (SubsAction.NEW, SubsAction.EDIT):
        app.action(action.value)(ack=_ack, lazy=[open_form])
    for block in DISPATCHING:
        app.action({"block_id": block, "action_id": block})(ack=_ack, lazy=[rebuild])
    app.view(CALLBACK_ID)(submit)


def _back_meta(body: Mapping[str, Any]) -> str | None:
    """The Sales tab's place the listing keeps (handed on to the listing published next)."""
    return back_of((body.get("view") or {}).get("private_metadata"))


def _update(client: WebClient, view_id: str, view_hash: str | None, view: dict[str, Any]) -> None:
    """``views.update`` with the hash of the view the member acted in: a newer one is never overwritten."""
    try:
        client.views_update(view_id=view_id, view=view, **({"hash": view_hash} if view_hash else {}))
    except SlackApiError as error:
        if error.response.get("error") not in ("hash_conflict", "not_found"):
            raise
        log.info("a notification form changed or closed meanwhile: the newer one is kept")
