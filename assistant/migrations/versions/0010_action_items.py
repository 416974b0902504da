"""RCA action items are followed: done, reminded, escalated when overdue

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENTS = ('done_at', 'reminded_at', 'escalated_at')


def upgrade() -> None:
    with op.batch_alter_table('rca_action_item') as batch:
        for name in MOMENTS:
            batch.add_column(sa.Column(name, assistant.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('done_by', sa.String(length=32), nullable=True))
    op.create_index('ix_rca_action_item_owner_id', 'rca_action_item', ['owner_id'])
    op.create_index('ix_rca_action_item_due_on', 'rca_action_item', ['due_on'])


def downgrade() -> None:
    op.drop_index('ix_rca_action_item_due_on', table_name='rca_action_item')
    op.drop_index('ix_rca_action_item_owner_id', table_name='rca_action_item')
    with op.batch_alter_table('rca_action_item') as batch:
        batch.drop_column('done_by')
        for name in reversed(MOMENTS):
            batch.drop_column(name)
