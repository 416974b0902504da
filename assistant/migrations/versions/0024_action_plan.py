"""The whole practice (issue 23): the action plan, whose steps are action items of the case (no RCA)
with a due time

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rca_action_item') as batch:
        batch.add_column(sa.Column('escalation_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('due_at', UTCDateTime(), nullable=True))
    # Every RCA item belongs to its RCA's case.
    op.execute(
        'UPDATE rca_action_item SET escalation_id = (SELECT escalation_id FROM root_cause_analysis '
        'WHERE root_cause_analysis.id = rca_action_item.rca_id)'
    )
    with op.batch_alter_table('rca_action_item') as batch:
        batch.alter_column('escalation_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('rca_id', existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key('fk_rca_action_item_escalation_id', 'escalation', ['escalation_id'], ['id'])
        batch.create_index('ix_rca_action_item_escalation_id', ['escalation_id'], unique=False)


def downgrade() -> None:
    op.execute('DELETE FROM rca_action_item WHERE rca_id IS NULL')
    with op.batch_alter_table('rca_action_item') as batch:
        batch.drop_index('ix_rca_action_item_escalation_id')
        batch.drop_constraint('fk_rca_action_item_escalation_id', type_='foreignkey')
        batch.alter_column('rca_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('due_at')
        batch.drop_column('escalation_id')
