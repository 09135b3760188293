"""Salesforce users → Slack users, by email (``users.lookupByEmail``), cached with a TTL.

A member keeps the Slack user's time zone (digests are sent at a local hour).  Salesforce
users who are inactive, or whose email matches no active Slack user, are kept so
``saleshome status`` can list them: ``inactive`` (inactive in Salesforce), ``deactivated``
(the Slack account with that email is deactivated) or ``unmatched`` (no Slack account has
that email).  ``users.lookupByEmail`` answers ``users_not_found`` for both of the last two,
so the deactivated members' emails are read from ``users.list`` (``deleted: true``), once
per refresh and only when a lookup found nobody.

A matched member also keeps their Slack locale (the language they read, ``fr-FR``, ``en-US``...):
``users.lookupByEmail`` does not give it, so each member looked up and found active is read once
more with ``users.info`` and ``include_locale=true`` (Tier 4) — only for new, changed or stale
entries, like the lookups; null when Slack gives none.  Who reads which language is decided in
:mod:`saleshome.settings.locales`.

A mapping a sales admin approved (``approved_members``, :mod:`saleshome.settings.approvals`) wins over the
emails: that Salesforce user is linked to that Slack user with status ``approved`` (emails differing, or no Slack
account having the email), keeping the Slack user's team, time zone and locale (``users.info`` with
``include_locale``) as a matched member does; ``deactivated`` when that Slack account is deactivated or gone,
``inactive`` when the Salesforce user is.  Without an approval a user is mapped by email again (an ``approved``
entry is never reused from the cache for them).

Every entry also records whether its Salesforce user holds the Sales Home permission set as the sync just
read it (``user_map.sales_home_user``, for every user at every refresh, cached lookups or not): the Slack app
decides who sees Sales Home from it without opening the org's warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.slack.errors import error_code, slack_error
from saleshome.slack.pages import page_items
from saleshome.slack.profiles import member_profile
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.control_tables import LINKED

UNKNOWN_LOCALE = "unknown"


@dataclass(frozen=True)
class SalesforceUser:
    id: str
    email: str | None
    is_active: bool
    sales_home_user: bool | None = None  # holds the Sales Home permission set (None: not known, not synced)


@dataclass
class MappingReport:
    matched: int = 0
    unmatched: int = 0
    inactive: int = 0
    looked_up: int = 0
    cached: int = 0
    deactivated: int = 0
    approved: int = 0  # linked by a mapping a sales admin approved (not by email)
    locales: dict[str, int] = field(default_factory=dict)  # matched members per Slack locale ("unknown": none)

    def count_locale(self, locale: str | None) -> None:
        key = locale or UNKNOWN_LOCALE
        self.locales[key] = self.locales.get(key, 0) + 1


def refresh_user_map(
    control: ControlDB, alias: str, users: Sequence[SalesforceUser], client: WebClient, *,
    ttl: timedelta = timedelta(hours=24), now: datetime | None = None,
) -> MappingReport:
    """Bring the org's user map up to date (looks up only new, changed or stale entries)."""
    now = now or datetime.now(UTC)
    known = {r["sf_user_id"]: r for r in control.rows("SELECT * FROM user_map WHERE alias = ?", [alias])}
    approved = approved_members(control, alias)
    report = MappingReport()
    rows: list[list[Any]] = []
    deactivated: set[str] | None = None  # emails of deactivated Slack users, read when first needed
    for user in users:
        email = (user.email or "").strip().lower() or None
        cached = known.get(user.id)
        fresh = cached is not None and cached["email"] == email and cached["refreshed_at"] > now - ttl
        if user.is_active and user.id in approved:
            slack_id = approved[user.id]
            if fresh and cached and cached["status"] == "approved" and cached["slack_user_id"] == slack_id:
                report.cached += 1
                report.approved += 1
                report.count_locale(cached["locale"])
                continue
            report.looked_up += 1
            profile = member_profile(client, slack_id)
            if profile is None:  # that Slack account is deactivated (or gone)
                rows.append([alias, user.id, email, None, None, None, None, "deactivated", now])
                report.deactivated += 1
                continue
            rows.append([alias, user.id, email, profile.id, profile.team_id, profile.tz, profile.locale, "approved", now])
            report.approved += 1
            report.count_locale(profile.locale)
            continue
        if not user.is_active or email is None:
            rows.append([alias, user.id, email, None, None, None, None,
                         "inactive" if not user.is_active else "unmatched", now])
            report.inactive += not user.is_active
            report.unmatched += user.is_active
            continue
        if fresh and cached and cached["status"] not in ("inactive", "approved"):
            report.cached += 1
            report.matched += cached["status"] == "matched"
            report.unmatched += cached["status"] == "unmatched"
            report.deactivated += cached["status"] == "deactivated"
            if cached["status"] == "matched":
                report.count_locale(cached["locale"])
            continue
        report.looked_up += 1
        try:
            found = client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as exc:
            if error_code(exc) == "users_not_found":
                if deactivated is None:
                    deactivated = deactivated_emails(client)
                left_slack = email in deactivated
                rows.append([alias, user.id, email, None, None, None, None,
                             "deactivated" if left_slack else "unmatched", now])
                report.deactivated += left_slack
                report.unmatched += not left_slack
                continue
            raise slack_error(exc, "users.lookupByEmail", hint="the app needs the users:read.email scope") from None
        active = not found.get("deleted")
        locale = slack_locale(client, str(found["id"])) if active else None
        rows.append([alias, user.id, email, found["id"], found.get("team_id"), found.get("tz"), locale,
                     "matched" if active else "deactivated", now])
        report.matched += active
        report.deactivated += not active
        if active:
            report.count_locale(locale)
    with control.transaction() as db:
        for row in rows:
            db.execute("INSERT INTO user_map (alias, sf_user_id, email, slack_user_id, team_id, tz, locale, status, "
                       "refreshed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alias, sf_user_id) DO UPDATE "
                       "SET email = excluded.email, slack_user_id = excluded.slack_user_id, "
                       "team_id = excluded.team_id, tz = excluded.tz, locale = excluded.locale, "
                       "status = excluded.status, refreshed_at = excluded.refreshed_at", row)
        db.executemany("UPDATE user_map SET sales_home_user = ? WHERE alias = ? AND sf_user_id = ?",
                       [[user.sales_home_user, alias, user.id] for user in users])
        gone = [u for u in known if u not in {x.id for x in users}]
        for sf_id in gone:
            db.execute("DELETE FROM user_map WHERE alias = ? AND sf_user_id = ?", [alias, sf_id])
    return report


def slack_locale(client: WebClient, slack_user_id: str) -> str | None:
    """The member's Slack locale (``users.info`` with ``include_locale``); None when Slack gives none.

    ``user_not_found``/``user_not_visible`` (the member left between the lookup and this call)
    also give None; any other refusal is a configuration problem, like the lookups'.
    """
    try:
        user = client.users_info(user=slack_user_id, include_locale=True)["user"]
    except SlackApiError as exc:
        if error_code(exc) in ("user_not_found", "user_not_visible"):
            return None
        raise slack_error(exc, "users.info", hint="the app needs the users:read scope") from None
    locale = (user or {}).get("locale")
    return str(locale) if locale else None


def approved_members(control: ControlDB, alias: str) -> dict[str, str]:
    """Salesforce user id → Slack user id of the org's mappings a sales admin approved."""
    return {r["sf_user_id"]: r["slack_user_id"] for r in control.rows(
        "SELECT sf_user_id, slack_user_id FROM approved_members WHERE alias = ?", [alias])}


def deactivated_emails(client: WebClient) -> set[str]:
    """Lower-cased emails of the deactivated members of every workspace the app is installed in."""
    try:
        teams: list[str | None] = [str(t["id"]) for t in client.auth_teams_list(limit=100)["teams"]] or [None]
    except SlackApiError:
        teams = [None]  # a workspace-level install: users.list needs no team_id
    emails: set[str] = set()
    for team in teams:
        try:
            members = list(page_items(client.users_list, "members", limit=200, team_id=team))
        except SlackApiError as exc:
            raise slack_error(exc, "users.list", hint="the app needs the users:read and users:read.email scopes") from None
        for member in members:
            email = (member.get("profile") or {}).get("email")
            if member.get("deleted") and email:
                emails.add(str(email).strip().lower())
    return emails


def slack_user(control: ControlDB, alias: str, sf_user_id: str) -> tuple[str, str | None] | None:
    """(Slack user id, time zone) of a mapped Salesforce user, or None."""
    rows = control.rows(
        f"SELECT slack_user_id, tz FROM user_map WHERE alias = ? AND sf_user_id = ? AND {LINKED}",
        [alias, sf_user_id],
    )
    return (rows[0]["slack_user_id"], rows[0]["tz"]) if rows else None


def unmapped_users(control: ControlDB, alias: str | None = None) -> list[dict[str, Any]]:
    """Salesforce users with no Slack match (unmatched, deactivated in Slack, or inactive), for ``saleshome status``."""
    where = "status NOT IN ('matched', 'approved')" + (" AND alias = ?" if alias else "")
    return control.rows(f"SELECT alias, sf_user_id, email, status FROM user_map WHERE {where} ORDER BY alias, email",
                        [alias] if alias else [])
