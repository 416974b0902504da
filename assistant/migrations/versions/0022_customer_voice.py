"""The whole practice (issue 23): the voice of the customer, logged in one step with no case

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'customer_voice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_name', sa.String(200), nullable=False),
        sa.Column('account_key', sa.String(200), nullable=False),
        sa.Column('text', sa.String(3000), nullable=False),
        sa.Column('link', sa.String(2000), nullable=True),
        sa.Column('reporter_id', sa.String(32), nullable=False),
        sa.Column('team_id', sa.String(32), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_customer_voice_account_key', 'customer_voice', ['account_key'])
    op.create_index('ix_customer_voice_at', 'customer_voice', ['at'])


def downgrade() -> None:
    op.drop_index('ix_customer_voice_at', table_name='customer_voice')
    op.drop_index('ix_customer_voice_account_key', table_name='customer_voice')
    op.drop_table('customer_voice')
