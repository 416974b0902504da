"""lifecycle: acknowledgement, updates, resolution, RCA, close

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('root_cause_analysis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=False),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=False),
    sa.Column('contributing_factors', sa.Text(), nullable=False),
    sa.Column('customer_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_root_cause_analysis_escalation_id_escalation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_root_cause_analysis'))
    )
    with op.batch_alter_table('root_cause_analysis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_root_cause_analysis_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('status_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=False),
    sa.Column('internal_text', sa.Text(), nullable=False),
    sa.Column('customer_text', sa.Text(), nullable=False),
    sa.Column('next_update_due_at', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_status_update_escalation_id_escalation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_update'))
    )
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_update_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('rca_action_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rca_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['rca_id'], ['root_cause_analysis.id'], name=op.f('fk_rca_action_item_rca_id_root_cause_analysis')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rca_action_item'))
    )
    with op.batch_alter_table('rca_action_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rca_action_item_rca_id'), ['rca_id'], unique=False)

    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('resolving_team', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('customer_acknowledgement', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_update_due_at', assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution_summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('resolution_fix', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('customer_confirmed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('rca_due_at', assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('no_rca_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sponsorship_requested', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_escalation_next_update_due_at'), ['next_update_due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_next_update_due_at'))
        batch_op.drop_column('sponsorship_requested')
        batch_op.drop_column('satisfaction_comment')
        batch_op.drop_column('satisfaction_score')
        batch_op.drop_column('no_rca_reason')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('rca_due_at')
        batch_op.drop_column('customer_confirmed')
        batch_op.drop_column('resolution_fix')
        batch_op.drop_column('resolution_summary')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('next_update_due_at')
        batch_op.drop_column('customer_acknowledgement')
        batch_op.drop_column('acknowledged_by')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('resolving_team')
        batch_op.drop_column('kind')

    with op.batch_alter_table('rca_action_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rca_action_item_rca_id'))

    op.drop_table('rca_action_item')
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_update_escalation_id'))

    op.drop_table('status_update')
    with op.batch_alter_table('root_cause_analysis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_root_cause_analysis_escalation_id'))

    op.drop_table('root_cause_analysis')
