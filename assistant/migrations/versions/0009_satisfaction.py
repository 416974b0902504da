"""escalation.satisfaction_recorded_at (reports count answers by it); closed_at indexed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.add_column(
            sa.Column('satisfaction_recorded_at', assistant.models.UTCDateTime(timezone=True), nullable=True)
        )
    # Answers recorded before this column existed: their case's last change is the best date known.
    op.execute(
        "UPDATE escalation SET satisfaction_recorded_at = updated_at WHERE satisfaction_score IS NOT NULL"
    )
    op.create_index('ix_escalation_satisfaction_recorded_at', 'escalation', ['satisfaction_recorded_at'])
    op.create_index('ix_escalation_closed_at', 'escalation', ['closed_at'])


def downgrade() -> None:
    op.drop_index('ix_escalation_closed_at', table_name='escalation')
    op.drop_index('ix_escalation_satisfaction_recorded_at', table_name='escalation')
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('satisfaction_recorded_at')
