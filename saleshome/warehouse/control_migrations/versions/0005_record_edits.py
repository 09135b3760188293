"""Edits from Slack (issue 20 §1): a submission of the edit modal taken once (``edit_claims``: one row per view
state, Slack's view id and hash, so a double click saves once; the outcome's view kept for the second answer), and
the edit audit (``record_edits``: who in Slack and in Salesforce changed which record, each field before → after,
and how Salesforce answered).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('edit_claims',
    sa.Column('claim_key', sa.Text(), nullable=False),
    sa.Column('trigger_id', sa.Text(), nullable=False),
    sa.Column('slack_user_id', sa.Text(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome_view', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('claim_key')
    )
    op.create_index('edit_claims_claimed', 'edit_claims', ['claimed_at'], unique=False)
    op.create_table('record_edits',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('object', sa.Text(), nullable=False),
    sa.Column('record_id', sa.Text(), nullable=False),
    sa.Column('record_name', sa.Text(), nullable=True),
    sa.Column('slack_user_id', sa.Text(), nullable=False),
    sa.Column('slack_user_name', sa.Text(), nullable=True),
    sa.Column('sf_user_id', sa.Text(), nullable=False),
    sa.Column('sf_user_name', sa.Text(), nullable=True),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sqlite_autoincrement=True
    )
    op.create_index('record_edits_record', 'record_edits', ['alias', 'record_id'], unique=False)
    op.create_index('record_edits_edited', 'record_edits', ['edited_at'], unique=False)


def downgrade() -> None:
    op.drop_index('record_edits_edited', table_name='record_edits')
    op.drop_index('record_edits_record', table_name='record_edits')
    op.drop_table('record_edits')
    op.drop_index('edit_claims_claimed', table_name='edit_claims')
    op.drop_table('edit_claims')
