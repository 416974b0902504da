"""Conversational (issue 24): personal reminders asked for in chat ("remind me in 30 minutes")

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'personal_reminder',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('escalation_id', sa.Integer(), sa.ForeignKey('escalation.id'), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=False, server_default=''),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_personal_reminder_user_id', 'personal_reminder', ['user_id'])
    op.create_index(
        'ix_personal_reminder_due',
        'personal_reminder',
        ['due_at'],
        sqlite_where=sa.text('sent_at IS NULL'),
        postgresql_where=sa.text('sent_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_table('personal_reminder')
