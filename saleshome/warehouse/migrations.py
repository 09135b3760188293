"""Our own tables in the control database, as ordered migrations (applied once, recorded).

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

CONTROL_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_orgs_and_sync_state",
        """
        CREATE TABLE orgs (
            alias VARCHAR PRIMARY KEY,
            workspace VARCHAR NOT NULL,
            org_id VARCHAR NOT NULL,
            org_name VARCHAR,
            instance_url VARCHAR NOT NULL,
            login_url VARCHAR NOT NULL,
            auth_method VARCHAR NOT NULL,
            credential_ref VARCHAR NOT NULL,   -- where the secret lives (env:PREFIX, prefect-secret:BLOCK), never the secret
            ca_file VARCHAR,                   -- a private CA to trust (the sandbox); null for real orgs
            api_version VARCHAR NOT NULL,
            is_sandbox BOOLEAN NOT NULL,
            objects VARCHAR[],                 -- null: the default set
            created_at TIMESTAMPTZ NOT NULL,
            status VARCHAR NOT NULL,           -- new, syncing, ok, failed, paused_for_quota
            last_sync_at TIMESTAMPTZ,
            last_error VARCHAR
        );
        CREATE TABLE sync_runs (
            run_id VARCHAR PRIMARY KEY,
            alias VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,             -- initial, incremental, full, backfill
            notify BOOLEAN NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            ended_at TIMESTAMPTZ,
            status VARCHAR NOT NULL,           -- running, completed, failed, paused_for_quota
            api_calls INTEGER,
            error VARCHAR
        );
        CREATE TABLE object_state (
            alias VARCHAR NOT NULL,
            object VARCHAR NOT NULL,
            rows BIGINT,
            cursor TIMESTAMPTZ,
            last_run_id VARCHAR,
            last_synced_at TIMESTAMPTZ,
            last_path VARCHAR,
            last_error VARCHAR,
            PRIMARY KEY (alias, object)
        );
        CREATE TABLE api_budget (
            alias VARCHAR PRIMARY KEY,
            used BIGINT,
            max BIGINT,
            observed_at TIMESTAMPTZ
        );
        """,
    ),
    (
        "0002_outbox_and_user_map",
        """
        CREATE SEQUENCE outbox_seq;
        CREATE TABLE outbox (
            key VARCHAR PRIMARY KEY,           -- deterministic idempotency key (also in the message metadata)
            seq BIGINT NOT NULL DEFAULT nextval('outbox_seq'),  -- order of publication within a channel
            kind VARCHAR NOT NULL,             -- notification, digest, celebration
            alias VARCHAR,                     -- the org it came from
            team_id VARCHAR,                   -- the workspace it goes to
            channel VARCHAR NOT NULL,          -- C…/G… channel id, or U… user id for a DM
            text VARCHAR NOT NULL,             -- plain-text fallback (notifications, screen readers)
            blocks JSON,
            created_at TIMESTAMPTZ NOT NULL,
            state VARCHAR NOT NULL,            -- pending, sending, sent, dead, blocked
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TIMESTAMPTZ,
            last_error VARCHAR,
            sent_channel VARCHAR,
            sent_ts VARCHAR,
            sent_at TIMESTAMPTZ,
            permalink VARCHAR
        );
        CREATE TABLE dm_channels (
            team_id VARCHAR,
            user_id VARCHAR NOT NULL,
            channel_id VARCHAR NOT NULL,
            PRIMARY KEY (user_id)
        );
        CREATE TABLE user_map (
            alias VARCHAR NOT NULL,
            sf_user_id VARCHAR NOT NULL,
            email VARCHAR,
            slack_user_id VARCHAR,
            team_id VARCHAR,
            tz VARCHAR,
            status VARCHAR NOT NULL,           -- matched, unmatched, inactive
            refreshed_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (alias, sf_user_id)
        );
        CREATE TABLE notification_restrictions (
            workspace VARCHAR PRIMARY KEY,
            allow_public BOOLEAN NOT NULL,
            allow_private BOOLEAN NOT NULL,
            allow_direct BOOLEAN NOT NULL,     -- DMs and group DMs
            include_external BOOLEAN NOT NULL, -- Slack Connect external channels
            allowed_teams VARCHAR[],           -- null: every workspace of the organisation
            updated_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
)

CONTROL_MIGRATIONS += (
    (
        "0003_conversation_cache",
        """
        CREATE TABLE conversation_cache (
            channel VARCHAR PRIMARY KEY,
            info JSON NOT NULL,                -- the conversation object (type, shared flags, team)
            fetched_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
)

CONTROL_MIGRATIONS += (
    (
        "0004_sales_home_settings",
        """
        CREATE TABLE workspaces (
            workspace VARCHAR PRIMARY KEY,     -- Settings.workspace: one Slack workspace or Enterprise organisation
            plan VARCHAR NOT NULL,             -- free, pro, business_plus, enterprise_grid, enterprise_plus
            sales_elevate BOOLEAN NOT NULL,    -- the Sales Elevate add-on
            team_ids VARCHAR[] NOT NULL,       -- its Slack workspaces (T…)
            updated_at TIMESTAMPTZ NOT NULL,
            updated_by VARCHAR NOT NULL        -- the Slack user (U…) who set the plan
        );
        CREATE TABLE role_assignments (
            workspace VARCHAR NOT NULL,
            user_id VARCHAR NOT NULL,          -- Slack user (U…)
            role VARCHAR NOT NULL,             -- sales_admin
            granted_by VARCHAR NOT NULL,
            granted_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (workspace, user_id, role)
        );
        CREATE TABLE org_settings (
            alias VARCHAR PRIMARY KEY,         -- no row: the defaults (five standard objects, any IsWon stage)
            objects VARCHAR[] NOT NULL,        -- the objects shown in Sales Home, in order
            won_stage VARCHAR,                 -- null: any stage with IsWon
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE default_list_views (
            alias VARCHAR NOT NULL,
            object VARCHAR NOT NULL,
            position INTEGER NOT NULL,         -- 0..24: at most 25 per object
            list_view_id VARCHAR NOT NULL,     -- 15-character id, as /sobjects/{object}/listviews gives it
            developer_name VARCHAR NOT NULL,
            label VARCHAR NOT NULL,
            PRIMARY KEY (alias, object, list_view_id)
        );
        CREATE TABLE record_layouts (
            alias VARCHAR NOT NULL,            -- no row for an object: the default layout (name + key fields)
            object VARCHAR NOT NULL,
            fields VARCHAR[] NOT NULL,         -- shown in Slack, in order
            editable VARCHAR[] NOT NULL,       -- the subset members may edit
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (alias, object)
        );
        CREATE TABLE celebration_settings (
            workspace VARCHAR PRIMARY KEY,     -- no row: the defaults
            enabled BOOLEAN NOT NULL,
            message VARCHAR NOT NULL,          -- placeholders {owner} {opportunity} {account} {amount} {close_date} {stage}
            channels VARCHAR[] NOT NULL,       -- conversation ids where celebrations are shared
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE SEQUENCE settings_audit_seq;
        CREATE TABLE settings_audit (
            seq BIGINT NOT NULL DEFAULT nextval('settings_audit_seq'),
            workspace VARCHAR NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL,
            actor VARCHAR NOT NULL,            -- Slack user (U…)
            action VARCHAR NOT NULL,           -- e.g. roles.grant, lists, layouts, restrictions, settings.import
            target VARCHAR NOT NULL,           -- what changed, as a settings path (orgs.acme.lists)
            before JSON,
            after JSON
        );
        """,
    ),
)

CONTROL_MIGRATIONS += (
    (
        "0005_notifications",
        """
        CREATE TABLE notifications (
            id VARCHAR PRIMARY KEY,            -- n_<hex>: stable across edits
            workspace VARCHAR NOT NULL,
            alias VARCHAR NOT NULL,            -- the org whose changes it watches
            name VARCHAR NOT NULL,             -- unique per org
            template VARCHAR NOT NULL,
            object VARCHAR NOT NULL,
            version INTEGER NOT NULL,          -- +1 at every edit (part of the idempotency key)
            enabled BOOLEAN NOT NULL,
            definition JSON NOT NULL,          -- {"spec": NotificationSpec, "resolved": what describe said at save time}
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_by VARCHAR NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            UNIQUE (alias, name)
        );
        CREATE TABLE notification_versions (
            id VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            definition JSON NOT NULL,
            changed_by VARCHAR NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (id, version)
        );
        CREATE TABLE notification_events (
            key VARCHAR PRIMARY KEY,           -- the outbox key (immediate) or the digest item key
            notification_id VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            alias VARCHAR NOT NULL,
            record_id VARCHAR NOT NULL,
            run_id VARCHAR,                    -- the sync run (change-based), null for scheduled ones
            period VARCHAR,                    -- time-based: the period it fired for
            recipient VARCHAR NOT NULL,        -- channel id or Slack user id
            delivery VARCHAR NOT NULL,         -- immediate, digest
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE notification_evaluations (
            notification_id VARCHAR NOT NULL,
            alias VARCHAR NOT NULL,
            run_id VARCHAR,                    -- null: a scheduled (time-based) evaluation
            evaluated_at TIMESTAMPTZ NOT NULL,
            matched INTEGER NOT NULL,          -- records matched (after collapsing a record's changes)
            cooled INTEGER NOT NULL,           -- skipped: within the cooldown
            unmapped INTEGER NOT NULL,         -- DMs skipped: no Slack user for the Salesforce user
            not_member INTEGER NOT NULL,       -- DMs skipped: no Sales Home permission set
            queued INTEGER NOT NULL            -- outbox rows or digest items written
        );
        CREATE TABLE digest_items (
            key VARCHAR PRIMARY KEY,
            notification_id VARCHAR NOT NULL,
            notification_name VARCHAR NOT NULL,
            alias VARCHAR NOT NULL,
            recipient VARCHAR NOT NULL,        -- channel id or Slack user id
            team_id VARCHAR,
            tz VARCHAR,                        -- the recipient's time zone (null: UTC)
            schedule VARCHAR NOT NULL,         -- daily@09, weekly-mon@09
            line VARCHAR NOT NULL,             -- the item, as escaped mrkdwn
            created_at TIMESTAMPTZ NOT NULL,
            digest_key VARCHAR                 -- the digest that carried it (null: still waiting)
        );
        CREATE TABLE digest_sends (
            recipient VARCHAR NOT NULL,
            schedule VARCHAR NOT NULL,
            period VARCHAR NOT NULL,           -- the recipient's local date (daily) or ISO week (weekly)
            digest_key VARCHAR NOT NULL,       -- the outbox key of the digest
            items INTEGER NOT NULL,
            sent_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (recipient, schedule, period)
        );
        """,
    ),
)

CONTROL_MIGRATIONS += (
    (
        "0006_celebrations",
        """
        CREATE TABLE celebrations (
            alias VARCHAR NOT NULL,
            opportunity_id VARCHAR NOT NULL,
            signed_at TIMESTAMPTZ NOT NULL,    -- the signature: OpportunityHistory.CreatedDate of the stage change
            run_id VARCHAR NOT NULL,           -- the sync run whose change log showed the win
            owner_id VARCHAR,                  -- Salesforce user
            slack_user_id VARCHAR,             -- null: the owner has no Slack match (message only)
            team_id VARCHAR,
            stage VARCHAR,
            amount DOUBLE,
            currency VARCHAR,
            status_text VARCHAR,               -- the banner (<= 100 characters) and its emoji
            status_emoji VARCHAR,
            expires_at TIMESTAMPTZ NOT NULL,   -- signed_at + 72 hours
            message_keys VARCHAR[] NOT NULL,   -- outbox keys of the channel messages (kind celebration)
            banner_key VARCHAR,                -- outbox key of the banner (kind banner), null when none
            banner_state VARCHAR NOT NULL,     -- pending, set, skipped, failed, none
            banner_reason VARCHAR,             -- why it was skipped or failed, or why there is none
            detected_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (alias, opportunity_id, signed_at)
        );
        CREATE TABLE banner_writes (
            user_id VARCHAR NOT NULL,          -- Slack user whose status Sales Home wrote (or was about to)
            status_text VARCHAR NOT NULL,
            status_emoji VARCHAR NOT NULL,
            status_expiration BIGINT NOT NULL, -- Unix time
            written_at TIMESTAMPTZ NOT NULL,   -- recorded before the users.profile.set call
            cleared_at TIMESTAMPTZ,            -- housekeeping found it expired and cleared it (or gone)
            PRIMARY KEY (user_id, status_text, status_emoji, status_expiration)
        );
        """,
    ),
)

CONTROL_MIGRATIONS += (
    (
        "0007_run_heartbeats",
        """
        -- sync_runs.status gains 'crashed': its process died while it ran (saleshome.sync.runs)
        ALTER TABLE sync_runs ADD COLUMN heartbeat_at TIMESTAMPTZ;  -- refreshed while the run works; its last sign of life
        ALTER TABLE sync_runs ADD COLUMN pid INTEGER;               -- the process running it
        ALTER TABLE sync_runs ADD COLUMN host VARCHAR;              -- the host of that process
        ALTER TABLE sync_runs ADD COLUMN lease_seconds DOUBLE;      -- silent longer than this after its heartbeat: dead
        """,
    ),
)

ORG_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_sync_metadata",
        """
        CREATE SCHEMA IF NOT EXISTS sf;
        CREATE TABLE cursors (
            object VARCHAR PRIMARY KEY,
            cursor_field VARCHAR NOT NULL,
            cursor TIMESTAMPTZ,               -- every change stamped before this has been applied
            last_reconciled_at TIMESTAMPTZ,
            initial_done BOOLEAN NOT NULL DEFAULT false,
            updated_at TIMESTAMPTZ NOT NULL,
            run_id VARCHAR
        );
        CREATE TABLE columns (
            object VARCHAR NOT NULL,
            name VARCHAR NOT NULL,             -- column name in sf."Object" (the field name, or a path like Owner.Email)
            sf_type VARCHAR NOT NULL,
            duck_type VARCHAR NOT NULL,
            added_at TIMESTAMPTZ NOT NULL,
            removed_at TIMESTAMPTZ,            -- the field left the org's describe; the column and data stay
            PRIMARY KEY (object, name)
        );
        CREATE TABLE change_log (
            run_id VARCHAR NOT NULL,
            object VARCHAR NOT NULL,
            record_id VARCHAR NOT NULL,
            system_modstamp TIMESTAMPTZ,
            operation VARCHAR NOT NULL,        -- insert, update, delete, undelete
            field VARCHAR,                     -- null for insert/delete/undelete rows
            old_value VARCHAR,
            new_value VARCHAR,
            initial BOOLEAN NOT NULL,          -- produced by an initial sync or a backfill (silent)
            applied_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            notify BOOLEAN NOT NULL,
            started_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
)

ORG_MIGRATIONS += (
    (
        "0002_change_positions",
        """
        -- The position at which a window's changes committed: every row a transaction logs shares one
        -- value, taken while no other transaction of the file can commit (OrgWarehouse.committing), so
        -- positions increase in commit order.  Evaluation reads (watermark, max] and never skips a change.
        -- Rows logged before positions existed keep NULL (they were evaluated run by run).
        CREATE SEQUENCE change_position START 1;
        ALTER TABLE change_log ADD COLUMN commit_seq BIGINT;
        -- This file's identity: a watermark kept in the control store holds only for the file it was read from
        -- (an org removed and connected again starts a new file, and its positions start again at 1).
        CREATE TABLE warehouse_identity (id VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL);
        INSERT INTO warehouse_identity SELECT CAST(uuid() AS VARCHAR), now();
        """,
    ),
)

CONTROL_MIGRATIONS += (
    (
        "0008_evaluation_watermarks",
        """
        CREATE TABLE evaluation_watermarks (
            alias VARCHAR NOT NULL,
            step VARCHAR NOT NULL,             -- notifications, celebrations
            warehouse_id VARCHAR NOT NULL,     -- the org warehouse file whose change-log positions these are
            position BIGINT NOT NULL,          -- every change committed at or before this position was evaluated
            run_id VARCHAR,                    -- the latest sync run among the changes evaluated
            evaluated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (alias, step)
        );
        """,
    ),
)

CONTROL_MIGRATIONS += (
    (
        "0009_locales",
        """
        -- The language a member reads (their Slack locale, users.info include_locale), kept with the user map;
        -- null: not known yet (the workspace's default is used).
        ALTER TABLE user_map ADD COLUMN locale VARCHAR;
        -- The language of messages posted in channels (null: en-US).
        ALTER TABLE workspaces ADD COLUMN default_locale VARCHAR;
        """,
    ),
)
