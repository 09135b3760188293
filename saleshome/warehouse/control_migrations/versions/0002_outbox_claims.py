"""Outbox claims held by a publisher under a lease: ``claimed_by`` (host:pid:token) and ``claimed_until``;
an index on ``(state, seq)`` for the claims' reads of the unsettled items.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 15:05:33.948416
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('outbox', sa.Column('claimed_by', sa.Text(), nullable=True))
    op.add_column('outbox', sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
    op.create_index('outbox_state_seq', 'outbox', ['state', 'seq'], unique=False)


def downgrade() -> None:
    op.drop_index('outbox_state_seq', table_name='outbox')
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
