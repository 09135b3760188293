"""A record edited from Slack (issue 20 §3): the edit modal submitted → Salesforce updated → the modal updated with
the outcome, against the raw UI API save (``PATCH ui-api/records/{id}``) as the same members in the same run; and,
for the same edits (each one moves a deal's stage), the stage-change notification in Slack.

Set-up (not timed), as :mod:`bench.app_home`'s: the Salesforce sandbox org of ``size`` opportunities from the
cached copy, in its own process; the Slack sandbox in this process; a Sales Home home (the org connected, users
synced and mapped, the plan, a sales admin); the real app (``saleshome app serve --port 0``); ``--members`` (10)
Sales Home members of as many roles, connected through the sandbox's login and consent pages.  Besides:

- the sales admin's Slack layout of Opportunity lets members edit ``StageName`` and ``Amount``;
- ``Account`` and ``Opportunity`` synced into the org's warehouse (the initial load: silent) — a record saved from
  Slack is refreshed into it by the app's refresher (a targeted read, the evaluation, the publisher);
- one admin notification: ``stage_changed`` (any direction) to ``#sales``.

Measured: ``--edits`` (200) edits, the members in turn, each of an open deal the member may edit (their own first;
a different deal each time), one edit starting every ``--interval`` seconds (1.0) at most.  The pace: every edit
moves a stage, so every edit posts a notification in ``#sales``, and Slack takes about one post per second in a
channel (the app's publisher keeps that pace, ``slack_posts_per_second``, as an operator runs it); edits coming
faster than that would measure the queue in front of Slack's limit, not the app.  For each, not timed: a message with the deal's Edit button, the member clicks it, the app opens the
form.  Timed: the member submits a new stage (an open stage the form offers, not the current one) and a new amount
through the Slack sandbox's client (``view_submission``, the app's ack, its ``response_action``), from just before
the submission to the ``updated_at`` of the app's ``views.update`` of that modal with the saved outcome (the Slack
sandbox's log of ``views.update``; both read on this process's wall clock).  Then, as the same member with the
project's client (:meth:`saleshome.salesforce.ui_api.UiApi.update_record`, the call the app makes), the same two
fields saved on another open deal of theirs with ``If-Unmodified-Since`` its ``LastModifiedDate`` (read before,
not timed), timed from the call to its parsed answer: the Salesforce sandbox's own save latency.

Each edit's notification: from the same submission to the ``posted_at`` of the ``chat.postMessage`` about that
deal (its metadata names the record) in the Slack sandbox's message log, waited for after the edits (bounded).

Lines: p50 and p95 of the edits against p50 and p95 of the raw saves (ratio: target <= 2), the p95 against its
1.5 s target; p50 and p95 of submission → notification, the p95 against its 15 s target; each target's outcome
as a ``pass`` line (1 met, 0 missed); as counts the edits, the edits read back from Salesforce with the submitted
stage and amount, the edits notified exactly once, the notifications beyond one per edit, the members and roles.

``BENCH_APP_HOME_LOG=/path/app.log`` keeps the app's log (its stderr) there after the run.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._sync_common import ALIAS, Sandbox, log, sandbox_process
from bench.app_home import (
    OAUTH_CALLBACK,
    SEED,
    Member,
    app_environment,
    app_process,
    choose_members,
    connect,
    environment,
    fresh_state_dir,
    member_token,
    percentile,
    prepare_home,
    sales_admin_of,
    wait_for,
)

if TYPE_CHECKING:
    from saleshome.config import Settings
    from saleshome.salesforce.ui_api import UiApi
    from saleshome.salesforce.ui_api_types import Record
    from saleshome.sandbox.slack.server import SlackSandbox
    from saleshome.sandbox.slack.view_store import Updated

DEFAULT_SIZE = 1_000_000
MEMBERS = 10
EDITS = 200
P95_TARGET_SECONDS = 1.5
RATIO_TARGET = 2.0
NOTIFY_P95_TARGET_SECONDS = 15.0
INTERVAL_SECONDS = 1.0  # between the starts of two edits: Slack's pace of posts in one channel (module docstring)
NOTIFY_WAIT_SECONDS = 120.0  # after the last edit, for the notifications still on their way
OBJECT = "Opportunity"
LAYOUT = ["Name", "StageName", "Amount", "CloseDate"]
EDITABLE = ["StageName", "Amount"]
NOTIFICATION = "bench-stage-moves"
SETUP_TIMEOUT = 600.0  # the bench's own client: the sandbox answers UserRecordAccess record by record (slow at 1M)
ACCESS_BATCH = 25
CHANNEL = "#sales"
RESULT_CALLBACK, SAVING_CALLBACK = "edit_record_result", "edit_record_saving"


# ---------------------------------------------------------------------------------------- set-up
def prepare_edits(settings: Settings, admin: str) -> None:
    """The layout members edit, the deals in the warehouse, the stage-change notification (run inside
    :func:`bench.app_home.environment`)."""
    from saleshome.settings.changes import set_layout
    from saleshome.settings.context import SettingsContext
    from saleshome.settings.notifications.catalog import NotificationSpec
    from saleshome.settings.notifications.store import create_notification
    from saleshome.sync.engine import sync_org
    from saleshome.warehouse.control import control_db

    control = control_db(settings)
    ctx = SettingsContext(control, settings)
    set_layout(ctx, admin, ALIAS, OBJECT, LAYOUT, EDITABLE)
    began = time.perf_counter()
    result = sync_org(control, settings, ALIAS, objects=["Account", OBJECT])
    if result.status != "completed":
        raise RuntimeError(f"the deals' sync did not complete: {result}")
    log(f"Account and {OBJECT} synced into the warehouse in {time.perf_counter() - began:.1f} s")
    create_notification(ctx, admin, ALIAS, NOTIFICATION, NotificationSpec.model_validate(
        {"template": "stage_changed", "options": {"direction": "any"}, "recipients": {"channels": [CHANNEL]}}))


def member_api(sf: Sandbox, token: str, member: Member) -> UiApi:
    from saleshome.salesforce.ui_api import MemberSession, UiApi

    return UiApi(MemberSession(sf.instance_url, token, ca_file=sf.info["ca_file"], user_id=member.sf_user,
                               timeout=SETUP_TIMEOUT))


def editable_deals(sf: Sandbox, token: str, api: UiApi, member: Member, count: int, taken: set[str]) -> list[str]:
    """``count`` open deals ``member`` may edit and no other member edits (``taken``): their own first, then those
    their role sees (queried as them, their edit access asked as them; not timed)."""
    found: list[str] = []
    for scope in (f"OwnerId = '{member.sf_user}' AND ", ""):
        soql = (f"SELECT Id FROM {OBJECT} WHERE {scope}IsClosed = false AND IsDeleted = false ORDER BY Id "
                f"LIMIT {20 * count + len(taken)}")
        answer = sf.http.get(f"{sf.api_base}/query", params={"q": soql}, timeout=600,
                             headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        ids = [i for i in (str(r["Id"]) for r in answer.json()["records"]) if i not in taken and i not in found]
        for start in range(0, len(ids), ACCESS_BATCH):
            if len(found) >= count:
                break
            batch = ids[start:start + ACCESS_BATCH]
            editable = api.editable_records(batch) or set()
            found += [i for i in batch if i in editable][:count - len(found)]
    if len(found) < count:
        raise RuntimeError(f"{member.slack_user} may edit {len(found)} open deals no other member edits, {count} "
                           "wanted")
    taken.update(found)
    return found


# ---------------------------------------------------------------------------------------- one edit
@dataclass(frozen=True)
class Edit:
    member: str  # Slack user
    record_id: str
    stage: str
    amount: Decimal
    submitted_at: float  # time.time() just before the submission
    seconds: float  # submission → views.update with the saved outcome
    patch_seconds: float  # the raw save of the same fields on a comparable deal, as the same member


def newest_form(slack: SlackSandbox, user_id: str, seen: set[str]) -> dict[str, Any] | None:
    """The member's edit form opened since ``seen`` (view ids then), once filled (id, hash and view)."""
    from saleshome.app.edit import CALLBACK_ID

    assert slack.api is not None
    with slack.api.lock:
        for stored in reversed(list(slack.api.views.views.values())):
            if stored.id in seen:
                return None
            if stored.user_id == user_id and stored.type == "modal" and not stored.closed \
                    and stored.view.get("callback_id") == CALLBACK_ID:
                return {"id": stored.id, "hash": stored.hash, **stored.view}
    return None


def open_form(slack: SlackSandbox, member: Member, record_id: str) -> dict[str, Any]:
    """The member clicks Edit on a DM about ``record_id`` (as a notification carries it); the form once filled."""
    from slack_sdk import WebClient

    from saleshome.app.edit import Action, edit_button
    from saleshome.i18n import Messages

    assert slack.api is not None and slack.info is not None
    bot = WebClient(token=slack.info.bot_token, base_url=slack.info.api_url, timeout=30)
    button = edit_button(Messages("en-US", "app"), ALIAS, OBJECT, record_id)
    posted = bot.chat_postMessage(channel=member.slack_user, text="A deal to edit", blocks=[
        {"type": "actions", "block_id": "deal", "elements": [button]}])
    with slack.api.lock:
        seen = set(slack.api.views.views)
    clicked = slack.interactions.block_action(member.slack_user, action={"action_id": Action.EDIT, "type": "button"},
                                              block_id="deal", channel=str(posted["channel"]), message_ts=posted["ts"])
    if not clicked.ok:
        raise RuntimeError(f"the Edit button of {record_id} failed for {member.slack_user}: {clicked.error}")
    form: dict[str, Any] = wait_for(lambda: newest_form(slack, member.slack_user, seen),
                                    f"the edit form of {record_id} for {member.slack_user}")
    return form


def _block(form: Mapping[str, Any], block_id: str) -> Mapping[str, Any] | None:
    return next((b for b in form.get("blocks") or [] if b.get("block_id") == block_id), None)


def new_values(form: Mapping[str, Any], index: int) -> tuple[str, dict[str, Any], Decimal, dict[str, Any] | None]:
    """(the stage chosen, its option, the amount, the amount's input) for edit ``index``: an open stage other than
    the current one, from the options the form offers (the record type's), in turn; a new amount."""
    stage_block = _block(form, "StageName")
    if stage_block is None:
        raise RuntimeError("the edit form offers no Stage")
    element = stage_block["element"]
    current = (element.get("initial_option") or {}).get("value")
    options = [o for o in element.get("options") or []
               if o["value"] not in (current, "") and not str(o["value"]).startswith("Closed")
               and not str(o["value"]).startswith("__")]
    if not options:
        raise RuntimeError(f"the edit form offers no open stage but {current!r}")
    option = options[index % len(options)]
    amount = Decimal(10_000 + 137 * index)
    amount_input = {"value": str(amount)} if _block(form, "Amount") is not None else None
    return str(option["value"]), option, amount, amount_input


def saved_update(slack: SlackSandbox, view_id: str, since: float) -> Updated | None:
    """The app's ``views.update`` of modal ``view_id`` with the outcome (not "Saving…"), taken at or after ``since``."""
    assert slack.api is not None
    with slack.api.lock:
        return next((u for u in slack.api.views.updated if u.view_id == view_id and u.updated_at >= since
                     and u.view.get("callback_id") != SAVING_CALLBACK), None)


def is_saved(view: Mapping[str, Any]) -> bool:
    """The saved outcome: a result without "Reload" (a conflict, a problem offer it; a refusal is the form again)."""
    return view.get("callback_id") == RESULT_CALLBACK and _block(view, "edit_reload") is None


def raw_patch(api: UiApi, record_id: str, stage: str, amount: Decimal, with_amount: bool) -> float:
    """The same fields saved on ``record_id`` as the member (``PATCH ui-api/records/{id}``, If-Unmodified-Since its
    LastModifiedDate read first, not timed), timed from the call to its parsed answer."""
    from saleshome.salesforce.ui_api_types import MASTER_RECORD_TYPE_ID

    record = api.record(record_id, optional_fields=[f"{OBJECT}.StageName"])
    picklists = api.picklist_values(OBJECT, record_type_id=record.record_type_id or MASTER_RECORD_TYPE_ID)
    valid = {v.value for v in picklists["StageName"].values}
    current = _value(record, "StageName")
    if stage not in valid or stage == current:
        stage = next(v for v in sorted(valid) if v != current and not v.startswith("Closed"))
    fields: dict[str, Any] = {"StageName": stage, **({"Amount": float(amount)} if with_amount else {})}
    began = time.perf_counter()
    api.update_record(record_id, fields, if_unmodified_since=record.last_modified_date, api_name=OBJECT)
    return time.perf_counter() - began


def edit_once(slack: SlackSandbox, member: Member, api: UiApi, record_id: str, comparable: str, index: int) -> Edit:
    from saleshome.app.edit import Action

    form = open_form(slack, member, record_id)
    stage, option, amount, amount_input = new_values(form, index)
    values: dict[str, dict[str, dict[str, Any]]] = {"StageName": {Action.INPUT: {"selected_option": option}}}
    if amount_input is not None:
        values["Amount"] = {Action.INPUT: amount_input}
    submitted_at = time.time()
    outcome = slack.interactions.submit(member.slack_user, view_id=str(form["id"]), values=values)
    if not outcome.ok or outcome.errors:
        raise RuntimeError(f"the edit of {record_id} by {member.slack_user} was not taken: {outcome.to_dict()}")
    updated: Updated = wait_for(lambda: saved_update(slack, str(form["id"]), submitted_at),
                                f"the outcome of the edit of {record_id}")
    if not is_saved(updated.view):
        raise RuntimeError(f"the edit of {record_id} by {member.slack_user} was not saved: {updated.view}")
    slack.interactions.close(member.slack_user, view_id=str(form["id"]))
    patch = raw_patch(api, comparable, stage, amount, amount_input is not None)
    return Edit(member.slack_user, record_id, stage, amount if amount_input is not None else Decimal(-1),
                submitted_at, updated.updated_at - submitted_at, patch)


# ---------------------------------------------------------------------------------------- after the edits
def notified(slack: SlackSandbox) -> dict[str, list[float]]:
    """record id → ``posted_at`` of each notification about it in the Slack sandbox's log."""
    from saleshome.publish.publisher import METADATA_EVENT

    found: dict[str, list[float]] = {}
    for message in slack.messages(event_type=METADATA_EVENT):
        record = ((message.metadata or {}).get("event_payload") or {}).get("record_id")
        if record:
            found.setdefault(str(record), []).append(message.posted_at)
    return found


def landed(apis: Mapping[str, UiApi], edits: Sequence[Edit]) -> int:
    """Edits whose deal Salesforce now holds with the submitted stage and amount (read as the member)."""
    count = 0
    for edit in edits:
        record = apis[edit.member].record(edit.record_id, optional_fields=[f"{OBJECT}.StageName", f"{OBJECT}.Amount"])
        amount = _value(record, "Amount")
        same_amount = edit.amount < 0 or (amount is not None and Decimal(str(amount)) == edit.amount)
        count += _value(record, "StageName") == edit.stage and same_amount
    return count


def _value(record: Record, name: str) -> Any:
    found = record.get(name)
    return found.value if found is not None else None


def lines_of(edits: Sequence[Edit], notes: Mapping[str, list[float]], members: Sequence[Member],
             saved: int) -> list[dict[str, Any]]:
    app = [e.seconds for e in edits]
    raw = [e.patch_seconds for e in edits]
    p50, p95, raw50, raw95 = percentile(app, 50), percentile(app, 95), percentile(raw, 50), percentile(raw, 95)
    waits = [min(notes[e.record_id]) - e.submitted_at for e in edits if notes.get(e.record_id)]
    n50 = percentile(waits, 50) if waits else NOTIFY_WAIT_SECONDS
    n95 = percentile(waits, 95) if len(waits) == len(edits) else NOTIFY_WAIT_SECONDS  # a lost one: missed
    return [
        {"metric": "edit_submit_to_modal_saved_p50_seconds", "value": p50, "unit": "s",
         "baseline": "ui_api_patch_record_p50_same_members_same_run", "baseline_value": raw50},
        {"metric": "edit_submit_to_modal_saved_p95_seconds", "value": p95, "unit": "s",
         "baseline": "ui_api_patch_record_p95_same_members_same_run", "baseline_value": raw95},
        {"metric": "edit_submit_to_modal_saved_p95_vs_target", "value": p95, "unit": "s",
         "baseline": "target_p95_seconds", "baseline_value": P95_TARGET_SECONDS},
        {"metric": "target_p95_within_1.5s", "value": 1.0 if p95 <= P95_TARGET_SECONDS else 0.0, "unit": "pass"},
        {"metric": "target_p50_ratio_within_2", "value": 1.0 if p50 <= RATIO_TARGET * raw50 else 0.0, "unit": "pass"},
        {"metric": "target_p95_ratio_within_2", "value": 1.0 if p95 <= RATIO_TARGET * raw95 else 0.0, "unit": "pass"},
        {"metric": "edit_submit_to_slack_notification_p50_seconds", "value": n50, "unit": "s"},
        {"metric": "edit_submit_to_slack_notification_p95_seconds", "value": n95, "unit": "s",
         "baseline": "target_p95_seconds", "baseline_value": NOTIFY_P95_TARGET_SECONDS},
        {"metric": "target_notification_p95_within_15s", "value": 1.0 if n95 <= NOTIFY_P95_TARGET_SECONDS else 0.0,
         "unit": "pass"},
        {"metric": "edits_measured", "value": len(edits), "unit": "count"},
        {"metric": "edits_saved_in_salesforce", "value": saved, "unit": "count"},
        {"metric": "edits_notified_once", "value": sum(len(notes.get(e.record_id, [])) == 1 for e in edits),
         "unit": "count"},
        {"metric": "notifications_beyond_one_per_edit",
         "value": sum(max(0, len(notes.get(e.record_id, [])) - 1) for e in edits), "unit": "count"},
        {"metric": "members", "value": len(members), "unit": "count"},
        {"metric": "member_roles", "value": len({m.role for m in members}), "unit": "count"},
    ]


def run(size: int, *, members: int = MEMBERS, edits: int = EDITS, interval: float = INTERVAL_SECONDS,
        seed: int = SEED) -> list[dict[str, Any]]:
    from cryptography.fernet import Fernet

    from saleshome.sandbox.slack.ratelimit import RateLimits
    from saleshome.sandbox.slack.server import SlackSandbox

    if members < 1 or edits < 1 or interval < 0:
        raise ValueError("--members and --edits must be at least 1, --interval at least 0")
    per_member = -(-edits // members)
    with tempfile.TemporaryDirectory(prefix="bench-app-edit-") as tmp, \
            sandbox_process(size, seed=seed, state_dir=fresh_state_dir(seed, size, Path(tmp) / "org")) as sf, \
            SlackSandbox(seed=seed, opportunities=size, history=False,
                         rate_limits=RateLimits(time_scale=200)) as slack:
        env = app_environment(sf, slack, Path(tmp) / "home", Fernet.generate_key().decode())
        with environment(env):
            settings = prepare_home(sf, slack)
            prepare_edits(settings, sales_admin_of(slack))
        chosen = choose_members(sf, settings, members)
        log(f"members: {', '.join(f'{m.slack_user} ({m.role})' for m in chosen)}")
        with app_process(env, Path(tmp) / "app.log") as app:
            sf.control("POST", "connected-app", {"callback_urls": [app.urls["oauth_callback"], OAUTH_CALLBACK]})
            slack.configure_app(event_url=app.urls["events"], interactivity_url=app.urls["interactivity"])
            for member in chosen:
                connect(sf, slack, app, member)
            tokens = {m.slack_user: member_token(sf, m) for m in chosen}
            apis = {m.slack_user: member_api(sf, tokens[m.slack_user], m) for m in chosen}
            taken: set[str] = set()
            deals = {m.slack_user: editable_deals(sf, tokens[m.slack_user], apis[m.slack_user], m, 2 * per_member,
                                                  taken) for m in chosen}
            log(f"{len(chosen)} members connected; measuring {edits} edits")
            measured: list[Edit] = []
            next_start = time.monotonic()
            for turn in range(per_member):
                for member in chosen:
                    if len(measured) < edits:
                        time.sleep(max(0.0, next_start - time.monotonic()))
                        next_start = time.monotonic() + interval
                        own = deals[member.slack_user]
                        measured.append(edit_once(slack, member, apis[member.slack_user], own[2 * turn],
                                                  own[2 * turn + 1], len(measured)))
            deadline = time.monotonic() + NOTIFY_WAIT_SECONDS
            while not all(notified(slack).get(e.record_id) for e in measured) and time.monotonic() < deadline:
                time.sleep(0.1)
            notes = notified(slack)
            saved = landed(apis, measured)
    lines = lines_of(measured, notes, chosen, saved)
    log(", ".join(f"{line['metric']}={line['value']:.3f}" for line in (lines[0], lines[1], lines[6], lines[7]))
        + f" (PATCH p50 {lines[0]['baseline_value']:.3f}, p95 {lines[1]['baseline_value']:.3f})")
    return lines
