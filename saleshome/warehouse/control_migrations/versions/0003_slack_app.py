"""The Slack app (``saleshome app serve``): events taken (``app_events``, retries de-duplicated by ``event_id``),
pending Salesforce connections (``oauth_states``: PKCE, single use, expiring), members' Salesforce connections
(``member_connections``, tokens encrypted), the reason a connection was refused (``member_notices``), and each
mapped user's Sales Home permission set as last synced (``user_map.sales_home_user``: the app reads it instead of
opening the org's warehouse).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_events',
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('event_type', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index('app_events_received', 'app_events', ['received_at'], unique=False)
    op.create_table('member_connections',
    sa.Column('slack_user_id', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('sf_user_id', sa.Text(), nullable=False),
    sa.Column('instance_url', sa.Text(), nullable=False),
    sa.Column('identity_url', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('slack_user_id', 'alias')
    )
    op.create_table('member_notices',
    sa.Column('slack_user_id', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slack_user_id', 'alias')
    )
    op.create_table('oauth_states',
    sa.Column('state_hash', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('slack_user_id', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('code_verifier', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('state_hash')
    )
    op.add_column('user_map', sa.Column('sales_home_user', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_map') as batch_op:
        batch_op.drop_column('sales_home_user')
    op.drop_table('oauth_states')
    op.drop_table('member_notices')
    op.drop_table('member_connections')
    op.drop_index('app_events_received', table_name='app_events')
    op.drop_table('app_events')
