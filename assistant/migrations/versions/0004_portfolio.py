"""followers, sponsorship, home state, digest runs, root-cause areas

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_follower',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('followed_at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('invited_by_app', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_case_follower_escalation_id_escalation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_follower')),
    sa.UniqueConstraint('escalation_id', 'user_id', name=op.f('uq_case_follower_escalation_id_user_id'))
    )
    with op.batch_alter_table('case_follower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_follower_escalation_id'), ['escalation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_follower_user_id'), ['user_id'], unique=False)

    op.create_table('sponsorship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=200), nullable=False),
    sa.Column('account_name', sa.String(length=200), nullable=False),
    sa.Column('sponsor_id', sa.String(length=32), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_by', sa.String(length=32), nullable=False),
    sa.Column('enrolled_at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_sponsorship_escalation_id_escalation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sponsorship')),
    sa.UniqueConstraint('account_key', name=op.f('uq_sponsorship_account_key'))
    )

    op.create_table('home_state',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('opened_at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_home_state'))
    )

    op.create_table('digest_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week_ending', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('posted_at', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_run')),
    sa.UniqueConstraint('week_ending', name=op.f('uq_digest_run_week_ending'))
    )

    with op.batch_alter_table('root_cause_analysis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cause_area', sa.String(length=32), nullable=True))

    # The portfolio and digest read cases by when they were opened.
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index('ix_case_event_kind_at', ['kind', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index('ix_case_event_kind_at')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_created_at'))
    with op.batch_alter_table('root_cause_analysis', schema=None) as batch_op:
        batch_op.drop_column('cause_area')
    op.drop_table('digest_run')
    op.drop_table('home_state')
    op.drop_table('sponsorship')
    with op.batch_alter_table('case_follower', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_follower_user_id'))
        batch_op.drop_index(batch_op.f('ix_case_follower_escalation_id'))
    op.drop_table('case_follower')
