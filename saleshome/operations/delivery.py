"""One delivery of the outbox: messages, then banners, then the celebration messages' permalinks.

:func:`deliver` is what ``saleshome outbox publish`` runs; the Prefect flows run the same three
steps as tasks (``publish-outbox``, ``banners``, ``permalinks-<alias>``), each calling the
step function here:

1. :func:`publish_messages` — the publisher posts every kind it owns (channel notifications,
   direct messages, digests, celebration messages), within Slack's rate limits, exactly once;
2. :func:`set_banners` — the ``banner`` items, set on the owners' Slack profiles with the admin
   user token (:func:`saleshome.celebrate.apply_banners`).  Without an admin token they stay
   queued (the step returns None) and the messages still go out;
3. :func:`keep_permalinks` — the permalink of every posted celebration message.

Afterwards :attr:`Delivery.left` holds what is still queued, per kind, and :meth:`Delivery.notes`
says why and which command sends it.  Nothing Prefect here; nothing is sent on a workspace
whose plan does not include Sales Home (refused before any call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from saleshome.celebrate import BANNER_KIND, BannerStats, PermalinkStats, apply_banners, store_permalinks
from saleshome.config import Settings
from saleshome.notify.digest import waiting_items
from saleshome.publish.publisher import Progress, PublishStats
from saleshome.publish.setup import publisher_from_settings
from saleshome.settings.workspace import require_sales_home_for
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import queued_by_kind

NO_ADMIN_TOKEN = ("no Slack admin token (SALESHOME_SLACK_ADMIN_TOKEN): banners stay queued until one is set "
                  "(messages still go out)")
PUBLISH_AGAIN = "`saleshome outbox publish`"
# What each kind is, as the notes name it.
KIND_LABELS = {"notification": "notification message(s)", "digest": "digest(s)",
               "celebration": "celebration message(s)", BANNER_KIND: "banner(s)"}


@dataclass
class Delivery:
    """What one delivery did, and what it left in the outbox (``left``: kind → items still queued)."""

    published: PublishStats
    banners: BannerStats | None  # None: no admin token, banners left queued
    permalinks: PermalinkStats
    left: dict[str, int] = field(default_factory=dict)
    digest_items_waiting: int = 0  # digest items not in a digest yet (queued by `saleshome digest`)

    def lines(self) -> list[str]:
        return [published_line(self.published), banners_line(self.banners), permalinks_line(self.permalinks)]

    def notes(self) -> list[str]:
        return left_notes(self.left, banners=NO_ADMIN_TOKEN_LEFT if self.banners is None else None) + (
            [f"{self.digest_items_waiting} digest item(s) wait for their recipients' digest hour: "
             "`saleshome digest` (hourly) queues and sends the digests that are due"]
            if self.digest_items_waiting else [])


def published_line(stats: PublishStats) -> str:
    """``messages: sent 12, already sent (confirmed in Slack history) 1, to retry 0, ...`` (and the reasons)."""
    line = (f"messages: sent {stats.sent}, already sent (confirmed in Slack history) {stats.reconciled}, "
            f"to retry {stats.retried}, rate-limit waits {stats.rate_limit_waits}, dead-lettered {stats.dead}, "
            f"blocked {stats.blocked}")
    reasons = [f"dead: {r} ({n})" for r, n in stats.dead_reasons.items()]
    reasons += [f"blocked: {r} ({n})" for r, n in stats.blocked_reasons.items()]
    return line + (f" — {'; '.join(reasons)}" if reasons else "")


def banners_line(stats: BannerStats | None) -> str:
    if stats is None:
        return f"banners: none set: {NO_ADMIN_TOKEN}"
    return (f"banners: {stats.set} set, {stats.unchanged} unchanged, {stats.skipped} skipped, {stats.failed} failed, "
            f"{stats.retried} left for later" + "".join(f"; {reason}: {n}" for reason, n in stats.reasons.items()))


def permalinks_line(stats: PermalinkStats) -> str:
    return f"permalinks: {stats.stored} stored, {stats.missing} messages gone"


def left_notes(left: dict[str, int], *, banners: str | None = None) -> list[str]:
    """One line per kind still queued: how many, why, and the command that sends them.

    ``banners``: why banners were left, and what sets them (default: like any other kind, a retry).
    """
    notes = []
    for kind, n in sorted(left.items()):
        label = KIND_LABELS.get(kind, f"{kind} item(s)")
        if kind == BANNER_KIND and banners is not None:
            notes.append(f"{n} {label} left queued: {banners}")
        else:
            notes.append(f"{n} {label} still queued (a retry waiting for its time, or behind one in its channel): "
                         f"{PUBLISH_AGAIN} again later sends them")
    return notes


NO_ADMIN_TOKEN_LEFT = f"no Slack admin token; set SALESHOME_SLACK_ADMIN_TOKEN, then {PUBLISH_AGAIN} sets them"


# ---------------------------------------------------------------------------------------- steps
def publish_messages(control: ControlDB, settings: Settings, *, on_progress: Progress | None = None) -> PublishStats:
    """Post what the outbox holds for the publisher (every kind but banners); refused without Sales Home."""
    return publisher_from_settings(control, settings).publish(on_progress=on_progress)


def set_banners(control: ControlDB, settings: Settings, now: datetime | None = None) -> BannerStats | None:
    """Set the queued banners on the owners' profiles; None (they stay queued) when no admin token is set."""
    if settings.slack_admin_token is None:
        return None
    return apply_banners(control, settings, now)


def keep_permalinks(control: ControlDB, settings: Settings) -> PermalinkStats:
    """Store the permalink of every posted celebration message that has none yet."""
    return store_permalinks(control, settings)


def deliver(control: ControlDB, settings: Settings, *, on_progress: Progress | None = None,
            now: datetime | None = None) -> Delivery:
    """Messages, banners, permalinks (see the module docstring); then what is left, per kind."""
    require_sales_home_for(control, settings)
    published = publish_messages(control, settings, on_progress=on_progress)
    banners = set_banners(control, settings, now)
    permalinks = keep_permalinks(control, settings)
    return Delivery(published, banners, permalinks, left=queued_by_kind(control),
                    digest_items_waiting=waiting_items(control))
