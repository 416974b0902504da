"""provisioning steps are leased one by one (the work queue runs them in parallel); unfinished steps
and claimed reminders indexed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("done_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('provisioning_step') as batch:
        batch.add_column(sa.Column('lease_until', assistant.models.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        'ix_provisioning_step_unfinished',
        'provisioning_step',
        ['escalation_id'],
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('provisioning_lease_until')
    op.create_index('ix_reminder_state_claimed_until', 'reminder', ['state', 'claimed_until'])


def downgrade() -> None:
    op.drop_index('ix_reminder_state_claimed_until', table_name='reminder')
    with op.batch_alter_table('escalation') as batch:
        batch.add_column(
            sa.Column('provisioning_lease_until', assistant.models.UTCDateTime(timezone=True), nullable=True)
        )
    op.drop_index('ix_provisioning_step_unfinished', table_name='provisioning_step')
    with op.batch_alter_table('provisioning_step') as batch:
        batch.drop_column('lease_until')
