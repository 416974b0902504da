"""Background work that failed unexpectedly: one row per item that raised, with its back-off and
whether it was parked (and the managers told)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'work_fault',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loop', sa.String(40), nullable=False),
        sa.Column('item', sa.String(120), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('faults', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('first_at', UTCDateTime(), nullable=False),
        sa.Column('last_at', UTCDateTime(), nullable=False),
        sa.Column('last_error', sa.String(300), nullable=False, server_default=''),
        sa.Column('next_try_at', UTCDateTime(), nullable=True),
        sa.Column('parked_at', UTCDateTime(), nullable=True),
        sa.Column('told_at', UTCDateTime(), nullable=True),
        sa.Column('resolved_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_work_fault'),
        sa.UniqueConstraint('loop', 'item', name='uq_work_fault_loop_item'),
    )


def downgrade() -> None:
    op.drop_table('work_fault')
