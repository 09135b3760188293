"""The edit modal's submission (``view_submission`` of callback ``edit_record``): a save to Salesforce as the member.

Steps (Slack: "Handling submissions", ``response_action``; answered within 3 seconds):

1. The modal's reference (``private_metadata``) is checked (:func:`.form.decode_ref`): one the app did not sign,
   altered, or signed for another Slack user than the one submitting is refused — the modal says so and nothing is
   sent to Salesforce.
2. The values are read and checked in the modal (:func:`.values.read_submission`, against the fields' metadata read
   as the member through the metadata cache): a problem → ``response_action: errors`` under the exact field.
3. The submission is *claimed* (``edit_claims``: one row per view state, Slack's view id and hash; a primary key, so
   of two submissions of the same state — a double click, whichever app process takes each — one holds it, and its
   ack and its lazy listener agree by the holder's ``trigger_id``).  The ack answers ``response_action: update`` with
   a "Saving…" modal; a second submission of the same state gets the outcome's modal when it is known, else the
   same "Saving…" modal, and never saves.
4. In a Bolt lazy listener (after the ack): ``PATCH ui-api/records/{id}`` as the member with ``If-Unmodified-Since``
   the record's ``LastModifiedDate`` the modal showed (:meth:`saleshome.salesforce.ui_api.UiApi.update_record`),
   then ``views.update`` of that modal with the outcome:

   - saved: what changed, each field "before → after" as the member reads them (labels, picklist labels, record
     names, amounts with their currency, dates in their time zone), under the record's name as the modal showed
     it (or as the member renamed it): nothing is read between the PATCH and the outcome;
   - 412 (:class:`~saleshome.salesforce.ui_api.UiConflict`): who changed the record and when (their name, the date in
     the member's time zone), with "Reload" — the Edit button, which fills the modal again with the record as it is;
   - Salesforce's refusals (:class:`~saleshome.salesforce.ui_api.UiSaveRefused`): the form again with what the member
     entered, each error under its field (a validation rule's message as the org wrote it) and the record's errors
     as a notice; a deleted record (``ENTITY_IS_DELETED``) says so;
   - Salesforce unreachable, the member's session gone: said, with what to do.

   Each save tried is audited (:mod:`saleshome.settings.edit_audit`; the member's Salesforce name read as them
   beside the PATCH, kept in the metadata cache), and a save that succeeded is told to the
   refresher (:class:`RecordSaved`: the record read into the warehouse at once).  The second submission's lazy
   listener waits (bounded) for the outcome and shows it too, so its "Saving…" never stays.

Invariants: a submission is saved at most once per view state; nothing reaches Salesforce before the reference is
verified; a save is made with the member's own connection (their access), never the integration user's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.app.home.cache import MetadataCache
from saleshome.app.home.screen import Member, OrgView
from saleshome.errors import SalesHomeError
from saleshome.i18n import Formatter, Messages
from saleshome.salesforce.ui_api import (
    MemberSessionExpired,
    SalesforceUnavailable,
    UiAccessDenied,
    UiConflict,
    UiNotFound,
    UiSaveRefused,
)
from saleshome.salesforce.ui_api_types import (
    MASTER_RECORD_TYPE_ID,
    ObjectInfo,
    PicklistValues,
    Record,
    controller_of,
)
from saleshome.settings.edit_audit import EditOutcome, FieldChange, RecordEdit, record_edit
from saleshome.settings.store import load_org_settings
from saleshome.warehouse.control import ControlDB

from .form import (
    CALLBACK_ID,
    NONE_VALUE,
    NUMERIC,
    EditField,
    EditRef,
    EditRefused,
    Kind,
    Option,
    decode_ref,
    edit_view,
    kind_of,
    parse_datetime,
    result_view,
)
from .load import EditUiApi, load_form, picklist_options
from .values import read_submission

__all__ = ["CLAIM_KEEP", "SAVING_CALLBACK_ID", "RecordSaved", "SaveUiApi", "claim", "claim_key", "register", "start"]

log = logging.getLogger(__name__)
CLAIM_KEEP = timedelta(hours=24)  # claims older than this are pruned (a view state is not submitted a day later)
OUTCOME_WAIT = 30.0  # seconds a second submission's lazy listener waits for the first one's outcome
OUTCOME_POLL = 0.1
NAME_WAIT = 10.0  # seconds a save waits, after its PATCH, for the member's Salesforce name (then audited without it)
SAVING_CALLBACK_ID = "edit_record_saving"


class RecordSaved(Protocol):
    """Told of every record saved from Slack (``saleshome.app.refresh``: a targeted read into the warehouse).  Must
    not block: it is called in the lazy listener, before the member's modal is updated."""

    def record_saved(self, alias: str, obj: str, record_id: str) -> None: ...


class SaveUiApi(EditUiApi, Protocol):
    """The UI API calls a save makes as the member (:class:`saleshome.salesforce.ui_api.UiApi`'s): the form's reads
    (:class:`.load.EditUiApi`, to show it again after a refusal) and the save."""

    def update_record(self, record_id: str, fields: Mapping[str, Any], *,
                      if_unmodified_since: datetime | str | None = None, api_name: str | None = None) -> Record: ...


class SaveServices(Protocol):
    """What the save needs from the app (``saleshome.app.tab.TabServices`` implements it)."""

    def member(self, user_id: str) -> Member: ...

    def orgs(self, user_id: str) -> Sequence[OrgView]: ...

    def ui_api(self, user_id: str, alias: str) -> SaveUiApi: ...


class BoltApp(Protocol):
    def view(self, constraints: str) -> Callable[..., Any]: ...


# ------------------------------------------------------------------------------------------- the claim
def claim_key(view_id: str, view_hash: str) -> str:
    """The key of one view state: a submission of it is saved once."""
    return hashlib.sha256(f"{view_id}\n{view_hash}".encode()).hexdigest()


def claim(control: ControlDB, key: str, *, trigger_id: str, user_id: str, now: datetime | None = None) -> bool:
    """Claim view state ``key`` for the submission ``trigger_id``; True when that submission holds it (now, or since
    its ack or its lazy listener took it), False when another one does."""
    now = now or datetime.now(UTC)
    with control.transaction() as db:
        db.execute("DELETE FROM edit_claims WHERE claimed_at < ?", [now - CLAIM_KEEP])
        db.execute("INSERT INTO edit_claims (claim_key, trigger_id, slack_user_id, claimed_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (claim_key) DO NOTHING", [key, trigger_id, user_id, now])
        rows = db.rows("SELECT trigger_id FROM edit_claims WHERE claim_key = ?", [key])
    return bool(rows) and rows[0]["trigger_id"] == trigger_id


def start(control: ControlDB, key: str, *, trigger_id: str, now: datetime | None = None) -> bool:
    """True once: for the holder of ``key`` whose save has not begun (the same payload delivered again finds it
    begun)."""
    with control.transaction() as db:
        started = db.execute("UPDATE edit_claims SET started_at = ? WHERE claim_key = ? AND trigger_id = ? "
                             "AND started_at IS NULL", [now or datetime.now(UTC), key, trigger_id]).rowcount
    return started == 1


def _keep_outcome(control: ControlDB, key: str, view: Mapping[str, Any]) -> None:
    with control.transaction() as db:
        db.execute("UPDATE edit_claims SET outcome_view = ? WHERE claim_key = ?", [json.dumps(view), key])


def _outcome(control: ControlDB, key: str) -> dict[str, Any] | None:
    rows = control.rows("SELECT outcome_view FROM edit_claims WHERE claim_key = ?", [key])
    text = rows[0]["outcome_view"] if rows else None
    return json.loads(text) if isinstance(text, str) and text else None


# ------------------------------------------------------------------------------------------- reading the submission
@dataclass(frozen=True)
class Submission:
    """A verified submission: who, which modal state, the record it edits and what changed."""

    user_id: str
    user_name: str | None
    view_id: str
    view_hash: str
    trigger_id: str
    view: Mapping[str, Any]
    ref: EditRef
    member: Member
    org: OrgView | None
    fields: tuple[EditField, ...]
    values: dict[str, Any]

    @property
    def key(self) -> str:
        return claim_key(self.view_id, self.view_hash)


@dataclass(frozen=True)
class Answer:
    """What the ack says when the submission goes no further: a ``response_action`` body (None: close the modal)."""

    body: dict[str, Any] | None


def check_fields(api: SaveUiApi, cache: MetadataCache, user_id: str, ref: EditRef) -> tuple[EditField, ...]:
    """The fields the modal offered, as the checks need them: kinds, limits, picklist values for the record's record
    type (object info and picklist values from the metadata cache; the record is not read).  A dependent picklist
    whose controlling field is not in the modal is checked by Salesforce (its controlling value is not at hand)."""
    info: ObjectInfo = cache.get((user_id, ref.alias, "object-info", ref.object), lambda: api.object_info(ref.object))
    names = [n for n in ref.fields if n in info.fields and kind_of(info.fields[n].data_type) is not None]
    picklists: dict[str, PicklistValues] = {}
    if any(kind_of(info.fields[n].data_type) is Kind.PICKLIST for n in names):
        record_type = ref.record_type_id or MASTER_RECORD_TYPE_ID
        picklists = cache.get((user_id, ref.alias, "picklist-values", ref.object, record_type),
                              lambda: api.picklist_values(ref.object, record_type_id=record_type))
    fields = []
    for name in names:
        meta = info.fields[name]
        kind = kind_of(meta.data_type)
        assert kind is not None
        if kind is Kind.TEXT and meta.length > 255:
            kind = Kind.TEXTAREA
        controlling = controller_of(info, name)
        options = picklist_options(picklists.get(name)) if kind is Kind.PICKLIST else ()
        if controlling is not None and controlling not in names:
            controlling, options = None, tuple(Option(o.value, o.label) for o in options)
        fields.append(EditField(api_name=name, label=meta.label, kind=kind, required=meta.required,
                                length=meta.length, precision=meta.precision, scale=meta.scale, options=options,
                                controlling=controlling, reference_to=meta.reference_to))
    return tuple(fields)


def _words(locale: str) -> Messages:
    return Messages(locale, "app")


def _unverified(locale: str) -> dict[str, Any]:
    words = _words(locale)
    return {"response_action": "update", "view": result_view(locale, words.gettext(
        "Sales Home could not verify this form, so nothing was saved. Open the record again from Slack to edit it."))}


def read(body: Mapping[str, Any], services: SaveServices, cache: MetadataCache, key: bytes) -> Submission | Answer:
    """The submission ``body`` as a :class:`Submission` to save, or the :class:`Answer` that ends it (refused,
    problems on fields, nothing changed, Salesforce not answering)."""
    user = body.get("user") or {}
    user_id = str(user.get("id") or "")
    view = body.get("view") or {}
    try:
        ref = decode_ref(view.get("private_metadata"), key, user_id=user_id)
    except EditRefused as refused:
        log.warning("an edit submission by %s was refused: %s", user_id or "?", refused.message)
        return Answer(_unverified(_safe_member(services, user_id).locale))
    member = services.member(user_id)
    try:
        fields = check_fields(services.ui_api(user_id, ref.alias), cache, user_id, ref)
    except SalesHomeError as error:
        return Answer({"response_action": "update", "view": _problem_view(member.locale, error, ref)})
    values, problems = read_submission(view, fields, member.locale)
    if problems:
        return Answer({"response_action": "errors", "errors": problems})
    if not values:
        return Answer(None)  # nothing changed: the modal closes
    org = next((o for o in services.orgs(user_id) if o.alias == ref.alias), None)
    return Submission(user_id=user_id, user_name=user.get("name") or user.get("username"), view_id=str(view["id"]),
                      view_hash=str(view.get("hash") or ""), trigger_id=str(body.get("trigger_id") or ""), view=view,
                      ref=ref, member=member, org=org, fields=fields, values=values)


def _safe_member(services: SaveServices, user_id: str) -> Member:
    try:
        return services.member(user_id)
    except SalesHomeError:
        return Member(user_id=user_id, locale="en-US")


# ------------------------------------------------------------------------------------------- readable values
def _block_element(view: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    for block in view.get("blocks") or []:
        if isinstance(block, Mapping) and block.get("block_id") == block_id:
            element = block.get("element")
            return element if isinstance(element, Mapping) else {}
    return {}


def _option_text(option: Any) -> str | None:
    if not isinstance(option, Mapping) or option.get("value") in (None, "", NONE_VALUE):
        return None
    text = option.get("text")
    return str(text.get("text")) if isinstance(text, Mapping) else str(option.get("value"))


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None


def _shown(f: EditField, value: Any, formatter: Formatter, words: Messages, currency: str | None,
           option_text: str | None = None) -> str | None:
    """``value`` (as the UI API takes it, or an element's initial value) as the member reads it; None: empty."""
    if f.kind is Kind.CHECKBOX:
        return formatter.boolean(bool(value), words)
    if value is None or value == "":
        return None
    if f.kind is Kind.PICKLIST:
        return option_text or next((o.label for o in f.options if o.value == value), str(value))
    if f.kind is Kind.LOOKUP:
        return option_text or str(value)
    if f.kind in NUMERIC:
        number = _decimal(value)
        if number is None:
            return str(value)
        if f.kind is Kind.CURRENCY:
            return formatter.money(number, currency)
        return formatter.percent(number) if f.kind is Kind.PERCENT else formatter.number(number)
    if f.kind is Kind.DATE:
        try:
            return formatter.date(date.fromisoformat(str(value)[:10]))
        except ValueError:
            return str(value)
    if f.kind is Kind.DATETIME:
        moment = datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int | float) else parse_datetime(value)
        return formatter.datetime(moment) if moment is not None else str(value)
    return str(value)


def _before(f: EditField, view: Mapping[str, Any]) -> tuple[Any, str | None]:
    """The value the modal was pre-filled with for ``f`` (its block's ``initial_*``), and an option's text."""
    element = _block_element(view, f.api_name)
    if f.kind in (Kind.PICKLIST, Kind.LOOKUP):
        option = element.get("initial_option")
        text = _option_text(option)
        return (option.get("value") if text is not None and isinstance(option, Mapping) else None), text
    if f.kind is Kind.CHECKBOX:
        return bool(element.get("initial_options")), None
    for name in ("initial_date", "initial_date_time", "initial_value"):
        if name in element:
            return element[name], None
    return None, None


def _after_text(f: EditField, view: Mapping[str, Any]) -> str | None:
    """The text of the option the member chose for a picklist or lookup (from the submitted state)."""
    by_action = ((view.get("state") or {}).get("values") or {}).get(f.api_name) or {}
    entry = next(iter(by_action.values()), None) if isinstance(by_action, Mapping) else None
    return _option_text(entry.get("selected_option")) if isinstance(entry, Mapping) else None


def changes_of(sub: Submission) -> tuple[FieldChange, ...]:
    """Each changed field, before → after, as the member reads them."""
    formatter = Formatter.for_reader(sub.member.locale, sub.member.tz)
    words = _words(sub.member.locale)
    currency = sub.org.currency if sub.org is not None else None
    out = []
    for f in sub.fields:
        if f.api_name not in sub.values:
            continue
        before, before_text = _before(f, sub.view)
        out.append(FieldChange(
            field=f.api_name, label=f.label,
            before=_shown(f, before, formatter, words, currency, before_text),
            after=_shown(f, sub.values[f.api_name], formatter, words, currency, _after_text(f, sub.view))))
    return tuple(out)


# ------------------------------------------------------------------------------------------- outcomes
def saving_view(locale: str) -> dict[str, Any]:
    """The modal while Salesforce is asked (its own ``callback_id``: replaced by the outcome)."""
    words = _words(locale)
    view = result_view(locale, words.gettext("Saving your changes to Salesforce…"), title=words.gettext("Saving"))
    return {**view, "callback_id": SAVING_CALLBACK_ID}


def _change_lines(changes: Sequence[FieldChange], words: Messages) -> str:
    empty = words.gettext("(empty)")
    return "\n".join(f"• {c.label}: {c.before or empty} → {c.after or empty}" for c in changes)


def saved_view(sub: Submission, changes: Sequence[FieldChange], record_name: str | None) -> dict[str, Any]:
    words = _words(sub.member.locale)
    head = words.gettext("Saved to Salesforce: {record}", record=record_name or sub.ref.record_id)
    return result_view(sub.member.locale, head + "\n" + _change_lines(changes, words), title=words.gettext("Saved"))


def conflict_view(sub: Submission, conflict: UiConflict) -> dict[str, Any]:
    words = _words(sub.member.locale)
    formatter = Formatter.for_reader(sub.member.locale, sub.member.tz)
    last = conflict.last_change
    if last is not None and last.user_name and last.at is not None:
        text = words.gettext("{name} changed this record in Salesforce on {when}, after you opened it.",
                             name=last.user_name, when=formatter.datetime(last.at))
    else:
        text = words.gettext("This record was changed in Salesforce after you opened it.")
    text += " " + words.gettext("Your changes were not saved: reload the record to see it as it is now, then edit it "
                                "again.")
    return result_view(sub.member.locale, text, title=words.gettext("Not saved"),
                       reload=(sub.ref.alias, sub.ref.object, sub.ref.record_id))


def _problem_view(locale: str, error: SalesHomeError, ref: EditRef) -> dict[str, Any]:
    words = _words(locale)
    if isinstance(error, MemberSessionExpired):
        text = words.gettext("Your Salesforce session has expired. Reconnect from the Sales tab, then try again.")
    elif isinstance(error, SalesforceUnavailable):
        text = words.gettext("Salesforce did not answer. Your changes may not have been saved: reload the record to "
                             "check.")
    elif isinstance(error, UiNotFound | UiAccessDenied):
        text = words.gettext("This record no longer exists in Salesforce, or you can no longer see it.")
    else:
        text = words.gettext("Salesforce did not save your changes: {reason}", reason=error.message)
    return result_view(locale, text, title=words.gettext("Not saved"), reload=(ref.alias, ref.object, ref.record_id))


def _page_message(error: Any, words: Messages) -> str:
    if error.error_code == "INSUFFICIENT_ACCESS_OR_READONLY":
        return words.gettext("Your Salesforce access does not allow you to edit this record.")
    return str(error.message)


def refused_view(sub: Submission, refused: UiSaveRefused, api: SaveUiApi, *, key: bytes,
                 control: ControlDB) -> dict[str, Any]:
    """The form again with what the member entered, Salesforce's errors under their fields, the record's on top (the
    record read again as the member: their other fields as they now are)."""
    words = _words(sub.member.locale)
    if any(e.error_code == "ENTITY_IS_DELETED" for e in refused.page_errors):
        return result_view(sub.member.locale, words.gettext(
            "This record was deleted in Salesforce: your changes were not saved."), title=words.gettext("Not saved"))
    errors = {name: " ".join(messages) for name, messages in refused.field_messages().items()}
    notice = words.gettext("Salesforce did not save your changes.")
    if refused.page_errors:
        notice += " " + " ".join(_page_message(e, words) for e in refused.page_errors)
    try:
        settings = sub.org.settings if sub.org is not None else load_org_settings(control, sub.ref.alias)
        form = load_form(api, alias=sub.ref.alias, obj=sub.ref.object, record_id=sub.ref.record_id,
                         user_id=sub.user_id, settings=settings)
    except SalesHomeError as error:
        log.info("the edit form of %s could not be read again: %s", sub.ref.record_id, error.message)
        lines = [notice, *(f"• {f.label}: {errors[f.api_name]}" for f in sub.fields if f.api_name in errors)]
        return result_view(sub.member.locale, "\n".join(lines), title=words.gettext("Not saved"),
                           reload=(sub.ref.alias, sub.ref.object, sub.ref.record_id))
    entered = []
    for f in form.fields:
        if f.api_name in sub.values:
            display = _after_text(f, sub.view) if f.kind is Kind.LOOKUP else f.display
            f = dataclasses.replace(f, current=sub.values[f.api_name], display=display)
        entered.append(f)
    return edit_view(form.ref, entered, sub.member.locale, sub.member.tz, key=key, object_label=form.object_label,
                     record_name=form.record_name, errors=errors, notice=notice)


def _record_name(info: ObjectInfo, sub: Submission) -> str | None:
    """The record's name after the save: a name field the member changed, else the name the modal showed (read as
    the member when it opened)."""
    for name in info.name_fields:
        value = sub.values.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return _shown_record_name(sub.view)


def _member_name(api: SaveUiApi, cache: MetadataCache, sub: Submission, sf_user_id: str | None) -> str | None:
    """The member's Salesforce name (their User record, read as them): who Salesforce now says changed the record.
    Kept in the metadata cache with the member's object infos, so a save does not wait for it every time."""
    if not sf_user_id:
        return None
    return cache.get((sub.user_id, sub.ref.alias, "user-name", sf_user_id),
                     lambda: api.record(sf_user_id, optional_fields=["User.Name"]).text("Name"))


# ------------------------------------------------------------------------------------------- the listeners
@dataclass
class Saver:
    """The submission's listeners and what they use (one per app process; see the module docstring)."""

    services: SaveServices
    control: ControlDB
    key: bytes  # the key the modal's reference is signed with (:func:`.form.derive_key`)
    sf_user_of: Callable[[str, str], str | None]  # (Slack user, alias) → their Salesforce user id
    cache: MetadataCache = dataclasses.field(default_factory=MetadataCache)
    saved: RecordSaved | None = None  # told of each record saved (the refresher); None: nobody
    outcome_wait: float = OUTCOME_WAIT
    readers: Executor = dataclasses.field(default_factory=lambda: ThreadPoolExecutor(4, "edit-save"))  # names

    def ack(self, ack: Callable[..., None], body: dict[str, Any]) -> None:
        """Within Slack's 3 seconds: refused, problems on fields, nothing changed, or "Saving…" (claimed once)."""
        found = read(body, self.services, self.cache, self.key)
        if isinstance(found, Answer):
            ack(**(found.body or {}))
            return
        if not claim(self.control, found.key, trigger_id=found.trigger_id, user_id=found.user_id):
            log.info("the edit modal %s of %s was submitted again: saved once", found.view_id, found.user_id)
        ack(response_action="update", view=_outcome(self.control, found.key) or saving_view(found.member.locale))

    def work(self, body: dict[str, Any], client: WebClient) -> None:
        """After the ack (a lazy listener): the save and its outcome, or the first submission's outcome."""
        found = read(body, self.services, self.cache, self.key)
        if isinstance(found, Answer):
            return
        if not (claim(self.control, found.key, trigger_id=found.trigger_id, user_id=found.user_id)
                and start(self.control, found.key, trigger_id=found.trigger_id)):
            self._show_first_outcome(found, client)
            return
        try:
            outcome = self.save(found)
        except Exception:  # the member must not be left with "Saving…": say it failed, with a way back
            log.exception("the save of %s %s failed", found.ref.object, found.ref.record_id)
            outcome = _problem_view(found.member.locale, SalesHomeError("an unexpected error"), found.ref)
        _keep_outcome(self.control, found.key, outcome)
        try:
            client.views_update(view_id=found.view_id, view=outcome)
        except SlackApiError as error:
            log.info("the edit modal %s was not updated (%s): the member closed it", found.view_id,
                     error.response.get("error"))

    def _show_first_outcome(self, sub: Submission, client: WebClient) -> None:
        deadline = time.monotonic() + self.outcome_wait
        while (outcome := _outcome(self.control, sub.key)) is None:
            if time.monotonic() > deadline:
                return
            time.sleep(OUTCOME_POLL)
        try:
            client.views_update(view_id=sub.view_id, view=outcome)
        except SlackApiError as error:
            log.info("the edit modal %s was not updated (%s)", sub.view_id, error.response.get("error"))

    def save(self, sub: Submission) -> dict[str, Any]:
        """PATCH as the member; the outcome's modal; the audit row; the refresher told of a save."""
        changes = changes_of(sub)
        ref = sub.ref
        try:
            api: SaveUiApi = self.services.ui_api(sub.user_id, ref.alias)
            member_name: Future[str | None] = self.readers.submit(  # beside the PATCH (a cached name: at once)
                _member_name, api, self.cache, sub, self.sf_user_of(sub.user_id, ref.alias))
            api.update_record(ref.record_id, sub.values, if_unmodified_since=ref.last_modified or None,
                              api_name=ref.object)
        except UiConflict as conflict:
            last = conflict.last_change
            when = last.at.isoformat() if last is not None and last.at is not None else "?"
            self._audit(sub, changes, EditOutcome.CONFLICT, None,
                        f"changed since by {(last.user_name or last.user_id) if last else '?'} at {when}")
            return conflict_view(sub, conflict)
        except UiSaveRefused as refused:
            detail = "; ".join(f"{e.error_code} {e.field or ''}: {e.message}".replace(" :", ":")
                               for errors in refused.field_errors.values() for e in errors)
            detail = "; ".join(filter(None, [detail, *(f"{e.error_code}: {e.message}" for e in refused.page_errors)]))
            self._audit(sub, changes, EditOutcome.REFUSED, None, detail)
            return refused_view(sub, refused, api, key=self.key, control=self.control)
        except SalesHomeError as error:
            self._audit(sub, changes, EditOutcome.FAILED, None, f"{type(error).__name__}: {error.message}")
            return _problem_view(sub.member.locale, error, ref)
        if self.saved is not None:
            try:
                self.saved.record_saved(ref.alias, ref.object, ref.record_id)
            except Exception as exc:  # the save stands; the scheduled sync brings the change to the warehouse
                log.warning("the refresher was not told of %s %s: %s", ref.object, ref.record_id,
                            getattr(exc, "message", type(exc).__name__))
        record_name, sf_user_name = _shown_record_name(sub.view), None
        try:  # no read of the record on the way to the outcome: its name is known, the member's read beside the save
            info: ObjectInfo = self.cache.get((sub.user_id, ref.alias, "object-info", ref.object),
                                              lambda: api.object_info(ref.object))
            record_name = _record_name(info, sub)
            sf_user_name = member_name.result(timeout=NAME_WAIT)
        except (SalesHomeError, TimeoutError) as error:
            log.info("the names of %s's save of %s could not be read: %s", sub.user_id, ref.record_id,
                     getattr(error, "message", type(error).__name__))
        self._audit(sub, changes, EditOutcome.SAVED, record_name, None, sf_user_name=sf_user_name)
        return saved_view(sub, changes, record_name)

    def _audit(self, sub: Submission, changes: tuple[FieldChange, ...], outcome: EditOutcome,
               record_name: str | None, detail: str | None, *, sf_user_name: str | None = None) -> None:
        record_edit(self.control, RecordEdit(
            alias=sub.ref.alias, object=sub.ref.object, record_id=sub.ref.record_id,
            record_name=record_name or _shown_record_name(sub.view), slack_user_id=sub.user_id,
            slack_user_name=sub.user_name, sf_user_id=self.sf_user_of(sub.user_id, sub.ref.alias) or "?",
            sf_user_name=sf_user_name, changes=changes, outcome=outcome, detail=detail))


def _shown_record_name(view: Mapping[str, Any]) -> str | None:
    """The record's name as the modal showed it (its first context line, before " · ")."""
    for block in view.get("blocks") or []:
        if isinstance(block, Mapping) and block.get("block_id") == "edit_record_name":
            elements = block.get("elements") or [{}]
            text = str(elements[0].get("text") or "") if isinstance(elements[0], Mapping) else ""
            return text.split(" · ")[0].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") or None
    return None


def register(app: BoltApp, saver: Saver) -> None:
    """Listen to the edit modal's submissions on ``app``: ``saver.ack`` at once, ``saver.work`` after."""
    app.view(CALLBACK_ID)(ack=saver.ack, lazy=[saver.work])
