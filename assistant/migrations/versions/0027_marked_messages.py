"""Tell it from the channel (issue 24): messages of a case channel added to its timeline

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'marked_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('ts', sa.String(length=32), nullable=False),
        sa.Column('author_id', sa.String(length=32), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('permalink', sa.String(length=500), nullable=True),
        sa.Column('marked_by', sa.String(length=32), nullable=False),
        sa.Column('marked_at', UTCDateTime(), nullable=False),
        sa.Column('removed_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('escalation_id', 'ts'),
    )
    op.create_index('ix_marked_message_escalation_id', 'marked_message', ['escalation_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_marked_message_escalation_id', table_name='marked_message')
    op.drop_table('marked_message')
