"""The whole practice (issue 23): approvals (a concession, an enterprise customer's RCA) and
concessions with their value

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'concession',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=300), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_by', sa.String(length=32), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_concession_escalation_id', 'concession', ['escalation_id'], unique=False)
    op.create_table(
        'approval',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('approvers', sa.JSON(), nullable=False),
        sa.Column('groups', sa.JSON(), nullable=False),
        sa.Column('requested_by', sa.String(length=32), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=32), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_approval_escalation_id', 'approval', ['escalation_id'], unique=False)
    op.add_column('customer_communication', sa.Column('approval_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customer_communication') as batch:
        batch.drop_column('approval_id')
    op.drop_index('ix_approval_escalation_id', table_name='approval')
    op.drop_table('approval')
    op.drop_index('ix_concession_escalation_id', table_name='concession')
    op.drop_table('concession')
