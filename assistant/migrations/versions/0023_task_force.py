"""The whole practice (issue 23): the task force, due by the playbook per severity and called by
the owner or a manager

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('escalation', sa.Column('task_force_due_at', UTCDateTime(), nullable=True))
    op.add_column('escalation', sa.Column('task_force_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('task_force_at')
        batch.drop_column('task_force_due_at')
