"""Notifications members configure for themselves (issue 20 §2): ``member_subscriptions`` (a notification whose
recipient is the member and whose scope is a condition) and ``member_template_settings`` (per org and template,
whether sales admins allow members to subscribe to it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 20:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_template_settings',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias', 'template')
    )
    op.create_table('member_subscriptions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('slack_user_id', sa.Text(), nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('object', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('delivery', sa.Text(), nullable=False),
    sa.Column('digest_hour', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('member_subscriptions_member', 'member_subscriptions', ['alias', 'slack_user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('member_subscriptions_member', table_name='member_subscriptions')
    op.drop_table('member_subscriptions')
    op.drop_table('member_template_settings')
