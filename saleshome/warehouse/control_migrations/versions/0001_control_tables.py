"""The control tables as the DuckDB control file held them (moved to SQLite and PostgreSQL).

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-07 14:36:46.801887
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_budget',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('used', sa.BigInteger(), nullable=True),
    sa.Column('max', sa.BigInteger(), nullable=True),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('alias')
    )
    op.create_table('banner_writes',
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('status_text', sa.Text(), nullable=False),
    sa.Column('status_emoji', sa.Text(), nullable=False),
    sa.Column('status_expiration', sa.BigInteger(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('user_id', 'status_text', 'status_emoji', 'status_expiration')
    )
    op.create_table('celebration_settings',
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('channels', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('workspace')
    )
    op.create_table('celebrations',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('opportunity_id', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Text(), nullable=True),
    sa.Column('slack_user_id', sa.Text(), nullable=True),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('stage', sa.Text(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('currency', sa.Text(), nullable=True),
    sa.Column('status_text', sa.Text(), nullable=True),
    sa.Column('status_emoji', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_keys', sa.Text(), nullable=False),
    sa.Column('banner_key', sa.Text(), nullable=True),
    sa.Column('banner_state', sa.Text(), nullable=False),
    sa.Column('banner_reason', sa.Text(), nullable=True),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias', 'opportunity_id', 'signed_at')
    )
    op.create_table('conversation_cache',
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('info', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel')
    )
    op.create_table('default_list_views',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('object', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('list_view_id', sa.Text(), nullable=False),
    sa.Column('developer_name', sa.Text(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('alias', 'object', 'list_view_id')
    )
    op.create_table('digest_items',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('notification_id', sa.Text(), nullable=False),
    sa.Column('notification_name', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('tz', sa.Text(), nullable=True),
    sa.Column('schedule', sa.Text(), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('digest_key', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('digest_sends',
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('schedule', sa.Text(), nullable=False),
    sa.Column('period', sa.Text(), nullable=False),
    sa.Column('digest_key', sa.Text(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('recipient', 'schedule', 'period')
    )
    op.create_table('dm_channels',
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('channel_id', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('evaluation_watermarks',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('step', sa.Text(), nullable=False),
    sa.Column('warehouse_id', sa.Text(), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.Text(), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias', 'step')
    )
    op.create_table('notification_evaluations',
    sa.Column('notification_id', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('run_id', sa.Text(), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('cooled', sa.Integer(), nullable=False),
    sa.Column('unmapped', sa.Integer(), nullable=False),
    sa.Column('not_member', sa.Integer(), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False)
    )
    op.create_table('notification_events',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('notification_id', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('record_id', sa.Text(), nullable=False),
    sa.Column('run_id', sa.Text(), nullable=True),
    sa.Column('period', sa.Text(), nullable=True),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('delivery', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('notification_restrictions',
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('allow_public', sa.Boolean(), nullable=False),
    sa.Column('allow_private', sa.Boolean(), nullable=False),
    sa.Column('allow_direct', sa.Boolean(), nullable=False),
    sa.Column('include_external', sa.Boolean(), nullable=False),
    sa.Column('allowed_teams', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('workspace')
    )
    op.create_table('notification_versions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', 'version')
    )
    op.create_table('notifications',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('object', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alias', 'name')
    )
    op.create_table('object_state',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('object', sa.Text(), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=True),
    sa.Column('cursor', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_id', sa.Text(), nullable=True),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_path', sa.Text(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('alias', 'object')
    )
    op.create_table('org_settings',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('objects', sa.Text(), nullable=False),
    sa.Column('won_stage', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias')
    )
    op.create_table('orgs',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('org_id', sa.Text(), nullable=False),
    sa.Column('org_name', sa.Text(), nullable=True),
    sa.Column('instance_url', sa.Text(), nullable=False),
    sa.Column('login_url', sa.Text(), nullable=False),
    sa.Column('auth_method', sa.Text(), nullable=False),
    sa.Column('credential_ref', sa.Text(), nullable=False),
    sa.Column('ca_file', sa.Text(), nullable=True),
    sa.Column('api_version', sa.Text(), nullable=False),
    sa.Column('is_sandbox', sa.Boolean(), nullable=False),
    sa.Column('objects', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('alias')
    )
    op.create_table('outbox',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=True),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('blocks', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_channel', sa.Text(), nullable=True),
    sa.Column('sent_ts', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('permalink', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('key'),
    sqlite_autoincrement=True
    )
    op.create_table('record_layouts',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('object', sa.Text(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('editable', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias', 'object')
    )
    op.create_table('role_assignments',
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('granted_by', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('workspace', 'user_id', 'role')
    )
    op.create_table('settings_audit',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sqlite_autoincrement=True
    )
    op.create_table('sync_runs',
    sa.Column('run_id', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('notify', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('api_calls', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('host', sa.Text(), nullable=True),
    sa.Column('lease_seconds', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('run_id')
    )
    op.create_table('user_map',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('sf_user_id', sa.Text(), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('slack_user_id', sa.Text(), nullable=True),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('tz', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locale', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('alias', 'sf_user_id')
    )
    op.create_table('workspaces',
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('sales_elevate', sa.Boolean(), nullable=False),
    sa.Column('team_ids', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.Column('default_locale', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('workspace')
    )


def downgrade() -> None:
    op.drop_table('workspaces')
    op.drop_table('user_map')
    op.drop_table('sync_runs')
    op.drop_table('settings_audit')
    op.drop_table('role_assignments')
    op.drop_table('record_layouts')
    op.drop_table('outbox')
    op.drop_table('orgs')
    op.drop_table('org_settings')
    op.drop_table('object_state')
    op.drop_table('notifications')
    op.drop_table('notification_versions')
    op.drop_table('notification_restrictions')
    op.drop_table('notification_events')
    op.drop_table('notification_evaluations')
    op.drop_table('evaluation_watermarks')
    op.drop_table('dm_channels')
    op.drop_table('digest_sends')
    op.drop_table('digest_items')
    op.drop_table('default_list_views')
    op.drop_table('conversation_cache')
    op.drop_table('celebrations')
    op.drop_table('celebration_settings')
    op.drop_table('banner_writes')
    op.drop_table('api_budget')
