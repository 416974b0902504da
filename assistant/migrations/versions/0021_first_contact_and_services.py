"""The whole practice (issue 23): stage 2's promise that the customer hears from us within the
first hour, kept on the case (customer_heard_at says when they did); stage 1's affected services

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Cases opened before this have no such promise: nothing is owed on them.
    op.add_column('escalation', sa.Column('first_contact_due_at', UTCDateTime(), nullable=True))
    op.add_column('escalation', sa.Column('customer_told_at', UTCDateTime(), nullable=True))
    op.add_column(
        'escalation',
        sa.Column('affected_services', sa.JSON(), nullable=False, server_default='[]'),
    )


def downgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('affected_services')
        batch.drop_column('customer_told_at')
        batch.drop_column('first_contact_due_at')
