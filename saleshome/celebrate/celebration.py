"""``celebrate``: the wins among the changes not looked at yet → celebration rows, banner and message outbox rows.

The changes are everything committed since the last pass (a watermark over the change log,
:mod:`saleshome.warehouse.watermarks`), whichever run committed them: a run that failed, was
killed or paused for quota is caught up by the next pass.  Everything a pass produces is
written in **one control-database transaction** with the new watermark: the
``celebrations`` rows, one outbox row of kind ``celebration`` per celebration channel (posted by
the publisher, restrictions applying at send time) and one of kind ``banner`` for the owner's
profile (applied by :func:`saleshome.celebrate.banner.apply_banners` with the admin token).
Keys are deterministic (org, opportunity, signature, destination) and an opportunity is not
celebrated twice within three days, so even a change read twice would add nothing.  With
celebrations switched off the watermark still moves (switching them on does not replay history).

Owners without a Slack account (no match by email) get the message (their Salesforce name
instead of a mention) and no banner; the celebration row says why.

Languages (issue 16.2, :mod:`saleshome.settings.locales`): the message is read in channels, in the
workspace's default locale; the banner on the owner's profile, in the owner's Slack locale (else
the workspace's default).  Both are rendered here, when queued (see :mod:`saleshome.celebrate.render`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from saleshome.config import Settings
from saleshome.settings.celebrations import load_celebrations, won_stage
from saleshome.settings.locales import channel_locale, member_locales
from saleshome.settings.model import CelebrationSettings
from saleshome.settings.orgs import get_org
from saleshome.settings.workspace import sales_home_problem
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.control_tables import LINKED
from saleshome.warehouse.orgdb import OrgWarehouse
from saleshome.warehouse.outbox import OutboxMessage, enqueue, idempotency_key
from saleshome.warehouse.outbox_states import OutboxKind
from saleshome.warehouse.watermarks import Step, advance, pending

from .detect import CELEBRATION_WINDOW, REWIN_GAP, detect_wins
from .render import Deal, banner, message_blocks, message_text, opportunity_url

MESSAGE_KIND = OutboxKind.CELEBRATION
BANNER_KIND = OutboxKind.BANNER
NO_SLACK_USER = "the owner has no Slack account matched by email"


def banner_channel(slack_user_id: str) -> str:
    """The outbox ``channel`` of a banner: its own namespace, so it never orders behind a DM."""
    return f"profile:{slack_user_id}"


@dataclass
class CelebrationSummary:
    """What ``celebrate`` found among the new changes and what it queued."""

    alias: str
    run_id: str | None  # the run that asked (or that logged the newest change)
    enabled: bool = True
    skipped: str | None = None  # why nothing was looked at (celebrations off, Sales Home unavailable)
    wins: int = 0  # transitions into the won stage among the changes
    too_late: int = 0  # signed more than 72 hours before detection
    rewon_too_soon: int = 0  # won again within 3 days of a previous win
    not_members: int = 0  # owner without the Sales Home permission set
    already: int = 0  # already celebrated (a rerun, or within 3 days of a celebration of the same deal)
    celebrated: int = 0
    messages: int = 0  # outbox rows queued (one per celebration channel)
    banners: int = 0
    no_slack_user: int = 0
    opportunities: list[str] = field(default_factory=list)  # ids celebrated now


def celebrate(
    control: ControlDB, settings: Settings, alias: str, run_id: str | None = None, *,
    warehouse: OrgWarehouse | None = None, now: datetime | None = None,
) -> CelebrationSummary:
    """Queue the celebrations of the wins org ``alias`` committed since the last pass (see the module docstring).

    ``run_id``: the sync run that asks, for the summary.  ``warehouse``: the org's open warehouse (a flow
    that just synced holds it); otherwise the org database is opened for the query and closed.  ``now``:
    the detection time (default: now).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    summary = CelebrationSummary(alias, run_id)
    cfg = load_celebrations(control, settings.workspace)
    if not cfg.enabled:  # the watermark still moves past the changes (below)
        summary.enabled, summary.skipped = False, "celebrations are switched off"
    if sales_home_problem(control, settings.workspace) is not None:
        summary.skipped = summary.skipped or "Sales Home is not available on this workspace's plan (or no plan is declared)"
        return summary
    stage = won_stage(control, alias)
    own = warehouse is None
    wh = warehouse or OrgWarehouse(settings.org_db(alias), lock_timeout=settings.lock_timeout_seconds)
    try:
        changes = pending(control, wh, alias, Step.CELEBRATIONS)
        summary.run_id = run_id or changes.run_id
        rows = [] if not cfg.enabled else detect_wins(
            wh.conn, changes, won_stage=stage, now=now, default_currency=settings.default_currency,
            permission_set=settings.sales_home_permission_set)
    finally:
        if own:
            wh.close()
    if changes.empty:
        return summary
    summary.wins = len(rows)
    summary.too_late = sum(not r["in_window"] for r in rows)
    summary.rewon_too_soon = sum(bool(r["in_window"] and r["rewon_too_soon"]) for r in rows)
    summary.not_members = sum(bool(r["in_window"] and not r["rewon_too_soon"] and not r["is_member"]) for r in rows)
    eligible = [r for r in rows if r["in_window"] and not r["rewon_too_soon"] and r["is_member"]]
    instance_url = get_org(control, settings, alias).instance_url if eligible else ""
    deals = {r["opportunity_id"]: Deal.from_row(r) for r in eligible}
    channels_locale = channel_locale(control, settings.workspace) if eligible else ""
    owner_locales = member_locales(control, alias) if eligible else {}
    with control.transaction() as db:
        if not advance(db, alias, changes, now):
            summary.skipped = "these changes were looked at by another process meanwhile: nothing queued here"
            return summary
        if not eligible:
            return summary
        found = []
        for win in sorted(eligible, key=lambda r: (r["signed_at"], r["opportunity_id"])):
            signed = win["signed_at"].astimezone(UTC)
            owner = db.execute("SELECT slack_user_id, team_id FROM user_map WHERE alias = ? AND sf_user_id = ? "
                               f"AND {LINKED}", [alias, win["owner_id"]]).fetchone()
            already = db.execute("SELECT 1 FROM celebrations WHERE alias = ? AND opportunity_id = ? "
                                 "AND signed_at BETWEEN ? AND ?",
                                 [alias, win["opportunity_id"], signed - REWIN_GAP, signed + REWIN_GAP]).fetchone()
            found.append((win["opportunity_id"], *(owner or (None, None)), already is not None))
        messages: list[OutboxMessage] = []
        for opportunity_id, slack_user_id, team_id, already in found:
            if already:
                summary.already += 1
                continue
            deal = deals[opportunity_id]
            owner_locale = owner_locales.get(deal.owner_id or "", channels_locale)
            _queue(db, messages, summary, alias, changes.run_id or "", cfg.channels, cfg, deal, slack_user_id,
                   team_id, instance_url, now, locales=(channels_locale, owner_locale))
        enqueue(db, messages)
    return summary


def _queue(
    db: Tx, messages: list[OutboxMessage], summary: CelebrationSummary, alias: str,
    run_id: str, channels: list[str], cfg: CelebrationSettings, deal: Deal, slack_user_id: str | None, team_id: str | None,
    instance_url: str, now: datetime, *, locales: tuple[str, str],
) -> None:
    """Queue one celebration; ``locales``: (the channels', the owner's)."""
    channel_locale, owner_locale = locales
    signed = deal.signed_at.astimezone(UTC)
    url = opportunity_url(instance_url, deal.opportunity_id)
    text = message_text(cfg, deal, slack_user_id, locale=channel_locale)
    blocks = message_blocks(text, url, deal, locale=channel_locale)
    keys = []
    for channel in channels:
        key = idempotency_key(MESSAGE_KIND, alias, deal.opportunity_id, signed.isoformat(), channel)
        keys.append(key)
        messages.append(OutboxMessage(key=key, kind=MESSAGE_KIND, channel=channel, text=text, blocks=blocks,
                                      alias=alias))
    status_text, status_emoji = banner(cfg, deal, locale=owner_locale)
    banner_key: str | None = None
    if slack_user_id:
        banner_key = idempotency_key(BANNER_KIND, alias, deal.opportunity_id, signed.isoformat(), slack_user_id)
        messages.append(OutboxMessage(key=banner_key, kind=BANNER_KIND, channel=banner_channel(slack_user_id),
                                      text=status_text, alias=alias, team_id=team_id))
        summary.banners += 1
    else:
        summary.no_slack_user += 1
    db.execute(
        "INSERT INTO celebrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [alias, deal.opportunity_id, signed, run_id, deal.owner_id, slack_user_id, team_id, deal.stage, deal.amount,
         deal.currency, status_text, status_emoji, signed + CELEBRATION_WINDOW, keys, banner_key,
         "pending" if slack_user_id else "none", None if slack_user_id else NO_SLACK_USER, now],
    )
    summary.celebrated += 1
    summary.messages += len(keys)
    summary.opportunities.append(deal.opportunity_id)
