"""slack deliveries (post once), handled submissions (replays), app notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attempted_at', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('uncertain', sa.Boolean(), nullable=False),
    sa.Column('done_at', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('ts', sa.String(length=32), nullable=True),
    sa.Column('given_up_at', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_delivery')),
    sa.UniqueConstraint('key', name=op.f('uq_slack_delivery_key'))
    )
    with op.batch_alter_table('slack_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_delivery_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('handled_submission',
    sa.Column('view_id', sa.String(length=64), nullable=False),
    sa.Column('view_hash', sa.String(length=64), nullable=False),
    sa.Column('at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('view_id', 'view_hash', name=op.f('pk_handled_submission'))
    )
    op.create_table('app_notice',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('since', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('told_at', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_notice'))
    )


def downgrade() -> None:
    op.drop_table('app_notice')
    op.drop_table('handled_submission')
    with op.batch_alter_table('slack_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_delivery_escalation_id'))
    op.drop_table('slack_delivery')
