"""The control store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

This is the schema as it stands; the Alembic revisions in ``control_migrations/versions`` build it
(a test compares the two).  Three kinds of value need care to read the same on both backends, and
:mod:`saleshome.warehouse.control` converts them by column name (so a name has one kind across
tables, a test checks it):

- timestamps: ``TIMESTAMPTZ`` on PostgreSQL; ISO-8601 text in UTC on SQLite (which orders as time);
- booleans: ``BOOLEAN`` on PostgreSQL, 0/1 on SQLite;
- lists of strings: JSON text on both (a Python list as a parameter is written as JSON).

JSON documents (``blocks``, ``definition``, …) are text on both: callers ``json.dumps``/``json.loads``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

__all__ = ["HEAD", "LINKED", "METADATA", "ValueKind", "column_kinds"]

HEAD = "0005"
"""The Alembic revision this code's schema is (``control_migrations/versions``)."""

METADATA = MetaData()

ValueKind = Literal["timestamp", "bool", "list", "plain"]


def _ts() -> DateTime:
    return DateTime(timezone=True)


class StringList(Text):
    """A list of strings, stored as JSON text (``["Account", "Opportunity"]``)."""

    __visit_name__ = "text"
    cache_ok = True


class JsonText(Text):
    """A JSON document, stored as text."""

    __visit_name__ = "text"
    cache_ok = True


def _seq() -> TypeEngine[int]:
    return BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY: SQLite's rowid, AUTOINCREMENT


Table(
    "orgs", METADATA,
    Column("alias", Text, primary_key=True),
    Column("workspace", Text, nullable=False),
    Column("org_id", Text, nullable=False),
    Column("org_name", Text),
    Column("instance_url", Text, nullable=False),
    Column("login_url", Text, nullable=False),
    Column("auth_method", Text, nullable=False),
    Column("credential_ref", Text, nullable=False),  # where the secret lives (env:PREFIX, prefect-secret:BLOCK)
    Column("ca_file", Text),  # a private CA to trust (the sandbox); null for real orgs
    Column("api_version", Text, nullable=False),
    Column("is_sandbox", Boolean, nullable=False),
    Column("objects", StringList),  # null: the default set
    Column("created_at", _ts(), nullable=False),
    Column("status", Text, nullable=False),  # new, syncing, ok, failed, paused_for_quota
    Column("last_sync_at", _ts()),
    Column("last_error", Text),
)
Table(
    "sync_runs", METADATA,
    Column("run_id", Text, primary_key=True),
    Column("alias", Text, nullable=False),
    Column("kind", Text, nullable=False),  # initial, incremental, full, backfill
    Column("notify", Boolean, nullable=False),
    Column("started_at", _ts(), nullable=False),
    Column("ended_at", _ts()),
    Column("status", Text, nullable=False),  # running, completed, failed, paused_for_quota, crashed
    Column("api_calls", Integer),
    Column("error", Text),
    Column("heartbeat_at", _ts()),  # refreshed while the run works; its last sign of life
    Column("pid", Integer),  # the process running it
    Column("host", Text),  # the host of that process
    Column("lease_seconds", Float),  # silent longer than this after its heartbeat: dead
)
Table(
    "object_state", METADATA,
    Column("alias", Text, nullable=False),
    Column("object", Text, nullable=False),
    Column("rows", BigInteger),
    Column("cursor", _ts()),
    Column("last_run_id", Text),
    Column("last_synced_at", _ts()),
    Column("last_path", Text),
    Column("last_error", Text),
    PrimaryKeyConstraint("alias", "object"),
)
Table(
    "api_budget", METADATA,
    Column("alias", Text, primary_key=True),
    Column("used", BigInteger),
    Column("max", BigInteger),
    Column("observed_at", _ts()),
)
Table(
    "outbox", METADATA,
    Column("key", Text, nullable=False, unique=True),  # deterministic idempotency key (also in the message metadata)
    Column("seq", _seq(), primary_key=True, autoincrement=True),  # order of publication within a channel
    Column("kind", Text, nullable=False),  # notification, digest, celebration, banner
    Column("alias", Text),  # the org it came from
    Column("team_id", Text),  # the workspace it goes to
    Column("channel", Text, nullable=False),  # C…/G… channel id, or U… user id for a DM
    Column("text", Text, nullable=False),  # plain-text fallback (notifications, screen readers)
    Column("blocks", JsonText),
    Column("created_at", _ts(), nullable=False),
    Column("state", Text, nullable=False),  # pending, sending, sent, dead, blocked
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", _ts()),
    Column("last_error", Text),
    Column("sent_channel", Text),
    Column("sent_ts", Text),
    Column("sent_at", _ts()),
    Column("permalink", Text),
    Column("claimed_by", Text),  # the publisher holding it (host:pid:token, see outbox.Claimer); null: nobody
    Column("claimed_until", _ts()),  # that claim's lease: past it, the holder counts as dead
    Index("outbox_state_seq", "state", "seq"),  # claims read the unsettled items in order (sent ones pile up)
    sqlite_autoincrement=True,
)
Table(
    "dm_channels", METADATA,
    Column("team_id", Text),
    Column("user_id", Text, primary_key=True),
    Column("channel_id", Text, nullable=False),
)
# user_map.status of a Salesforce user linked to a Slack user: by the same verified email (``matched``) or by a
# sales admin's approval (``approved``, table approved_members).  Whoever asks "who is this user in Slack" reads these.
LINKED = "status IN ('matched', 'approved')"  # a SQL condition on user_map (after a table alias: f"m.{LINKED}")
Table(
    "user_map", METADATA,
    Column("alias", Text, nullable=False),
    Column("sf_user_id", Text, nullable=False),
    Column("email", Text),
    Column("slack_user_id", Text),
    Column("team_id", Text),
    Column("tz", Text),
    Column("status", Text, nullable=False),  # matched, approved (approved_members), unmatched, deactivated, inactive
    Column("refreshed_at", _ts(), nullable=False),
    Column("locale", Text),  # the member's Slack locale (users.info include_locale); null: not known yet
    Column("sales_home_user", Boolean),  # holds the Sales Home permission set, as last synced; null: not known yet
    PrimaryKeyConstraint("alias", "sf_user_id"),
)
Table(
    "approved_members", METADATA,  # mappings a sales admin approved: user_map links them whatever the emails say
    Column("alias", Text, nullable=False),
    Column("sf_user_id", Text, nullable=False),  # as synced (18 characters)
    Column("slack_user_id", Text, nullable=False),  # U…: one Salesforce user per Slack user and org
    Column("approved_by", Text, nullable=False),  # the sales admin (U…)
    Column("approved_at", _ts(), nullable=False),
    PrimaryKeyConstraint("alias", "sf_user_id"),
    UniqueConstraint("alias", "slack_user_id", name="approved_members_slack_user"),
)
Table(
    "notification_restrictions", METADATA,
    Column("workspace", Text, primary_key=True),
    Column("allow_public", Boolean, nullable=False),
    Column("allow_private", Boolean, nullable=False),
    Column("allow_direct", Boolean, nullable=False),  # DMs and group DMs
    Column("include_external", Boolean, nullable=False),  # Slack Connect external channels
    Column("allowed_teams", StringList),  # null: every workspace of the organisation
    Column("updated_at", _ts(), nullable=False),
)
Table(
    "conversation_cache", METADATA,
    Column("channel", Text, primary_key=True),
    Column("info", JsonText, nullable=False),  # the conversation object (type, shared flags, team)
    Column("fetched_at", _ts(), nullable=False),
)
Table(
    "workspaces", METADATA,
    Column("workspace", Text, primary_key=True),  # Settings.workspace: one Slack workspace or Enterprise organisation
    Column("plan", Text, nullable=False),  # free, pro, business_plus, enterprise_grid, enterprise_plus
    Column("sales_elevate", Boolean, nullable=False),  # the Sales Elevate add-on
    Column("team_ids", StringList, nullable=False),  # its Slack workspaces (T…)
    Column("updated_at", _ts(), nullable=False),
    Column("updated_by", Text, nullable=False),  # the Slack user (U…) who set the plan
    Column("default_locale", Text),  # the language of messages posted in channels (null: en-US)
)
Table(
    "role_assignments", METADATA,
    Column("workspace", Text, nullable=False),
    Column("user_id", Text, nullable=False),  # Slack user (U…)
    Column("role", Text, nullable=False),  # sales_admin
    Column("granted_by", Text, nullable=False),
    Column("granted_at", _ts(), nullable=False),
    PrimaryKeyConstraint("workspace", "user_id", "role"),
)
Table(
    "org_settings", METADATA,
    Column("alias", Text, primary_key=True),  # no row: the defaults (five standard objects, any IsWon stage)
    Column("objects", StringList, nullable=False),  # the objects shown in Sales Home, in order
    Column("won_stage", Text),  # null: any stage with IsWon
    Column("updated_at", _ts(), nullable=False),
)
Table(
    "default_list_views", METADATA,
    Column("alias", Text, nullable=False),
    Column("object", Text, nullable=False),
    Column("position", Integer, nullable=False),  # 0..24: at most 25 per object
    Column("list_view_id", Text, nullable=False),  # 15-character id, as /sobjects/{object}/listviews gives it
    Column("developer_name", Text, nullable=False),
    Column("label", Text, nullable=False),
    PrimaryKeyConstraint("alias", "object", "list_view_id"),
)
Table(
    "record_layouts", METADATA,
    Column("alias", Text, nullable=False),  # no row for an object: the default layout (name + key fields)
    Column("object", Text, nullable=False),
    Column("fields", StringList, nullable=False),  # shown in Slack, in order
    Column("editable", StringList, nullable=False),  # the subset members may edit
    Column("updated_at", _ts(), nullable=False),
    PrimaryKeyConstraint("alias", "object"),
)
Table(
    "celebration_settings", METADATA,
    Column("workspace", Text, primary_key=True),  # no row: the defaults
    Column("enabled", Boolean, nullable=False),
    Column("message", Text, nullable=False),  # placeholders {owner} {opportunity} {account} {amount} {close_date} {stage}
    Column("channels", StringList, nullable=False),  # conversation ids where celebrations are shared
    Column("updated_at", _ts(), nullable=False),
)
Table(
    "settings_audit", METADATA,
    Column("seq", _seq(), primary_key=True, autoincrement=True),
    Column("workspace", Text, nullable=False),
    Column("changed_at", _ts(), nullable=False),
    Column("actor", Text, nullable=False),  # Slack user (U…)
    Column("action", Text, nullable=False),  # e.g. roles.grant, lists, layouts, restrictions, settings.import
    Column("target", Text, nullable=False),  # what changed, as a settings path (orgs.acme.lists)
    Column("before", JsonText),
    Column("after", JsonText),
    sqlite_autoincrement=True,
)
Table(
    "notifications", METADATA,
    Column("id", Text, primary_key=True),  # n_<hex>: stable across edits
    Column("workspace", Text, nullable=False),
    Column("alias", Text, nullable=False),  # the org whose changes it watches
    Column("name", Text, nullable=False),  # unique per org
    Column("template", Text, nullable=False),
    Column("object", Text, nullable=False),
    Column("version", Integer, nullable=False),  # +1 at every edit (part of the idempotency key)
    Column("enabled", Boolean, nullable=False),
    Column("definition", JsonText, nullable=False),  # {"spec": NotificationSpec, "resolved": describe at save time}
    Column("created_by", Text, nullable=False),
    Column("created_at", _ts(), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", _ts(), nullable=False),
    UniqueConstraint("alias", "name"),
)
Table(
    "notification_versions", METADATA,
    Column("id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("definition", JsonText, nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("changed_at", _ts(), nullable=False),
    PrimaryKeyConstraint("id", "version"),
)
Table(
    "notification_events", METADATA,
    Column("key", Text, primary_key=True),  # the outbox key (immediate) or the digest item key
    Column("notification_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("alias", Text, nullable=False),
    Column("record_id", Text, nullable=False),
    Column("run_id", Text),  # the sync run (change-based), null for scheduled ones
    Column("period", Text),  # time-based: the period it fired for
    Column("recipient", Text, nullable=False),  # channel id or Slack user id
    Column("delivery", Text, nullable=False),  # immediate, digest
    Column("created_at", _ts(), nullable=False),
)
Table(
    "notification_evaluations", METADATA,
    Column("notification_id", Text, nullable=False),
    Column("alias", Text, nullable=False),
    Column("run_id", Text),  # null: a scheduled (time-based) evaluation
    Column("evaluated_at", _ts(), nullable=False),
    Column("matched", Integer, nullable=False),  # records matched (after collapsing a record's changes)
    Column("cooled", Integer, nullable=False),  # skipped: within the cooldown
    Column("unmapped", Integer, nullable=False),  # DMs skipped: no Slack user for the Salesforce user
    Column("not_member", Integer, nullable=False),  # DMs skipped: no Sales Home permission set
    Column("queued", Integer, nullable=False),  # outbox rows or digest items written
)
Table(
    "digest_items", METADATA,
    Column("key", Text, primary_key=True),
    Column("notification_id", Text, nullable=False),
    Column("notification_name", Text, nullable=False),
    Column("alias", Text, nullable=False),
    Column("recipient", Text, nullable=False),  # channel id or Slack user id
    Column("team_id", Text),
    Column("tz", Text),  # the recipient's time zone (null: UTC)
    Column("schedule", Text, nullable=False),  # daily@09, weekly-mon@09
    Column("line", Text, nullable=False),  # the item, as escaped mrkdwn
    Column("created_at", _ts(), nullable=False),
    Column("digest_key", Text),  # the digest that carried it (null: still waiting)
)
Table(
    "digest_sends", METADATA,
    Column("recipient", Text, nullable=False),
    Column("schedule", Text, nullable=False),
    Column("period", Text, nullable=False),  # the recipient's local date (daily) or ISO week (weekly)
    Column("digest_key", Text, nullable=False),  # the outbox key of the digest
    Column("items", Integer, nullable=False),
    Column("sent_at", _ts(), nullable=False),
    PrimaryKeyConstraint("recipient", "schedule", "period"),
)
Table(
    "celebrations", METADATA,
    Column("alias", Text, nullable=False),
    Column("opportunity_id", Text, nullable=False),
    Column("signed_at", _ts(), nullable=False),  # the signature: OpportunityHistory.CreatedDate of the stage change
    Column("run_id", Text, nullable=False),  # the sync run whose change log showed the win
    Column("owner_id", Text),  # Salesforce user
    Column("slack_user_id", Text),  # null: the owner has no Slack match (message only)
    Column("team_id", Text),
    Column("stage", Text),
    Column("amount", Float),
    Column("currency", Text),
    Column("status_text", Text),  # the banner (<= 100 characters) and its emoji
    Column("status_emoji", Text),
    Column("expires_at", _ts(), nullable=False),  # signed_at + 72 hours
    Column("message_keys", StringList, nullable=False),  # outbox keys of the channel messages (kind celebration)
    Column("banner_key", Text),  # outbox key of the banner (kind banner), null when none
    Column("banner_state", Text, nullable=False),  # pending, set, skipped, failed, none
    Column("banner_reason", Text),  # why it was skipped or failed, or why there is none
    Column("detected_at", _ts(), nullable=False),
    PrimaryKeyConstraint("alias", "opportunity_id", "signed_at"),
)
Table(
    "banner_writes", METADATA,
    Column("user_id", Text, nullable=False),  # Slack user whose status Sales Home wrote (or was about to)
    Column("status_text", Text, nullable=False),
    Column("status_emoji", Text, nullable=False),
    Column("status_expiration", BigInteger, nullable=False),  # Unix time
    Column("written_at", _ts(), nullable=False),  # recorded before the users.profile.set call
    Column("cleared_at", _ts()),  # housekeeping found it expired and cleared it (or gone)
    PrimaryKeyConstraint("user_id", "status_text", "status_emoji", "status_expiration"),
)
Table(
    "evaluation_watermarks", METADATA,
    Column("alias", Text, nullable=False),
    Column("step", Text, nullable=False),  # notifications, celebrations
    Column("warehouse_id", Text, nullable=False),  # the org warehouse file whose change-log positions these are
    Column("position", BigInteger, nullable=False),  # every change committed at or before this was evaluated
    Column("run_id", Text),  # the latest sync run among the changes evaluated
    Column("evaluated_at", _ts(), nullable=False),
    PrimaryKeyConstraint("alias", "step"),
)

Table(
    "app_events", METADATA,
    Column("event_id", Text, primary_key=True),  # Slack's event_id (Ev…): a retry carries the same one
    Column("team_id", Text),
    Column("event_type", Text),
    Column("received_at", _ts(), nullable=False),  # the first delivery taken; rows older than a day are pruned
    Index("app_events_received", "received_at"),
)
Table(
    "oauth_states", METADATA,
    Column("state_hash", Text, primary_key=True),  # SHA-256 of the state sent to Salesforce (the state itself is not kept)
    Column("team_id", Text),
    Column("slack_user_id", Text, nullable=False),  # the member who asked for the link: the only one it serves
    Column("alias", Text, nullable=False),  # the org it connects
    Column("code_verifier", Text, nullable=False),  # PKCE verifier, encrypted (Fernet)
    Column("created_at", _ts(), nullable=False),
    Column("expires_at", _ts(), nullable=False),  # single use: deleted when used, refused after this
)
Table(
    "member_connections", METADATA,
    Column("slack_user_id", Text, nullable=False),
    Column("alias", Text, nullable=False),
    Column("team_id", Text),
    Column("sf_user_id", Text, nullable=False),  # the Salesforce user the tokens act as (the mapped one)
    Column("instance_url", Text, nullable=False),
    Column("identity_url", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),  # encrypted (Fernet): never in clear text
    Column("access_token", Text),  # encrypted (Fernet); null: refresh before use
    Column("connected_at", _ts(), nullable=False),
    Column("refreshed_at", _ts()),  # the access token's last refresh
    PrimaryKeyConstraint("slack_user_id", "alias"),
)
Table(
    "member_notices", METADATA,
    Column("slack_user_id", Text, nullable=False),
    Column("alias", Text, nullable=False),
    Column("reason", Text, nullable=False),  # why the last connection was refused (shown on the Home tab)
    Column("noted_at", _ts(), nullable=False),
    PrimaryKeyConstraint("slack_user_id", "alias"),
)

Table(
    "edit_claims", METADATA,  # a submission of the edit modal taken once: one row per view state (double click)
    Column("claim_key", Text, primary_key=True),  # SHA-256 of the submitted view's id and hash
    Column("trigger_id", Text, nullable=False),  # the submission that holds it (its ack and its lazy listener agree)
    Column("slack_user_id", Text, nullable=False),
    Column("claimed_at", _ts(), nullable=False),  # rows older than a day are pruned
    Column("outcome_view", JsonText),  # the modal showing the save's outcome, once known (a second submission's answer)
    Index("edit_claims_claimed", "claimed_at"),
)
Table(
    "record_edits", METADATA,  # the edit audit: every save tried from Slack and how Salesforce answered
    Column("seq", _seq(), primary_key=True, autoincrement=True),
    Column("alias", Text, nullable=False),
    Column("object", Text, nullable=False),
    Column("record_id", Text, nullable=False),
    Column("record_name", Text),  # as the member read it when saving
    Column("slack_user_id", Text, nullable=False),
    Column("slack_user_name", Text),
    Column("sf_user_id", Text, nullable=False),  # the member's Salesforce user: the save was made as them
    Column("sf_user_name", Text),
    Column("changes", JsonText, nullable=False),  # [{"field", "label", "before", "after"}] as the member read them
    Column("outcome", Text, nullable=False),  # saved, conflict, refused, failed
    Column("detail", Text),  # why not saved: Salesforce's error codes and messages, who changed it since
    Column("edited_at", _ts(), nullable=False),
    Index("record_edits_record", "alias", "record_id"),
    Index("record_edits_edited", "edited_at"),
    sqlite_autoincrement=True,
)


def _kind(column: Column[object]) -> ValueKind:
    if isinstance(column.type, DateTime):
        return "timestamp"
    if isinstance(column.type, Boolean):
        return "bool"
    if isinstance(column.type, StringList):
        return "list"
    return "plain"


@cache
def column_kinds() -> Mapping[str, ValueKind]:
    """Every column name of the schema and the kind of value it holds (one per name: a test checks it); computed
    once (every transaction reads it)."""
    kinds: dict[str, ValueKind] = {}
    for table in METADATA.sorted_tables:
        for column in table.columns:
            kinds.setdefault(column.name, _kind(column))
    return MappingProxyType(kinds)
