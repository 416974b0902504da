"""reminders, executive contact, promise counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('promise_at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', assistant.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('claimed_until', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', assistant.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late_seconds', sa.Float(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_reminder_escalation_id_escalation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('escalation_id', 'kind', 'promise_at', 'due_at', name=op.f('uq_reminder_escalation_id_kind_promise_at_due_at'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_escalation_id'), ['escalation_id'], unique=False)
        batch_op.create_index('ix_reminder_state_due_at', ['state', 'due_at'], unique=False)

    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exec_contact_due_at', assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('exec_contact_done_at', assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('promises_made', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('promises_kept', sa.Integer(), nullable=False, server_default='0'))



def downgrade() -> None:
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_column('promises_kept')
        batch_op.drop_column('promises_made')
        batch_op.drop_column('exec_contact_done_at')
        batch_op.drop_column('exec_contact_due_at')

    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_state_due_at')
        batch_op.drop_index(batch_op.f('ix_reminder_escalation_id'))

    op.drop_table('reminder')
