"""Conversational and Slack-native (issue 24): the case channel's canvas

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.add_column(sa.Column('canvas_id', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('canvas_sections', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('canvas_sections')
        batch.drop_column('canvas_id')
