"""Mappings a sales admin approved (``approved_members``): a Salesforce user linked to a Slack user whatever their
emails say (``saleshome org approve-member``); the user-map step honours them (``user_map.status = 'approved'``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('approved_members',
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('sf_user_id', sa.Text(), nullable=False),
    sa.Column('slack_user_id', sa.Text(), nullable=False),
    sa.Column('approved_by', sa.Text(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias', 'sf_user_id'),
    sa.UniqueConstraint('alias', 'slack_user_id', name='approved_members_slack_user')
    )


def downgrade() -> None:
    op.drop_table('approved_members')
